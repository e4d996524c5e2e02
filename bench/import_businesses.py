"""Benchmark of a partner's bulk import (hejie.partners): a 100,000-row CSV of
valid, distinct businesses, previewed and committed.

    .venv/bin/python bench/import_businesses.py [--rows N] [--repeat R] [--db sqlite|postgres|both] [--tracemalloc]

SQLite always (a fresh temporary ``HEJIE_DATA_DIR``); PostgreSQL too when
``DATABASE_URL`` is set (or ``--db postgres|both`` with ``--pg-url``): on that
server a scratch database ``hejie_bench_import`` is dropped, created, and
dropped again afterwards. Nothing else is touched.

Each database runs in a worker subprocess (this script with ``--worker``;
Django reads its settings at import). The worker migrates (regions,
industries), creates an active partner whose businesses start active, writes
the CSV into a temporary folder (valid credit codes with their check
characters, real county-level region codes, the seeded industries by their
Chinese names, two stores and an order volume per row), then times, for each
repeat on a fresh database:

* ``preview``: ``import_preview`` (read, validate every row, look up the
  credit codes on the platform, store the row report). Nothing is created.
* ``commit``: ``import_commit`` in the foreground (chunks of 2,000 rows, each one
  transaction: businesses and stores by COPY on PostgreSQL, row links).
* ``re-send``: the same file again after the commit (every row is "already on
  the platform"; nothing is created twice).

The worker migrates in a process of its own, so that its memory is an importing
process's (a web or worker process never runs the migrations). For each phase:
seconds, rows per second, the resident memory before it and its peak during the
phase (the high-water mark VmHWM, reset before the phase), and with
``--tracemalloc`` the peak of Python allocations during the phase (tracing
slows the phase down: its seconds are then not comparable). The parent prints a
Markdown table of the medians and writes ``bench/out/import_businesses.json``.
Not part of the test suite. See bench/README.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, check, log, run_worker  # noqa: E402 - bench/ is not a package

OUT_FILE = ROOT / "bench" / "out" / "import_businesses.json"
BENCH_DB_NAME = "hejie_bench_import"
HEADER = ["名称", "统一社会信用代码", "行业", "地区代码", "地址", "联系人", "联系电话", "门店", "订单量"]
PHASES = ("preview", "commit", "re-send")
# issue 18's goals for the commit: COPY-speed writes and memory flat whatever the file's size
GOAL_ROWS_PER_S = {"commit": 5000}
GOAL_PEAK_MIB = 150


def _reset_peak() -> bool:
    """Start the process's peak resident memory (VmHWM) afresh, so that the next reading is the peak of
    one phase, not of the migrations before it (Linux: writing 5 to /proc/self/clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _rss_now_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _rss_mib() -> float:
    """Peak resident memory since the last ``_reset_peak`` (VmHWM), else of the whole process (ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


# --------------------------------------------------------------------------- worker


def write_csv(path: Path, n: int) -> None:
    """n distinct, valid businesses: credit codes with their check characters,
    county-level region codes that exist, the seeded industries."""
    from stdnum.cn import uscc

    from hejie.businesses.models import Industry
    from hejie.regions.models import Region

    counties = list(Region.objects.filter(level=3).order_by("code").values_list("code", flat=True))
    industries = list(Industry.objects.order_by("code").values_list("name", flat=True))
    check(counties and industries, "the regions and industries are loaded by migrate")
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(n):
            region = counties[i % len(counties)]
            body = f"91{region}{i:09d}"[:17]
            code = body + uscc.calc_check_digit(body)
            out.writerow([f"批量商户{i:06d}", code, industries[i % len(industries)], region, f"某路{i % 999 + 1}号",
                          "张三", f"138{i:08d}", f"一店@{region};二店@{region}", 1000 + i % 50_000])


def _phase(name: str, n: int, run, traced: bool) -> dict:
    import gc

    gc.collect()
    _reset_peak()
    before = _rss_now_mib()
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - start
    peak = None
    if traced:
        peak = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    log(f"{name}: {seconds:.1f} s")
    return {"phase": name, "rows": n, "seconds": round(seconds, 2), "rows_per_s": round(n / seconds),
            "maxrss_mib": _rss_mib(), "rss_before_mib": before, "tracemalloc_peak_mib": peak,
            "load_average_1min": os.getloadavg()[0], "result": result}


def _flush_database() -> None:
    from hejie.businesses.models import Business, Store
    from hejie.partners.models import ImportBatch, ImportRow

    ImportRow.objects.all().delete()
    ImportBatch.objects.all().delete()
    Store.objects.all().delete()
    Business.objects.all().delete()


def worker(db: str, n: int, repeat: int, traced: bool) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hejie.settings")
    import django

    django.setup()
    # migrated by a process of its own, as a deployment does: this process's memory is then the importer's
    # (a web or worker process that never ran the migrations), not the migrations' high-water mark
    import subprocess

    from django.db import connection

    from hejie.accounts.models import User
    from hejie.businesses.models import Business, Store
    from hejie.partners import services
    from hejie.partners.models import Partner
    from hejie.regions.models import Region

    subprocess.run([sys.executable, "-m", "hejie", "migrate", "-v0"], check=True)
    partner = Partner.objects.create(name="基准测试平台", kind="platform", region=Region.objects.get(code="420000"),
                                     status="active", onboard_status="active")
    staff = User.objects.create(username="bench-partner", role="partner", partner=partner)
    folder = Path(tempfile.mkdtemp(prefix="hejie-import-bench-csv-"))
    try:
        path = folder / "businesses.csv"
        start = time.perf_counter()
        write_csv(path, n)
        data = path.read_bytes()
        log(f"{db}: wrote {n:,} rows ({len(data) / 2**20:.1f} MiB) in {time.perf_counter() - start:.1f} s")
        runs = []
        for r in range(repeat):
            if r:
                _flush_database()
            batch_holder = {}

            def preview(data=data, holder=batch_holder):
                holder["batch"] = services.import_preview(actor=staff, partner=partner, filename="b.csv", data=data)
                b = holder["batch"]
                check((b.accepted, b.refused, b.already) == (n, 0, 0), f"preview: {b.accepted, b.refused, b.already}")
                return {"accepted": b.accepted}

            def commit(holder=batch_holder):
                b = services.import_commit(actor=staff, batch=holder["batch"], background=False)
                check(b.status == "committed" and b.created == n, f"commit: {b.status}, {b.created}")
                return {"created": b.created}

            def resend(data=data):
                b = services.import_preview(actor=staff, partner=partner, filename="again.csv", data=data)
                check((b.accepted, b.already) == (0, n), f"re-send: {b.accepted, b.already}")
                again = services.import_commit(actor=staff, batch=b, background=False)
                check(again.created == 0, "re-send created businesses")
                return {"already": b.already}

            phases = [_phase("preview", n, preview, traced), _phase("commit", n, commit, traced),
                      _phase("re-send", n, resend, traced)]
            check(Business.objects.filter(partner=partner).count() == n, "businesses")
            check(Store.objects.filter(business__partner=partner).count() == 2 * n, "stores")
            runs.append(phases)
        return {"db": db, "vendor": connection.vendor, "rows": n, "csv_mib": round(len(data) / 2**20, 1),
                "repeat": repeat, "tracemalloc": traced, "runs": runs}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------- parent


def run_database(db: str, args) -> dict:
    log(f"{db}: worker starting ({args.rows:,} rows, {args.repeat} repeat(s))")
    return run_worker(__file__, db, ["--rows", str(args.rows), "--repeat", str(args.repeat)]
                      + (["--tracemalloc"] if args.tracemalloc else []), base_pg_url=args.pg_url,
                      log_level=os.environ.get("HEJIE_LOG_LEVEL", "WARNING"), db_name=BENCH_DB_NAME)


def table(results: list[dict]) -> str:
    lines = ["| database | rows | phase | seconds | rows/s | goal rows/s | RSS before → peak (MiB) | goal peak | "
             "tracemalloc peak (MiB) | load avg |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for res in results:
        for i, name in enumerate(PHASES):
            got = [run[i] for run in res["runs"]]
            seconds = statistics.median(p["seconds"] for p in got)
            peaks = [p["tracemalloc_peak_mib"] for p in got if p["tracemalloc_peak_mib"] is not None]
            lines.append(
                f"| {res['db']} | {res['rows']:,} | {name} | {seconds:.1f} | {round(res['rows'] / seconds):,} | "
                f"{f'≥ {GOAL_ROWS_PER_S[name]:,}' if name in GOAL_ROWS_PER_S else '—'} | "
                f"{min(p.get('rss_before_mib', 0) for p in got):,.0f} → {max(p['maxrss_mib'] for p in got):,.0f} | "
                f"< {GOAL_PEAK_MIB} | {statistics.median(peaks) if peaks else '—'} | "
                f"{statistics.median(p['load_average_1min'] for p in got):.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per database; the table shows the medians")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"),
                        default="both" if os.environ.get("DATABASE_URL") else "sqlite",
                        help="default: sqlite, and postgres too when DATABASE_URL is set")
    parser.add_argument("--pg-url", default=os.environ.get("DATABASE_URL", "postgres://postgres@localhost:5432/test"),
                        help="the server (its database name is replaced by the scratch one)")
    parser.add_argument("--tracemalloc", action="store_true", help="trace Python allocations (slower)")
    parser.add_argument("--out", default=str(OUT_FILE))
    parser.add_argument("--worker", choices=("sqlite", "postgres"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.rows, args.repeat, args.tracemalloc)))
        return
    dbs = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    results = [run_database(db, args) for db in dbs]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(table(results))
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
