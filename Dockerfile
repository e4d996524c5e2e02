# syntax=docker/dockerfile:1
# Hejie's image: the web (granian), the Celery worker and Celery beat all run from it, with the
# commands and environment of `make stack` (src/hejie/ops/stack.py; compose.yaml runs them, and
# tests/ops/test_compose.py holds the three together).
#
#   docker build -t hejie .
#
# Two stages: the builder makes wheels of Hejie and every dependency (`pip wheel`); the final
# image installs only those wheels, has no compiler, and runs as the unprivileged user `hejie`.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
# Every dependency has binary wheels for linux/amd64 and arm64 (psycopg[binary], Pillow, granian ...),
# so no compiler is installed even here; a platform without them would add build-essential to this stage.
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --wheel-dir /wheels '.[prod]'

FROM python:${PYTHON_VERSION}-slim-bookworm
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=hejie.settings \
    HEJIE_DATA_DIR=/var/lib/hejie
RUN groupadd --system --gid 10001 hejie \
    && useradd --system --uid 10001 --gid hejie --home-dir /var/lib/hejie --shell /usr/sbin/nologin hejie \
    && install -d -o hejie -g hejie -m 0750 /var/lib/hejie
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels 'hejie[prod]'
USER hejie
WORKDIR /var/lib/hejie
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# The web; compose.yaml gives the worker and beat their own commands.
CMD ["granian", "--interface", "wsgi", "--host", "0.0.0.0", "--port", "8000", "--workers", "3", "--blocking-threads", "4", "--respawn-failed-workers", "--workers-kill-timeout", "20", "--access-log", "hejie.wsgi:application"]
