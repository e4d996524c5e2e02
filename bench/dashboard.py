"""Benchmark of the council dashboard (hejie.oversight.dashboard) on a large table of orders.

    .venv/bin/python bench/dashboard.py [--orders N] [--db sqlite|postgres|both] [--repeat R]

Like bench/sweep.py (whose helpers it reuses), each database runs in a worker
subprocess with its own environment: a fresh temporary ``HEJIE_DATA_DIR`` for
SQLite, or the scratch PostgreSQL database ``hejie_bench`` (dropped, created,
dropped again) when ``--db`` includes postgres. The worker migrates, creates
``--businesses`` active businesses spread over Wuhan's districts, Yichang and
Xiangyang and over every industry, 1000 consumers, and bulk-loads N orders
filed over the last 120 days in a realistic mix of outcomes (settled at
various speeds, failed, still open, waiting for review, withdrawn), counts the
daily figures from them (``hejie.complaints.figures.rebuild``, timed: the bulk
load bypasses the per-order keeping, as a real bulk import would), ANALYZEs,
then times ``dashboard(...)`` for a few scopes and periods (the median of R
runs each) and counts its queries. The parent prints a Markdown table and
writes bench/out/dashboard.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402 - bench/ is not a package
    DEFAULT_PG_URL,
    ROOT,
    QueryCounter,
    bulk_load,
    check,
    log,
    run_worker,
)

OUT_FILE = ROOT / "bench" / "out" / "dashboard.json"
CONSUMERS = 1000
DAYS = 120
REGIONS = ["420102", "420103", "420104", "420105", "420106", "420107", "420111", "420112", "420113", "420114",
           "420115", "420116", "420117", "420502", "420503", "420602", "420606"]
SCOPES = [("420000", 30), ("420100", 90), ("420100", 7), ("420102", 30)]


def _setup(now: dt.datetime, count: int):
    from django.contrib.auth.hashers import make_password
    from stdnum.cn import uscc

    from hejie.accounts.models import User
    from hejie.businesses.models import Business, Industry
    from hejie.regions.models import Region

    regions = [Region.objects.get(code=c) for c in REGIONS]
    industries = list(Industry.objects.values_list("code", flat=True))
    unusable = make_password(None)
    businesses = []
    for b in range(count):
        region = regions[b % len(regions)]
        body = f"91{region.code}{b + 1:09d}"
        businesses.append(Business(
            name=f"基准商户{b + 1}", name_initials="jzsh", industry_id=industries[b % len(industries)],
            credit_code=body + uscc.calc_check_digit(body), region=region, **region.codes(),
            status=Business.Status.ACTIVE, approved_at=now))
    businesses = Business.objects.bulk_create(businesses)
    consumers = User.objects.bulk_create([
        User(username=f"bench-c{i:04d}", role=User.Role.CONSUMER, phone=str(13800000000 + i), password=unusable)
        for i in range(CONSUMERS)])
    return businesses, [c.pk for c in consumers]


def _load(n: int, now: dt.datetime, businesses, consumer_ids: list[int], seed: int) -> float:
    """Insert N orders filed over the last DAYS days. Returns the seconds it took."""
    from django.db import connection

    from hejie.complaints.models import Complaint

    vendor = connection.vendor
    fields = [f for f in Complaint._meta.concrete_fields if not f.primary_key]
    first = businesses[0]
    template = Complaint(
        business=first, region=first.region, **first.region.codes(), problem_type="quality",
        description="基准测试：买的热干面里有异物，要求退款。(bench order)", claim_type="refund",
        claim_amount="38.00", consumer_id=consumer_ids[0], number="", matter_key="", state="delivered",
        created_at=now)
    constant = [f.get_db_prep_save(getattr(template, f.attname), connection) for f in fields]
    col = {f.attname: i for i, f in enumerate(fields)}
    ts = (lambda v: None if v is None else v.replace(tzinfo=None).isoformat(" ")) if vendor == "sqlite" else (
        lambda v: v)
    rng = random.Random(seed)
    span = DAYS * 86400
    biz = [(b.pk, b.region.codes(), b.region_id) for b in businesses]
    c = col

    def rows(start: int, stop: int):
        for i in range(start, stop):
            row = constant.copy()
            # more orders recently (a growing platform), uniform within a day
            age = span * (rng.random() ** 1.3)
            created = now - dt.timedelta(seconds=age)
            business_id, codes, region_id = biz[rng.randrange(len(biz))]
            row[c["number"]] = f"HB-BENCH-{i:08d}"
            row[c["consumer_id"]] = consumer_ids[i % len(consumer_ids)]
            row[c["matter_key"]] = f"bench|{i}"
            row[c["region_id"]] = region_id
            row[c["region_l1"]], row[c["region_l2"]], row[c["region_l3"]] = (
                codes["region_l1"], codes["region_l2"], codes["region_l3"])
            row[c["created_at"]] = ts(created)
            roll = rng.random()
            if roll < 0.03:  # waiting for review: no business on the platform
                row[c["business_id"]] = None
                row[c["business_name_given"]] = "未入驻商户"
                row[c["state"]] = "pending_review" if age < 5 * 86400 else "rejected"
                yield row
                continue
            row[c["business_id"]] = business_id
            row[c["delivered_at"]] = ts(created)
            row[c["respond_by"]] = ts(created + dt.timedelta(hours=24))
            settle_by = created + dt.timedelta(days=14)
            row[c["settle_by"]] = ts(settle_by)
            if age < 14 * 86400 and roll < 0.25:  # still open
                answered = rng.random() < 0.6
                row[c["state"]] = "negotiating" if answered else "delivered"
                if answered:
                    row[c["first_response_at"]] = ts(created + dt.timedelta(hours=rng.uniform(0.2, 30)))
                yield row
                continue
            if roll < 0.85:  # settled, mostly fast
                hours = rng.expovariate(1 / 30)
                hours = min(hours, 14 * 24 - 1)
                settled = created + dt.timedelta(hours=hours)
                if settled > now:
                    settled = now - dt.timedelta(seconds=1)
                stars = 5 if hours <= 24 else 4 if hours <= 72 else 3 if hours <= 168 else 2
                row[c["state"]] = "settled"
                row[c["first_response_at"]] = ts(created + dt.timedelta(hours=min(hours, rng.uniform(0.1, 5))))
                row[c["settled_at"]] = row[c["outcome_at"]] = row[c["scored_at"]] = ts(settled)
                row[c["stars"]], row[c["credit_points"]] = stars, stars * 2
            elif roll < 0.95 and age > 14 * 86400:  # failed after 14 days
                end = settle_by + dt.timedelta(seconds=1)
                row[c["state"]] = "failed"
                row[c["outcome_at"]] = row[c["scored_at"]] = ts(end)
                row[c["stars"]], row[c["credit_points"]] = 0, 0
            else:
                row[c["state"]] = "withdrawn"
                row[c["outcome_at"]] = ts(created + dt.timedelta(hours=2))
            yield row

    return bulk_load(Complaint, fields, rows, n)


class _Statements:
    """``execute_wrapper`` hook: each statement's own time, with the start of its SQL (the last run's)."""

    def __init__(self):
        self.rows: list[tuple[str, float]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.rows.append((" ".join(sql.split())[:160], time.perf_counter() - started))


def worker(db: str, n: int, repeat: int, seed: int, n_businesses: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hejie.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from hejie.complaints.models import Complaint
    from hejie.oversight import dashboard as dash
    from hejie.regions.models import Region

    result: dict = {"database": db, "vendor": connection.vendor, "orders": n, "repeat": repeat,
                    "businesses": n_businesses}
    call_command("migrate", verbosity=0)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    businesses, consumers = _setup(now, n_businesses)
    seconds = _load(n, now, businesses, consumers, seed)
    result["load_seconds"] = round(seconds, 2)
    from hejie.complaints import figures

    started = time.perf_counter()
    written = figures.rebuild()
    result["rebuild_seconds"] = round(time.perf_counter() - started, 2)
    result["figure_rows"] = written
    log(f"{db}: counted the daily figures in {result['rebuild_seconds']} s: {written}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    check(Complaint.objects.count() == n, "every order loaded")
    log(f"{db}: loaded {n:,} orders in {seconds:.1f} s")
    today = now.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    runs = []
    for code, days in SCOPES:
        region = Region.objects.get(code=code)
        period = dash.period_of(days=days, today=today)
        times, queries, total = [], 0, 0
        for _ in range(repeat):
            counter = QueryCounter()
            statements = _Statements()
            started = time.perf_counter()
            with connection.execute_wrapper(counter), connection.execute_wrapper(statements):
                board = dash.dashboard(region=region, period=period, now=now)
            times.append(time.perf_counter() - started)
            queries, total = counter.total, board["figures"]["total"]
        runs.append({"region": code, "region_name": region.full_name, "days": days, "orders_in_period": total,
                     "median_ms": round(statistics.median(times) * 1000, 1), "runs_ms": [round(t * 1000, 1)
                                                                                        for t in times],
                     "queries": queries,
                     "statements_ms": [(sql, round(sec * 1000, 1)) for sql, sec in statements.rows]})
        log(f"{db}: {region.full_name} {days} d: {runs[-1]['median_ms']} ms, {queries} queries, {total:,} orders")
    result["runs"] = runs
    result["console"] = _console(now, repeat)
    return result


CONSOLE_SCOPES = ["420000", "420100", "420102"]
CONSOLE_VIEWS = [("queue counts", None), ("orders, all", {}), ("orders, to urge", {"queue": "urge"}),
                 ("orders, failed", {"queue": "failed"}), ("orders, review", {"queue": "review"})]


def _console(now: dt.datetime, repeat: int) -> list[dict]:
    """The console's other reads for a council member of each scope: the queue counts every console page
    shows, and the first page of the order list (its capped count and its 50 rows, as the page reads them)
    for a few filters."""
    from django.db import connection

    from hejie.accounts.models import User
    from hejie.oversight.orders import council_orders, parse_filters, queue_counts
    from hejie.web.council.dashboard import LIST_CAP, PAGE_SIZE, CappedPaginator

    out = []
    for code in CONSOLE_SCOPES:
        member = User.objects.create(username=f"bench-council-{code}", role=User.Role.COUNCIL, region_id=code)
        for name, params in CONSOLE_VIEWS:
            times, queries = [], 0
            for _ in range(repeat):
                counter = QueryCounter()
                started = time.perf_counter()
                with connection.execute_wrapper(counter):
                    if params is None:
                        queue_counts(member, now=now)
                    else:
                        page = CappedPaginator(council_orders(member, parse_filters(member, params), now=now),
                                               PAGE_SIZE, cap=LIST_CAP).get_page(1)
                        list(page.object_list), page.paginator.count
                times.append(time.perf_counter() - started)
                queries = counter.total
            out.append({"region": code, "view": name, "median_ms": round(statistics.median(times) * 1000, 1),
                        "queries": queries})
            log(f"console {code} {name}: {out[-1]['median_ms']} ms")
    return out


def run_database(db: str, args) -> dict:
    return run_worker(__file__, db, ["--orders", str(args.orders), "--repeat", str(args.repeat), "--seed",
                                     str(args.seed), "--businesses", str(args.businesses)], base_pg_url=args.pg_url)


def table(results: list[dict]) -> str:
    lines = ["| database | orders | scope | period | orders in period | dashboard (ms, median) | queries |",
             "|---|---:|---|---:|---:|---:|---:|"]
    notes = []
    for r in results:
        for run in r["runs"]:
            lines.append(f"| {r['vendor']} | {r['orders']:,} | {run['region_name']} ({run['region']}) | "
                         f"{run['days']} d | {run['orders_in_period']:,} | {run['median_ms']:,} | {run['queries']} |")
        rows = r.get("figure_rows", {})
        notes.append(f"{r['vendor']}: `hejie figures rebuild` over {r['orders']:,} orders took "
                     f"{r.get('rebuild_seconds', '?')} s and wrote " + ", ".join(f"{n:,} {t}" for t, n in rows.items())
                     + " rows")
    console = ["", "| database | jurisdiction | console read | ms (median) | queries |", "|---|---|---|---:|---:|"]
    for r in results:
        for c in r.get("console", []):
            console.append(f"| {r['vendor']} | {c['region']} | {c['view']} | {c['median_ms']:,} | {c['queries']} |")
    return "\n".join(lines + [""] + notes + console)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--businesses", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default=None,
                        help="default: both when DATABASE_URL or BENCH_PG_URL is set, else sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL") or os.environ.get("DATABASE_URL")
                        or DEFAULT_PG_URL)
    parser.add_argument("--out", default=str(OUT_FILE))
    parser.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.orders, args.repeat, args.seed, args.businesses), default=str))
        return
    db = args.db or ("both" if os.environ.get("DATABASE_URL") or os.environ.get("BENCH_PG_URL") else "sqlite")
    results = [run_database(d, args) for d in (["sqlite", "postgres"] if db == "both" else [db])]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    print(table(results))


if __name__ == "__main__":
    main()
