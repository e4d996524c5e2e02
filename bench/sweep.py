"""Benchmark of the sweep (hejie.ops.sweep) on a large table of open orders.

    .venv/bin/python bench/sweep.py [--orders N] [--due M] [--db sqlite|postgres|both] [--repeat R]

For each database a worker subprocess (this script with ``--worker``) gets its
own environment (Django reads the settings at import): a fresh temporary
``HEJIE_DATA_DIR`` for SQLite, or ``DATABASE_URL`` pointing at a scratch
PostgreSQL database ``hejie_bench`` (dropped and created before, dropped after).
The worker migrates, creates active businesses (``--businesses``, default 1;
one staff user each) and 1000 consumers, bulk-loads N open orders (state
snapshots, no events) of which exactly M are due at the bench's ``now`` (their
14 days have passed: the sweep fails them), spread evenly over the businesses,
ANALYZEs, checks the plan of the due-selection query, and times
``sweep(now)``: the first pass (M orders to fail) and a second pass (nothing
due: idempotence, and the cost of an idle pass over N orders).
The parent prints a Markdown table and writes bench/out/sweep.json.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402 - bench/ is not a package
    BENCH_DB_NAME,
    DEFAULT_PG_URL,
    ROOT,
    QueryCounter,
    bulk_load,
    check,
    log,
    run_worker,
)

OUT_FILE = ROOT / "bench" / "out" / "sweep.json"
CONSUMERS = 1000
DEFAULT_BUSINESSES = 1  # every due order belongs to the same business: its rating/black-list work adds up
SQLITE_LOAD_CACHE_KIB = 256 * 1024  # page cache while loading (the 12 indexes outgrow SQLite's default 2 MiB)
NEGOTIATING_SHARE = 1 / 3  # the rest are "delivered" (no response yet)
SAMPLE_CHECKS = 200  # loaded rows re-checked against the services' own timer logic


# --------------------------------------------------------------------------- worker (one database)


class Plan:
    """Where the loaded orders sit in time, relative to the bench's ``now``."""

    def __init__(self, now: dt.datetime, policy):
        self.now = now
        self.first_response = dt.timedelta(hours=policy.first_response_hours)
        self.settle = dt.timedelta(days=policy.settle_days)
        self.urges = [(int(u["after_hours"]) * 3600, u.get("kind") == "no_response") for u in policy.auto_urges]

    def urge_level(self, age: float, responded: bool) -> int:
        """The ``auto_urge_level`` a continuously swept order of this age has:
        the first applicable urge whose time has not passed (policy.next_auto_urge)."""
        for level, (after, no_response) in enumerate(self.urges):
            if no_response and responded:
                continue
            if age <= after:
                return level
        return len(self.urges)

    def timers(self, age: float, responded: bool):
        """(delivered_at, respond_by, settle_by, first_response_at, level, next_urge_at, next_deadline_at)."""
        from hejie.complaints.services import JUST_AFTER

        delivered = self.now - dt.timedelta(seconds=age)
        settle_by = delivered + self.settle
        first = None
        if responded:
            first = delivered + dt.timedelta(seconds=min(age / 2, self.first_response.total_seconds() - 1))
        level = self.urge_level(age, responded)
        urge_at = delivered + dt.timedelta(seconds=self.urges[level][0]) if level < len(self.urges) else None
        deadline = min(settle_by, urge_at) if urge_at is not None else settle_by
        return delivered, delivered + self.first_response, settle_by, first, level, urge_at, deadline + JUST_AFTER


def _setup_parties(now: dt.datetime, count: int):
    """``count`` active businesses (region 420102, catering), one staff user each, and the consumers."""
    from django.contrib.auth.hashers import make_password
    from stdnum.cn import uscc

    from hejie.accounts.models import User
    from hejie.businesses.models import Business
    from hejie.regions.models import Region

    region = Region.objects.get(code="420102")
    unusable = make_password(None)
    businesses = []
    for b in range(count):
        body = f"91420102{b + 1:09d}"
        business = Business.objects.create(
            name=f"基准测试餐饮有限公司{b + 1}", name_initials="jzcsxyxgs", industry_id="catering",
            credit_code=body + uscc.calc_check_digit(body), region=region, **region.codes(),
            status=Business.Status.ACTIVE, approved_at=now,
        )
        User.objects.create(username=f"bench-staff{b + 1}", role=User.Role.BUSINESS, business=business,
                            password=unusable, display_name=f"基准测试店员{b + 1}")
        businesses.append(business)
    consumers = User.objects.bulk_create([
        User(username=f"bench-c{i:04d}", role=User.Role.CONSUMER, phone=str(13800000000 + i), password=unusable)
        for i in range(CONSUMERS)
    ])
    return region, businesses, [c.pk for c in consumers]


def _load(n: int, m: int, stride: int, plan: Plan, region, businesses, consumer_ids: list[int], seed: int) -> float:
    """Insert N orders, M of them due. Returns the seconds it took (rows generated and written)."""
    from django.db import connection

    from hejie.complaints.models import Complaint

    vendor = connection.vendor
    fields = [f for f in Complaint._meta.concrete_fields if not f.primary_key]
    template = Complaint(
        business=businesses[0], region=region, **region.codes(), problem_type=Complaint.ProblemType.QUALITY,
        description="基准测试：买的热干面里有异物，要求退款。(bench order)", claim_type=Complaint.ClaimType.REFUND,
        claim_amount="38.00", purchase_amount="38.00", consumer_id=consumer_ids[0], number="", matter_key="",
        state="delivered", created_at=plan.now,
    )
    # Every column gets the value the ORM would write; the varying ones are overwritten per row.
    constant = [f.get_db_prep_save(getattr(template, f.attname), connection) for f in fields]
    col = {f.attname: i for i, f in enumerate(fields)}
    if vendor == "sqlite":
        def ts(value):  # what DatabaseOperations.adapt_datetimefield_value stores (naive UTC text)
            return None if value is None else value.replace(tzinfo=None).isoformat(" ")

        sample = plan.now - dt.timedelta(seconds=12345.678901)
        check(ts(sample) == connection.ops.adapt_datetimefield_value(sample), "SQLite datetime format changed")
    else:
        def ts(value):
            return value

    rng = random.Random(seed)
    settle = plan.settle.total_seconds()
    i_number, i_consumer, i_key, i_state = col["number"], col["consumer_id"], col["matter_key"], col["state"]
    i_business, business_ids = col["business_id"], [b.pk for b in businesses]
    i_created, i_delivered, i_first = col["created_at"], col["delivered_at"], col["first_response_at"]
    i_respond, i_settle, i_level = col["respond_by"], col["settle_by"], col["auto_urge_level"]
    i_urge, i_deadline = col["next_urge_at"], col["next_deadline_at"]

    def rows(start: int, stop: int):
        for i in range(start, stop):
            due = i % stride == 0 and i // stride < m
            responded = rng.random() < NEGOTIATING_SHARE
            age = settle + rng.uniform(60, 6 * 86400) if due else rng.uniform(60, settle - 60)
            delivered, respond_by, settle_by, first, level, urge_at, deadline = plan.timers(age, responded)
            row = constant.copy()
            row[i_number] = f"HB-BENCH-{i:08d}"
            row[i_consumer] = consumer_ids[i % len(consumer_ids)]
            # by i // stride, so the due orders (and each repeat's) are spread evenly over the businesses
            row[i_business] = business_ids[(i // stride) % len(business_ids)]
            row[i_key] = f"bench|{i}"
            row[i_state] = "negotiating" if responded else "delivered"
            row[i_created] = row[i_delivered] = ts(delivered)
            row[i_first] = ts(first)
            row[i_respond] = ts(respond_by)
            row[i_settle] = ts(settle_by)
            row[i_level] = level
            row[i_urge] = ts(urge_at)
            row[i_deadline] = ts(deadline)
            yield row

    if vendor == "sqlite":
        with connection.cursor() as cursor:
            cache_size = cursor.execute("PRAGMA cache_size").fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_LOAD_CACHE_KIB}")
    seconds = bulk_load(Complaint, fields, rows, n)
    if vendor == "sqlite":  # the sweep runs with the connection's usual cache
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")
    return seconds


def _check_loaded(n: int, m: int, plan: Plan, policy) -> None:
    """The loaded rows are what the services would have stored: same timers
    from ``_refresh_timers``, valid for the model (full_clean)."""
    from hejie.complaints.models import Complaint
    from hejie.complaints.services.orders import _refresh_timers

    check(Complaint.objects.count() == n, "wrong number of orders loaded")
    check(Complaint.objects.filter(next_deadline_at__lte=plan.now).count() == m, "wrong number of due orders")
    pks = list(Complaint.objects.order_by("pk").values_list("pk", flat=True)[:: max(1, n // SAMPLE_CHECKS)])
    fields = ("auto_urge_level", "next_urge_at", "consumer_reply_by", "next_deadline_at")
    for k, complaint in enumerate(Complaint.objects.filter(pk__in=pks)):
        stored = [getattr(complaint, f) for f in fields]
        _refresh_timers(complaint, policy)
        recomputed = [getattr(complaint, f) for f in fields]
        check(stored == recomputed, f"order {complaint.number}: stored timers {stored} != services' {recomputed}")
        if k < 20:
            complaint.full_clean()


def _explain(now: dt.datetime) -> dict:
    from django.db import connection, transaction

    from hejie.complaints.models import Complaint
    from hejie.complaints.sweep import BATCH_SIZE

    plan = Complaint.objects.filter(next_deadline_at__lte=now).order_by("next_deadline_at")[:BATCH_SIZE].explain()
    # The sweep's own batch query (row locks and the business joined in).
    qs = Complaint.objects.filter(next_deadline_at__lte=now).order_by("next_deadline_at")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    with transaction.atomic():
        sweep_plan = qs.select_related("business")[:BATCH_SIZE].explain()
    return {
        "due_query": plan, "sweep_batch_query": sweep_plan,
        "index_used": "cmp_next_deadline" in plan, "sweep_index_used": "cmp_next_deadline" in sweep_plan,
    }


def _timed_sweep(now: dt.datetime, profile: str | None = None) -> dict:
    from django.db import connection

    from hejie.core import clock
    from hejie.ops.sweep import sweep

    counter = QueryCounter()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    load_before = os.getloadavg()[0]
    with clock.travel(now), connection.execute_wrapper(counter):
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        report = sweep(now)
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
    if profiler:
        profiler.dump_stats(profile)
        log(f"profile of the pass written to {profile} (python -m pstats {profile})")
    return {"seconds": seconds, "load_average": [load_before, os.getloadavg()[0]], "examined": report.examined,
            "actions": dict(report.actions), "errors": report.errors, "queries": counter.total,
            "query_kinds": dict(counter.kinds.most_common()),
            "query_seconds": {k: round(v, 3) for k, v in counter.seconds.most_common()}}


def _reset_between_repeats(plan: Plan, businesses, policy) -> None:
    """Age the previous pass's scores out of the rating and black-list windows
    and dismiss the black-list candidate, so every repeat fails M orders of a
    businesses with a clean record (otherwise each repeat pays for all earlier ones)."""
    from hejie.complaints.models import Complaint
    from hejie.ratings.models import BlacklistEntry
    from hejie.ratings.services import business_rating_refresh

    old = plan.now - dt.timedelta(days=max(policy.rating_window_days, policy.blacklist_window_days) + 1)
    Complaint.objects.filter(scored_at__isnull=False).update(scored_at=old)
    BlacklistEntry.objects.filter(status__in=["candidate", "published"]).update(
        status=BlacklistEntry.Status.DISMISSED, decided_at=plan.now)
    for business in businesses:
        business_rating_refresh(business_id=business.pk, now=plan.now, policy=policy)


def _mark_due(n: int, m: int, stride: int, offset: int, plan: Plan) -> None:
    """Make M more (still open, not due) orders due now: their 14 days passed an hour ago."""
    from hejie.complaints.models import Complaint
    from hejie.complaints.services import JUST_AFTER

    age = plan.settle.total_seconds() + 3600
    delivered, respond_by, settle_by, _, level, urge_at, deadline = plan.timers(age, responded=False)
    numbers = [f"HB-BENCH-{i:08d}" for i in range(offset, n, stride)][:m]
    for start in range(0, len(numbers), 2000):
        Complaint.objects.filter(number__in=numbers[start:start + 2000], next_deadline_at__gt=plan.now).update(
            delivered_at=delivered, respond_by=respond_by, settle_by=settle_by, auto_urge_level=level,
            next_urge_at=urge_at, next_deadline_at=deadline,
        )
    check(deadline == settle_by + JUST_AFTER, "a re-marked order is due by its settle deadline")
    check(Complaint.objects.filter(next_deadline_at__lte=plan.now).count() == m, "re-marking failed")


def worker(db: str, n: int, m: int, repeat: int, seed: int, n_businesses: int = 1, profile: str | None = None) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hejie.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from hejie.complaints.models import Complaint
    from hejie.complaints.policy import get_policy

    result: dict = {"database": db, "vendor": connection.vendor, "orders": n, "due": m, "repeat": repeat,
                    "businesses": n_businesses}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    result["migrate_seconds"] = round(time.perf_counter() - started, 2)
    log(f"{db}: migrated in {result['migrate_seconds']} s")

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    result["now"] = now.isoformat()
    policy = get_policy()
    plan = Plan(now, policy)
    region, businesses, consumer_ids = _setup_parties(now, n_businesses)
    stride = n // m

    seconds = _load(n, m, stride, plan, region, businesses, consumer_ids, seed)
    result["load_seconds"] = round(seconds, 2)
    result["load_rows_per_second"] = round(n / seconds)
    log(f"{db}: loaded {n:,} orders in {seconds:.1f} s ({n / seconds:,.0f} rows/s)")

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    result["analyze_seconds"] = round(time.perf_counter() - started, 2)
    _check_loaded(n, m, plan, policy)
    log(f"{db}: ANALYZE in {result['analyze_seconds']} s; loaded rows check out")

    explain = _explain(now)
    result.update(explain)
    log(f"{db}: EXPLAIN due query:\n{explain['due_query']}")
    log(f"{db}: EXPLAIN sweep batch query:\n{explain['sweep_batch_query']}")
    check(explain["index_used"], "the due-selection query does not use cmp_next_deadline")

    passes = []
    for r in range(repeat):
        if r:
            _reset_between_repeats(plan, businesses, policy)
            _mark_due(n, m, stride, r, plan)
        first = _timed_sweep(now, profile=f"{profile}.{db}" if profile and r == 0 else None)
        log(f"{db}: pass {r + 1}: {first['seconds']:.2f} s, examined {first['examined']:,}, "
            f"{first['queries']:,} queries, {first['actions']}, errors {first['errors']}")
        check(first["examined"] == m, f"first pass examined {first['examined']}, expected {m}")
        check(first["actions"].get("failed") == m, f"first pass failed {first['actions']}, expected {m}")
        check(first["errors"] == 0, "the sweep reported errors")
        second = _timed_sweep(now)
        log(f"{db}: second pass {second['seconds'] * 1000:.1f} ms, examined {second['examined']}, "
            f"{second['queries']} queries")
        check(second["examined"] == 0, f"second pass examined {second['examined']}: not idempotent")
        passes.append({"first": first, "second": second})
    check(Complaint.objects.filter(state="failed").count() == m * repeat, "every due order failed")
    check(not Complaint.objects.filter(next_deadline_at__lte=now).exists(), "nothing is left due")

    sweep_s = statistics.median(p["first"]["seconds"] for p in passes)
    queries = statistics.median(p["first"]["queries"] for p in passes)
    result.update({
        "passes": passes,
        "sweep_seconds_median": round(sweep_s, 3),
        "ms_per_due_order": round(sweep_s * 1000 / m, 3),
        "queries_per_due_order": round(queries / m, 2),
        "query_kinds_per_due_order": {
            k: round(v / m, 2) for k, v in passes[len(passes) // 2]["first"]["query_kinds"].items()
        },
        "second_pass_ms_median": round(statistics.median(p["second"]["seconds"] for p in passes) * 1000, 2),
        "second_pass_queries": passes[0]["second"]["queries"],
    })
    return result


# --------------------------------------------------------------------------- parent


def run_database(db: str, args) -> dict:
    worker_args = ["--orders", str(args.orders), "--due", str(args.due), "--repeat", str(args.repeat),
                   "--seed", str(args.seed), "--businesses", str(args.businesses)]
    if args.profile:
        worker_args += ["--profile", str(Path(args.profile).resolve())]
    log(f"{db}: worker starting ({args.orders:,} orders, {args.due:,} due, {args.repeat} repeat(s))")
    return run_worker(__file__, db, worker_args, base_pg_url=args.pg_url, log_level=args.log_level, keep=args.keep)


def _code_version() -> dict:
    """The commit measured, and whether src/ had uncommitted changes (read-only git)."""
    def git(*args: str) -> str:
        command = ["git", "--no-optional-locks", *args]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603, S607
        return done.stdout.strip() if done.returncode == 0 else ""

    changes = git("status", "--porcelain", "--", "src").splitlines()
    return {"commit": git("rev-parse", "HEAD"), "src_uncommitted_files": len(changes)}


def table(results: list[dict]) -> str:
    head = ("database", "open orders", "due", "businesses", "load time (rows/s)", "sweep pass (s, median)",
            "ms per due order", "queries per due order", "second pass (ms)", "index used")
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in results:
        index = "yes (cmp_next_deadline)" if r["index_used"] else "NO"
        if not r["sweep_index_used"]:
            index += "; sweep batch query: NO"
        cells = (
            r["database"], f"{r['orders']:,}", f"{r['due']:,}", f"{r['businesses']:,}",
            f"{r['load_seconds']:.1f} s ({r['load_rows_per_second']:,}/s)", f"{r['sweep_seconds_median']:.2f}",
            f"{r['ms_per_due_order']:.2f}", f"{r['queries_per_due_order']:.1f}", f"{r['second_pass_ms_median']:.1f}",
            index,
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000, help="open orders to load (N)")
    parser.add_argument("--due", type=int, default=10_000, help="orders due at the bench's now (M)")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=1, help="sweep passes over fresh due sets; the median is shown")
    parser.add_argument("--seed", type=int, default=20260315)
    parser.add_argument("--businesses", type=int, default=DEFAULT_BUSINESSES,
                        help="spread the orders (and the due ones) evenly over this many businesses "
                             "(1: every failure hits the same business; see bench/README.md)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL),
                        help=f"server to use; the database name is replaced by {BENCH_DB_NAME}")
    parser.add_argument("--log-level", default="WARNING", help="HEJIE_LOG_LEVEL in the worker (INFO logs every SMS)")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite folder and the PostgreSQL database")
    parser.add_argument("--out", type=Path, default=OUT_FILE)
    parser.add_argument("--profile", metavar="PATH",
                        help="cProfile the first sweep pass into PATH.<database> (slows the pass down)")
    parser.add_argument("--worker", choices=("sqlite", "postgres"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.businesses < 1:
        parser.error("--businesses must be at least 1")
    if not 0 < args.due <= args.orders:
        parser.error("need 0 < --due <= --orders")
    if args.repeat < 1 or args.due * args.repeat > args.orders:
        parser.error("--repeat needs --due x --repeat <= --orders (each repeat fails M different orders)")

    if args.worker:
        result = worker(args.worker, args.orders, args.due, args.repeat, args.seed, args.businesses, args.profile)
        print(json.dumps(result, default=str))
        return

    databases = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    results = []
    for db in databases:
        version = _code_version()
        results.append(run_database(db, args) | {"code": version, "cpus": os.cpu_count()})
    markdown = table(results)
    print(markdown)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"command": " ".join([Path(sys.executable).name, *sys.argv]), "table": markdown, "results": results}
    args.out.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
