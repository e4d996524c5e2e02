"""Helpers for tests that race real database connections (PostgreSQL)."""

import threading

from django.db import connections


def race(*fns, timeout: float = 60):
    """Run each function in its own thread (its own connection), released at
    once by a barrier. Returns each result, or the exception it raised."""
    barrier = threading.Barrier(len(fns))
    results = [None] * len(fns)

    def worker(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return results
