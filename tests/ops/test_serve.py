"""``hejie serve``: the real command in a subprocess, and the sweep loop in-process."""

import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from hejie.ops import sweeper
from hejie.ops.sweeper import start_sweeper, sweep_loop


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return -1
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - a local http URL we built
                if r.status == 200:
                    return 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    return 0


def _start(tmp_path, *args) -> tuple[subprocess.Popen, Path, Path]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # never migrate a shared database
    env.update(
        HEJIE_DATA_DIR=str(tmp_path / "data"),
        HEJIE_SWEEP_INTERVAL_SECONDS="1",
        DJANGO_SETTINGS_MODULE="hejie.settings",
        PYTHONUNBUFFERED="1",
    )
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "hejie", "serve", "--threads", "2", *args],
            env=env,
            cwd=tmp_path,
            stdout=stdout,
            stderr=stderr,
        )
    return proc, out, err


def _stop(proc: subprocess.Popen) -> int:
    proc.terminate()
    try:
        return proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return -9


def test_serve_migrates_collects_static_and_answers_healthz(tmp_path):
    port = _free_port()
    proc, out, err = _start(tmp_path, "--port", str(port), "--no-sweep")
    try:
        status = _wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
        assert status == 200, f"healthz: {status}\nstdout:\n{out.read_text()}\nstderr:\n{err.read_text()}"
        assert f"Hejie serving at http://127.0.0.1:{port}/" in out.read_text()
        assert (tmp_path / "data" / "hejie.sqlite3").exists()  # migrated
        assert (tmp_path / "data" / "static" / "admin" / "css" / "base.css").exists()  # collected
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/admin/css/base.css", timeout=5) as r:  # noqa: S310
            assert r.status == 200
        assert "sweep:" not in err.read_text()
    finally:
        code = _stop(proc)
    assert code == 0, err.read_text()  # SIGTERM is a clean stop


def test_serve_on_any_port_with_the_sweep_running(tmp_path):
    proc, out, err = _start(tmp_path, "--port", "0")
    try:
        deadline = time.monotonic() + 30
        match = None
        while match is None and time.monotonic() < deadline and proc.poll() is None:
            match = re.search(r"Hejie serving at (http://127\.0\.0\.1:(\d+)/)", out.read_text())
            time.sleep(0.1)
        assert match, f"stdout:\n{out.read_text()}\nstderr:\n{err.read_text()}"
        assert match.group(2) != "0"
        url = match.group(1) + "healthz"
        assert _wait_healthy(url, proc) == 200
        time.sleep(2.5)  # a few sweep passes must not stop serving
        assert _wait_healthy(url, proc, timeout=5) == 200
        log = err.read_text()
        assert "sweep:" in log, log
    finally:
        _stop(proc)


@pytest.mark.parametrize("args", [["--port", "-1"], ["--port", "70000"], ["--threads", "0"]])
def test_serve_refuses_bad_options_before_touching_anything(args, monkeypatch):
    from django.core import management
    from django.core.management import CommandError

    from hejie.ops.management.commands import serve

    monkeypatch.setattr(serve, "call_command", lambda *a, **k: pytest.fail("migrated despite bad options"))
    with pytest.raises(CommandError):
        management.call_command("serve", *args)


def test_sweep_loop_logs_failures_and_keeps_going(monkeypatch, caplog):
    calls = []
    stop = threading.Event()

    def sweep(now=None):
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        if len(calls) >= 3:
            stop.set()
        return f"report {len(calls)}"

    monkeypatch.setattr(sweeper, "sweep", sweep)
    caplog.set_level(logging.INFO, logger="hejie.serve")
    thread = threading.Thread(target=sweep_loop, args=(stop, 0.01), daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert len(calls) == 3
    assert "sweep pass failed" in caplog.text and "database went away" in caplog.text
    assert "sweep: report 2" in caplog.text


def test_start_sweeper_runs_the_loop_in_a_daemon_thread_until_stopped(monkeypatch):
    passes = threading.Event()
    monkeypatch.setattr(sweeper, "sweep", lambda now=None: passes.set() or "ok")
    thread, stop = start_sweeper(0.01)
    assert thread.daemon and thread.name == "hejie-sweep"
    assert passes.wait(10)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
