"""The production topology on one machine, as processes: ``make stack``.

    python -m hejie.ops.stack start    # or `make stack`: release step, then s3, web, worker, beat
    python -m hejie.ops.stack status
    python -m hejie.ops.stack stop     # or `make stack-stop`
    python -m hejie.ops.stack env      # the environment the processes get, as shell assignments

What runs (``SERVICES``): an S3 server (moto's, ``moto_server``: MinIO ships no binary in the
registries this machine reaches), the web (granian, ``WEB_WORKERS`` processes of
``WEB_THREADS`` threads), a Celery worker and Celery beat, each its own process group with its
log in ``var/stack/<name>.log`` and its pid in ``var/stack/<name>.pid``. Granian rather than
gunicorn for the web: with the same processes and threads it served 1.7 times the requests on
the home page and 1.4 times on an API read, at lower latencies (medians of 5 runs,
``bench/wsgi_servers.py``; the README has the numbers).

PostgreSQL and Redis are the machine's: ``DATABASE_URL`` (default
``postgres://postgres@localhost:5432/hejie_stack``,
the database created if missing) and ``CELERY_BROKER_URL`` (default
``redis://127.0.0.1:6379/0``). Before the services start, the release step (``RELEASE``:
migrate, collect static files) runs once, and the evidence bucket is created.

This module is the one source of the commands and the environment names: ``compose.yaml``
runs the same commands in containers with the same variables, and a test
(``tests/ops/test_compose.py``) holds the two together. The end-to-end tests start their
processes through it too.

Every variable already set in the caller's environment wins over the defaults here (an SMS
provider, a public URL ...). Servers listen on 127.0.0.1 only; the web on ``STACK_PORT``
(8080), the S3 server on ``STACK_S3_PORT`` (9000).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import secrets
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

WEB_WORKERS = 3  # granian processes: (2 x cores) - 1 on this project's 2-core machine
WEB_THREADS = 4  # blocking threads in each: a request waiting on the database does not hold a process
WORKER_CONCURRENCY = 2  # Celery worker processes (prefork)
BUCKET = "hejie-evidence"
S3_REGION = "us-east-1"

# The variables every Hejie process of the stack gets (web, worker, beat, the release step):
# compose.yaml's services carry exactly these names.
ENV_NAMES = (
    "HEJIE_PRODUCTION", "HEJIE_HTTPS", "HEJIE_SECRET_KEY", "HEJIE_ALLOWED_HOSTS", "HEJIE_CSRF_TRUSTED_ORIGINS",
    "HEJIE_PUBLIC_URL", "HEJIE_DATA_DIR", "HEJIE_LOG_LEVEL", "DATABASE_URL", "CELERY_BROKER_URL",
    "HEJIE_S3_BUCKET", "HEJIE_S3_ENDPOINT_URL", "HEJIE_S3_ACCESS_KEY_ID", "HEJIE_S3_SECRET_ACCESS_KEY",
    "HEJIE_S3_REGION",
)
SERVICES = ("s3", "web", "worker", "beat")  # in the order they start (and stop in reverse)
HEJIE_SERVICES = ("web", "worker", "beat")  # those that run Hejie's code (compose builds them from the image)
RELEASE = (("hejie", "migrate", "--noinput"), ("hejie", "collectstatic", "--noinput", "--verbosity", "0"))


def commands(*, host: str, port: int, data_dir: str, s3_host: str = "127.0.0.1", s3_port: int = 9000,
             web_workers: int = WEB_WORKERS) -> dict[str, list[str]]:
    """Each service's command line, programs by bare name (found on PATH: the venv's bin, or
    the image's)."""
    return {
        "s3": ["moto_server", "-H", s3_host, "-p", str(s3_port)],
        "web": ["granian", "--interface", "wsgi", "--host", host, "--port", str(port),
                "--workers", str(web_workers), "--blocking-threads", str(WEB_THREADS),
                "--respawn-failed-workers", "--workers-kill-timeout", "20", "--access-log",
                "hejie.wsgi:application"],
        "worker": ["celery", "-A", "hejie", "worker", "--loglevel=INFO", f"--concurrency={WORKER_CONCURRENCY}"],
        "beat": ["celery", "-A", "hejie", "beat", "--loglevel=INFO", f"--schedule={data_dir}/celerybeat-schedule"],
    }


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@dataclass
class Stack:
    """One stack's place (``root``: logs, pids, data), addresses and environment."""

    root: Path
    port: int = 8080
    s3_port: int = 9000
    host: str = "127.0.0.1"
    web_workers: int = WEB_WORKERS
    s3: bool = True  # an S3 server and the evidence bucket (False: evidence on local disk)
    base_env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def environment(self) -> dict[str, str]:
        """The environment of every process: the defaults below under what the caller set."""
        key_file = self.root / "secret_key"
        if not key_file.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(50))
            key_file.chmod(0o600)
        defaults = {
            "HEJIE_PRODUCTION": "1",
            "HEJIE_HTTPS": "0",  # plain http on 127.0.0.1: no Secure cookies, HSTS or redirect
            "HEJIE_SECRET_KEY": key_file.read_text().strip(),
            "HEJIE_ALLOWED_HOSTS": f"{self.host},localhost",
            "HEJIE_CSRF_TRUSTED_ORIGINS": self.url,
            "HEJIE_PUBLIC_URL": self.url,
            "HEJIE_DATA_DIR": str(self.data_dir),
            "HEJIE_LOG_LEVEL": "INFO",
            "DATABASE_URL": "postgres://postgres@localhost:5432/hejie_stack",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        }
        if self.s3:
            defaults |= {
                "HEJIE_S3_BUCKET": BUCKET,
                "HEJIE_S3_ENDPOINT_URL": f"http://{self.host}:{self.s3_port}",
                "HEJIE_S3_ACCESS_KEY_ID": "hejie-stack",
                "HEJIE_S3_SECRET_ACCESS_KEY": "hejie-stack-secret",
                "HEJIE_S3_REGION": S3_REGION,
            }
        # the caller's variables win, except an empty one where there is a default (DATABASE_URL= ...)
        env = {**defaults, **{k: v for k, v in self.base_env.items() if v != "" or k not in defaults}}
        bin_dir = str(Path(sys.executable).parent)
        env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")])
        env["DJANGO_SETTINGS_MODULE"] = "hejie.settings"
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def commands(self) -> dict[str, list[str]]:
        return commands(host=self.host, port=self.port, data_dir=str(self.data_dir), s3_host=self.host,
                        s3_port=self.s3_port, web_workers=self.web_workers)

    # --- the database, the release step, the bucket ---------------------------------------------

    def ensure_database(self, *, fresh: bool = False) -> str:
        """Create the PostgreSQL database of DATABASE_URL if it is missing (``fresh``: drop it
        first). Returns its name."""
        import psycopg
        from psycopg import sql

        url = self.environment()["DATABASE_URL"]
        name = urlsplit(url).path.lstrip("/")
        if not url.startswith(("postgres://", "postgresql://")) or not name:
            raise SystemExit(f"the stack needs PostgreSQL: DATABASE_URL={url!r}")
        try:
            admin = psycopg.connect(_with_database(url, "postgres"), autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as e:
            raise SystemExit(f"cannot reach PostgreSQL at {url}: {e}") from None
        with admin:
            if fresh:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self) -> None:
        import psycopg
        from psycopg import sql

        url = self.environment()["DATABASE_URL"]
        name = urlsplit(url).path.lstrip("/")
        with psycopg.connect(_with_database(url, "postgres"), autocommit=True, connect_timeout=5) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def ensure_broker(self) -> None:
        """Refuse to start, saying why, when Redis does not answer at CELERY_BROKER_URL."""
        import redis

        url = self.environment()["CELERY_BROKER_URL"]
        try:
            redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        except (redis.RedisError, ValueError) as e:
            raise SystemExit(f"cannot reach Redis at CELERY_BROKER_URL={url}: {e}") from None

    def release(self) -> None:
        """Migrate and collect static files (what a deployment runs once before its processes)."""
        env = self.environment()
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "release.log").open("a") as log:
            for command in RELEASE:
                log.write(f"$ {shlex.join(command)}\n")
                log.flush()
                done = subprocess.run(list(command), env=env, stdout=log, stderr=subprocess.STDOUT,  # noqa: S603
                                      check=False)
                if done.returncode:
                    raise SystemExit(f"{shlex.join(command)} failed (exit {done.returncode}): "
                                     f"see {self.root / 'release.log'}")

    def ensure_bucket(self) -> None:
        """Create the evidence bucket on the local S3 server if it is missing (private: no policy).
        moto's server takes unsigned requests, so a plain PUT does it (a real S3 or MinIO is given
        its bucket by its operator: compose.yaml's createbucket service)."""
        bucket = self.environment()["HEJIE_S3_BUCKET"]
        if self._request("HEAD", f"/{bucket}", port=self.s3_port) == 200:
            return
        status = self._request("PUT", f"/{bucket}", port=self.s3_port)
        if status != 200:
            raise SystemExit(f"could not create the bucket {bucket!r} on the S3 server: HTTP {status}")

    # --- processes --------------------------------------------------------------------------------

    def pid_file(self, name: str) -> Path:
        return self.root / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.root / f"{name}.log"

    def running(self, name: str) -> int | None:
        """The pid of service ``name`` if the process we started is still alive: the pid file
        holds its pid and its start time, so a pid the system has since given to another
        process does not count."""
        try:
            pid, started = (int(x) for x in self.pid_file(name).read_text().split()[:2])
        except (FileNotFoundError, ValueError):
            return None
        stat = _proc_stat(pid)
        return pid if stat is not None and stat[1] == started and stat[0] != "Z" else None

    def start(self, name: str, extra_env: Mapping[str, str] | None = None) -> int:
        if pid := self.running(name):
            return pid
        self.root.mkdir(parents=True, exist_ok=True)
        command = self.commands()[name]
        env = {**self.environment(), **(extra_env or {})}
        with self.log_file(name).open("a") as log:
            log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} $ {shlex.join(command)}\n")
            log.flush()
            proc = subprocess.Popen(command, env=env, cwd=self.root, stdout=log, stderr=subprocess.STDOUT,  # noqa: S603
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        stat = _proc_stat(proc.pid)
        self.pid_file(name).write_text(f"{proc.pid} {stat[1] if stat else 0}\n")
        return proc.pid

    def stop(self, names: Iterable[str] = SERVICES, timeout: float = 25) -> list[str]:
        """Stop the services: SIGTERM to each process group we started, all at once (a warm
        shutdown: requests and tasks in hand finish), SIGKILL to those still there after
        ``timeout``. Returns the names of those that were running."""
        names = list(names)
        pids = {name: pid for name in names if (pid := self.running(name)) is not None}
        for pid in pids.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while any(self.running(name) for name in pids) and time.monotonic() < deadline:
            for pid in pids.values():
                _reap(pid)
            time.sleep(0.1)
        for name, pid in pids.items():
            if self.running(name):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            _reap(pid)
        for name in names:
            self.pid_file(name).unlink(missing_ok=True)
        return [name for name in SERVICES if name in pids]

    # --- readiness -------------------------------------------------------------------------------

    def _request(self, method: str, path: str, port: int | None = None) -> int:
        conn = http.client.HTTPConnection(self.host, port or self.port, timeout=5)
        try:
            conn.request(method, path, headers={"Host": f"{self.host}:{port or self.port}"})
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    def _get(self, path: str, port: int | None = None) -> int:
        return self._request("GET", path, port)

    def web_ready(self) -> str | None:
        """The path that says the web is ready: ``/readyz`` (database, broker, storage) where it
        exists, else ``/healthz``, else the home page; None while none answers 200."""
        for path in ("/readyz", "/healthz", "/"):
            try:
                status = self._get(path)
            except OSError:
                return None
            if status == 200:
                return path
            if status != 404:  # e.g. /readyz 503: not ready yet
                return None
        return None

    def wait_for(self, what: str, check: Callable[[], object], name: str, timeout: float) -> object:
        deadline = time.monotonic() + timeout
        while True:
            got = check()
            if got:
                return got
            if not self.running(name):
                raise SystemExit(f"{name} exited while starting: see {self.log_file(name)}\n"
                                 + _tail(self.log_file(name)))
            if time.monotonic() > deadline:
                raise SystemExit(f"{what} not ready within {timeout:.0f} s: see {self.log_file(name)}\n"
                                 + _tail(self.log_file(name)))
            time.sleep(0.2)

    def worker_ready(self) -> bool:
        from celery import Celery

        app = Celery("hejie-stack-probe", broker=self.environment()["CELERY_BROKER_URL"], set_as_current=False)
        try:
            return bool(app.control.ping(timeout=1.0))
        finally:
            app.close()

    def s3_ready(self) -> bool:
        try:
            return self._get("/", port=self.s3_port) == 200
        except OSError:
            return False

    def beat_ready(self) -> bool:
        log = self.log_file("beat")
        return log.exists() and "beat: Starting..." in log.read_text(errors="replace")

    def up(self, names: Iterable[str] = SERVICES, *, extra_env: Mapping[str, str] | None = None,
           timeout: float = 90, fresh: bool = False) -> None:
        """Start the services and wait until each answers (the release step first)."""
        names = [n for n in names if n != "s3" or self.s3]
        self.ensure_broker()
        if "s3" in names:
            self.start("s3")
            self.wait_for("the S3 server", self.s3_ready, "s3", timeout)
            self.ensure_bucket()
        self.ensure_database(fresh=fresh)
        self.release()
        for name in ("worker", "beat", "web"):
            if name in names:
                self.start(name, extra_env)
        checks = {"worker": ("the Celery worker", self.worker_ready), "beat": ("Celery beat", self.beat_ready),
                  "web": (f"the web at {self.url}", self.web_ready)}
        for name in ("worker", "beat", "web"):
            if name in names:
                what, check = checks[name]
                self.wait_for(what, check, name, timeout)


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, start time in clock ticks since boot) of process ``pid``, from /proc; None if
    there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) ": state is field 3, starttime 22
    return fields[0], int(fields[19])


def _reap(pid: int) -> None:
    """Collect the exit status of a child of this process (when the stack was started by it)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def from_environment(root: str | os.PathLike[str] = "var/stack") -> Stack:
    return Stack(root=Path(root).resolve(), port=int(os.environ.get("STACK_PORT", "8080")),
                 s3_port=int(os.environ.get("STACK_S3_PORT", "9000")),
                 web_workers=int(os.environ.get("STACK_WEB_WORKERS", str(WEB_WORKERS))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hejie.ops.stack", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("start", "stop", "status", "env"))
    parser.add_argument("--fresh", action="store_true", help="start: drop and create the database first")
    parser.add_argument("--root", default=os.environ.get("STACK_ROOT", "var/stack"),
                        help="where the logs, pids and data go (default var/stack)")
    args = parser.parse_args(argv)
    stack = from_environment(args.root)
    if args.action == "start":
        try:
            stack.up(fresh=args.fresh)
        except BaseException:
            stack.stop()
            raise
        (stack.root / "stack.json").write_text(json.dumps({"url": stack.url, "root": str(stack.root)}))
        print(f"Hejie's stack is up at {stack.url}/ (logs and pids in {stack.root}; `make stack-stop` stops it)")
        for name in SERVICES:
            print(f"  {name:7} pid {stack.running(name)}  log {stack.log_file(name)}")
    elif args.action == "stop":
        stopped = stack.stop()
        print("stopped: " + (", ".join(stopped) or "nothing was running"))
    elif args.action == "status":
        down = [name for name in SERVICES if not stack.running(name)]
        for name in SERVICES:
            print(f"{name:7} {'pid ' + str(stack.running(name)) if stack.running(name) else 'not running'}")
        return 1 if down else 0
    else:
        env = stack.environment()
        for name in ENV_NAMES:
            if name in env:
                print(f"export {name}={shlex.quote(env[name])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
