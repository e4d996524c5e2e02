"""schemathesis against /api/v1/openapi.json: every operation, a bounded number
of generated requests each, anonymous and signed in as each role. No response
may be a 500, and every response must match the schema: its status, its content
type, its headers and its body.

The examples are random on each run (``make test``, CI): the run's seed is in pytest's
header (``hypothesis seed: N``); ``HEJIE_FUZZ_SEED=N`` (or ``--hypothesis-seed=N``)
replays it. ``HEJIE_FUZZ_EXAMPLES`` sets the examples per operation (8 by default)."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hejie.accounts.services import token_create
from hejie.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=int(os.environ.get("HEJIE_FUZZ_EXAMPLES", "8")), deadline=None,
                suppress_health_check=list(HealthCheck), database=None)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """schemathesis calls the WSGI app, which fires Django's request signals;
    their close_old_connections would close the test's own connection."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(make_user, business, delivered):
    staff = make_user("business", business=business, is_business_admin=True)
    return {
        "anonymous": None,
        "consumer": token_create(user=delivered.consumer),
        "business": token_create(user=staff),
        "council": token_create(user=make_user("council", region="420100")),
    }


@schema.parametrize()
@FUZZ
def test_no_500_and_the_schema_holds(case, tokens):
    for token in tokens.values():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        case.call_and_validate(
            headers=headers,
            checks=CHECKS,
        )
