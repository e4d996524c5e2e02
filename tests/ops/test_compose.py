"""compose.yaml and the Dockerfile run what `make stack` runs: the same command for each of the
web, the worker and beat, the same release step, the same environment names
(``hejie.ops.stack`` is the one source), and the Dockerfile is multi-stage, builds wheels, runs
as a non-root user and carries no compiler into its final image. There is no Docker daemon
here, so the files are read, not run."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from hejie.ops import stack

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = "/var/lib/hejie"  # the image's HEJIE_DATA_DIR
IN_CONTAINER = stack.commands(host="0.0.0.0", port=8000, data_dir=DATA_DIR)  # noqa: S104 - inside the container


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def dockerfile():
    text = (ROOT / "Dockerfile").read_text()
    return re.sub(r"\\\n\s*", " ", text)  # continuation lines joined


def _stages(dockerfile: str) -> list[str]:
    return re.split(r"^FROM ", dockerfile, flags=re.M)[1:]


def test_the_services_are_all_there(compose):
    assert {"postgres", "redis", "minio", "web", "worker", "beat", "migrate", "createbucket"} <= set(
        compose["services"])


@pytest.mark.parametrize("name", stack.HEJIE_SERVICES)
def test_each_hejie_service_runs_the_stacks_command_with_its_environment_names(compose, name):
    service = compose["services"][name]
    assert service["command"] == IN_CONTAINER[name]
    assert set(service["environment"]) == set(stack.ENV_NAMES)
    assert service["environment"]["HEJIE_DATA_DIR"] == DATA_DIR
    assert service["environment"]["HEJIE_PRODUCTION"] == "1"
    assert service["build"] == "." and f"hejie-data:{DATA_DIR}" in service["volumes"]
    assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_release_step_is_the_stacks(compose):
    migrate = compose["services"]["migrate"]
    assert migrate["command"] == ["sh", "-c", " && ".join(shlex.join(c) for c in stack.RELEASE)]
    assert set(migrate["environment"]) == set(stack.ENV_NAMES)
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_make_stack_sets_the_same_names(tmp_path):
    env = stack.Stack(root=tmp_path, base_env={}).environment()
    assert set(stack.ENV_NAMES) <= set(env)
    assert (env["HEJIE_PRODUCTION"], env["HEJIE_HTTPS"]) == ("1", "0")
    # and runs the same programs, with its own addresses and directories
    local = stack.Stack(root=tmp_path, port=8080, base_env={}).commands()
    for name in stack.HEJIE_SERVICES:
        assert local[name][0] == IN_CONTAINER[name][0]
    assert local["web"][local["web"].index("--port") + 1] == "8080"
    assert local["beat"][-1] == f"--schedule={tmp_path / 'data'}/celerybeat-schedule"


def test_the_bucket_and_the_database_are_the_ones_hejie_is_given(compose):
    env = compose["services"]["web"]["environment"]
    assert env["HEJIE_S3_BUCKET"] == stack.BUCKET
    assert f"local/{stack.BUCKET}" in compose["services"]["createbucket"]["entrypoint"][-1]
    assert env["HEJIE_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert env["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert env["DATABASE_URL"].startswith("postgres://hejie:") and env["DATABASE_URL"].endswith("@postgres:5432/hejie")
    assert compose["services"]["postgres"]["environment"]["POSTGRES_DB"] == "hejie"
    assert compose["services"]["web"]["ports"] == ["127.0.0.1:8000:8000"]


def test_the_dockerfile_is_multi_stage_non_root_without_compilers(dockerfile):
    builder, final = _stages(dockerfile)
    assert " AS builder" in builder.splitlines()[0]
    assert re.search(r"pip wheel --wheel-dir /wheels '\.\[prod\]'", builder)
    assert "--no-index --find-links=/wheels 'hejie[prod]'" in final
    assert not re.search(r"build-essential|\bgcc\b|\bg\+\+|apt-get install", final)
    [user] = re.findall(r"^USER (\S+)", final, flags=re.M)
    assert user not in ("root", "0")
    assert f"HEJIE_DATA_DIR={DATA_DIR}" in final
    [cmd] = re.findall(r"^CMD (\[.*\])$", final, flags=re.M)
    assert json.loads(cmd) == IN_CONTAINER["web"]
