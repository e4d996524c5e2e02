"""Compare production WSGI servers on this machine: gunicorn and granian serving Hejie with the
same number of worker processes, each loaded by the same small Python client (no wrk here).

    DATABASE_URL=postgres://postgres@localhost:5432/hejie_bench HEJIE_DATA_DIR=/tmp/hejie-bench \
        python bench/wsgi_servers.py --workers 3 --seconds 10 --repeat 3

needs a database with the demo data (`hejie migrate && hejie demo && hejie collectstatic`), and
`pip install -e '.[stack]' granian` (granian is only for this comparison). Prints, per server and
path, requests per second and the median and 90th-percentile latency of each run, and the median
of the runs."""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

BIN = Path(sys.executable).parent
PATHS = {"home page": "/", "API read": "/api/v1/businesses?q=hk&size=20"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_command(name: str, port: int, workers: int, threads: int) -> list[str]:
    if name == "gunicorn":
        return [str(BIN / "gunicorn"), "hejie.wsgi:application", "--bind", f"127.0.0.1:{port}",
                "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads)]
    return [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--blocking-threads", str(threads), "hejie.wsgi:application"]


def wait_up(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server on {port} did not answer 200 on / within {timeout:.0f} s")


def load(port: int, path: str, seconds: float, clients: int) -> tuple[float, float, float, int]:
    """(requests/s, median ms, p90 ms, errors): ``clients`` threads, each on one keep-alive
    connection (reconnecting when the server closes it), for ``seconds``."""
    latencies: list[float] = []
    errors = [0]
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Accept-Language": "zh-hans"})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors[0] += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ms = sorted(x * 1000 for x in latencies)
    return len(ms) / seconds, statistics.median(ms), ms[int(len(ms) * 0.9)], errors[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", default="gunicorn,granian")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hejie.settings"}
    results: dict[tuple[str, str], list[tuple[float, float, float, int]]] = {}
    for run in range(args.repeat):
        for name in args.servers.split(","):
            port = free_port()
            proc = subprocess.Popen(server_command(name, port, args.workers, args.threads), env=env,  # noqa: S603
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_up(port)
                for label, path in PATHS.items():
                    load(port, path, 2, args.clients)  # warm every worker
                    got = load(port, path, args.seconds, args.clients)
                    results.setdefault((name, label), []).append(got)
                    print(f"run {run + 1} {name:9} {label:10} {got[0]:7.1f} req/s  median {got[1]:6.1f} ms  "
                          f"p90 {got[2]:6.1f} ms  errors {got[3]}", flush=True)
            finally:
                proc.terminate()
                proc.wait(20)
    print(f"\nmedians of {args.repeat} runs ({args.workers} workers x {args.threads} threads, "
          f"{args.clients} clients, {args.seconds:.0f} s each):")
    for (name, label), runs in results.items():
        print(f"{name:9} {label:10} {statistics.median(r[0] for r in runs):7.1f} req/s  "
              f"median latency {statistics.median(r[1] for r in runs):6.1f} ms  "
              f"p90 {statistics.median(r[2] for r in runs):6.1f} ms")


if __name__ == "__main__":
    main()
