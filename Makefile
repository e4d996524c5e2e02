# Hejie: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@localhost:5432/test

.PHONY: run install install-test install-stack test test-sqlite test-pg lint audit audit-if-reachable bench clean \
	translations screenshots stack stack-stop stack-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

install-stack: $(BIN)/python
	$(BIN)/pip install -q -e '.[stack]'

## Install, load the demo data and serve Hejie on http://$(HOST):$(PORT)/
run: install
	$(BIN)/hejie migrate -v0
	HEJIE_PUBLIC_URL=$${HEJIE_PUBLIC_URL:-http://$(HOST):$(PORT)} $(BIN)/hejie demo
	HEJIE_PUBLIC_URL=$${HEJIE_PUBLIC_URL:-http://$(HOST):$(PORT)} $(BIN)/hejie serve --host $(HOST) --port $(PORT)

## Install what the tests need and run them all (lint, SQLite; PostgreSQL too when DATABASE_URL is set,
## the two databases side by side: pytest uses one core, so on two cores this halves the wait)
test: install-test lint audit-if-reachable
	@if [ -n "$$DATABASE_URL" ]; then \
	  $(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-pg PG_URL="$$DATABASE_URL"; \
	else \
	  $(MAKE) --no-print-directory test-sqlite; \
	fi

## ruff, then the import contracts (the layers, in pyproject.toml [tool.importlinter]), then mypy
## (django-stubs; the strict set and the rest in pyproject.toml [tool.mypy])
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

## pip-audit: every installed dependency (the versions the install resolved; Hejie itself skipped) against
## PyPI's advisory database; fails on a known vulnerability, or on a package it could not look up
audit: install-test
	$(BIN)/pip-audit --skip-editable --strict --progress-spinner off

# `make test` audits only when PyPI's per-release JSON (what pip-audit asks) answers: offline, or behind a
# mirror that serves only the package index, it says so and goes on
audit-if-reachable: install-test
	@if $(BIN)/python -c "import sys, urllib.request, importlib.metadata as m; \
	  urllib.request.urlopen('https://pypi.org/pypi/pip/%s/json' % m.version('pip'), timeout=10)" 2>/dev/null; \
	then $(MAKE) --no-print-directory audit; \
	else echo "pip-audit skipped: PyPI's advisory database (https://pypi.org/pypi/<name>/<version>/json) is not reachable"; fi

# Each run has its own Redis databases for the broker tests (they run side by side under make -j2).
test-sqlite: install-test
	env -u DATABASE_URL HEJIE_TEST_REDIS_DB=9 $(BIN)/pytest -q -p no:cacheprovider

test-pg: install-test
	DATABASE_URL=$(PG_URL) HEJIE_TEST_REDIS_DB=12 $(BIN)/pytest -q -p no:cacheprovider

## Compile src/hejie/locale/*/LC_MESSAGES/django.po to .mo with Babel (pure Python; no GNU gettext needed)
translations: install-test
	$(BIN)/python -m hejie.web.common.translations

## Screenshots of each page at phone size (390x844) into var/screenshots/ (needs /usr/bin/chromium;
## CJK glyphs need a CJK font on this machine, e.g. Debian's fonts-wqy-microhei)
screenshots: install-test
	HEJIE_SCREENSHOTS=var/screenshots env -u DATABASE_URL $(BIN)/pytest -q -m browser tests/web

## The production topology on this machine, as background processes (hejie/ops/stack.py): PostgreSQL from
## DATABASE_URL (default postgres://postgres@localhost:5432/hejie_stack, created if missing), the local Redis
## (CELERY_BROKER_URL, default redis://127.0.0.1:6379/0), moto's S3 server, granian, a Celery worker and beat;
## logs and pids in var/stack/. Installs the `stack` extra (granian, moto[server]).
stack: install-stack
	$(BIN)/python -m hejie.ops.stack start

stack-stop:
	$(BIN)/python -m hejie.ops.stack stop

# stack-test: a stack of its own (var/stack-test, port 8081, S3 on 9001, database hejie_stack_test made afresh),
# the smoke test through it (tests/ops/test_stack_smoke.py), then stop it whatever the outcome.
STACK_TEST_ENV = STACK_ROOT=var/stack-test STACK_PORT=$${STACK_TEST_PORT:-8081} STACK_S3_PORT=$${STACK_TEST_S3_PORT:-9001} \
	DATABASE_URL=$${STACK_TEST_DATABASE_URL:-postgres://postgres@localhost:5432/hejie_stack_test} \
	CELERY_BROKER_URL=$${STACK_TEST_BROKER_URL:-redis://127.0.0.1:6379/1}
stack-test: install-stack install-test
	$(STACK_TEST_ENV) $(BIN)/python -m hejie.ops.stack start --fresh
	$(STACK_TEST_ENV) HEJIE_STACK_TEST=1 $(BIN)/pytest -q -p no:cacheprovider -m stack tests/ops/test_stack_smoke.py; \
	  status=$$?; $(STACK_TEST_ENV) $(BIN)/python -m hejie.ops.stack stop; exit $$status

bench: install-test
	$(BIN)/python bench/sweep.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
