"""``hejie serve``: the embedded production-ish server.

Migrates the database, collects static files, runs the complaint sweep on an
interval in a background thread (``hejie.ops.sweeper``; not with
``--no-sweep``), and serves the WSGI application with waitress. In a larger
installation the sweep runs from Celery beat instead and the web processes are
started with ``--no-sweep``.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Sequence

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from hejie.ops.sweeper import start_sweeper

logger = logging.getLogger("hejie.serve")


class Command(BaseCommand):
    help = "Migrate, collect static files and serve Hejie with waitress (and run the sweep on an interval)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
        parser.add_argument("--threads", type=int, default=8, help="waitress worker threads (default 8)")
        parser.add_argument("--no-sweep", action="store_true", help="do not run the complaint sweep in this process")

    def handle(self, *args, host: str, port: int, threads: int, no_sweep: bool, **options):
        if not 0 <= port < 65536:
            raise CommandError(f"--port must be between 0 (any free port) and 65535, got {port}")
        if threads < 1:
            raise CommandError(f"--threads must be at least 1, got {threads}")

        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        connections.close_all()  # the serving threads open their own

        from waitress.server import MultiSocketServer, create_server

        from hejie.wsgi import application

        _log_waitress()
        try:
            # waitress.serve() is create_server() + run(), plus a logging.basicConfig()
            # that would print every "hejie" record twice; binding first also lets
            # us report the real port (--port 0) and a taken port as a plain error.
            server = create_server(application, host=host, port=port, threads=threads)
        except OSError as e:
            raise CommandError(f"cannot listen on {host}:{port}: {e}") from e

        interval = float(settings.HEJIE_SWEEP_INTERVAL_SECONDS)
        if no_sweep or interval <= 0:
            logger.info("sweep not started in this process")
        else:
            start_sweeper(interval)

        # one server per address (MultiSocketServer) or a single one, whose address getsockname() reads
        listening: Sequence[tuple[str, object]]
        if isinstance(server, MultiSocketServer):
            listening = server.effective_listen
        else:
            listening = [server.getsockname()]
        for listen_host, listen_port in listening:
            shown = f"[{listen_host}]" if ":" in str(listen_host) else listen_host
            self.stdout.write(f"Hejie serving at http://{shown}:{listen_port}/ (threads={threads}); Ctrl-C to stop")
        self.stdout.flush()
        if threading.current_thread() is threading.main_thread():
            # SIGTERM (systemd, docker stop) ends like Ctrl-C: waitress lets the
            # requests in flight finish (a few seconds at most) before exiting.
            signal.signal(signal.SIGTERM, _exit_on_signal)
        server.run()  # returns on Ctrl-C / SystemExit, after stopping its worker threads


def _exit_on_signal(signum, frame) -> None:
    sys.exit(0)


def _log_waitress() -> None:
    """waitress's warnings (e.g. a deep task queue) go to stderr unless logging
    was configured for them."""
    waitress_logger = logging.getLogger("waitress")
    if not waitress_logger.hasHandlers():
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        waitress_logger.addHandler(handler)
