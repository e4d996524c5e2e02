"""Benchmark of the retention purge (hejie.complaints.retention) over many closed orders.

    .venv/bin/python bench/privacy_purge.py [--orders N] [--db sqlite|postgres|both] [--batch B]

For each database a worker subprocess (this script with ``--worker``; ``bench/common.py``) migrates,
creates a business and 1000 consumers, bulk-loads N closed orders (settled, withdrawn and failed,
closed more than the retention period before the bench's ``now``) with, for each, two timeline events
(one payload holding a mobile number) and one message holding a mobile number, plus N/10 open orders
that must not be touched; ANALYZEs, checks that the due query uses the partial index
``cmp_retention_due``, and times ``orders_purge``: orders per second and the longest batch (one
transaction, the time its row locks are held), against the limit of one second; then a second run
(idempotence: nothing left). The parent prints a Markdown table and writes
bench/out/privacy_purge.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
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

OUT_FILE = ROOT / "bench" / "out" / "privacy_purge.json"
CONSUMERS = 1000
BATCH_LIMIT_SECONDS = 1.0  # the longest a batch may hold its row locks
PHONE = "13912345678"
CLOSED_STATES = ("settled", "withdrawn", "failed")


def _setup_parties(now: dt.datetime):
    from django.contrib.auth.hashers import make_password
    from stdnum.cn import uscc

    from hejie.accounts.models import User
    from hejie.businesses.models import Business
    from hejie.regions.models import Region

    region = Region.objects.get(code="420102")
    body = "914201020000000001"[:17]
    business = Business.objects.create(
        name="基准测试餐饮有限公司", name_initials="jzcsxyxgs", industry_id="catering",
        credit_code=body + uscc.calc_check_digit(body), region=region, **region.codes(),
        status=Business.Status.ACTIVE, approved_at=now,
    )
    unusable = make_password(None)
    consumers = User.objects.bulk_create([
        User(username=f"bench-c{i:04d}", role=User.Role.CONSUMER, phone=str(13800000000 + i), password=unusable)
        for i in range(CONSUMERS)
    ])
    return region, business, [c.pk for c in consumers]


def _ts(connection):
    if connection.vendor == "sqlite":
        def ts(value):  # what DatabaseOperations.adapt_datetimefield_value stores (naive UTC text)
            return None if value is None else value.replace(tzinfo=None).isoformat(" ")
        return ts
    return lambda value: value


def _load(n: int, n_open: int, now: dt.datetime, retention_days: int, region, business, consumer_ids, seed: int):
    """N closed orders past retention and n_open open ones; two events and a message each."""
    from django.db import connection

    from hejie.complaints.models import Complaint, ComplaintEvent, Message

    ts = _ts(connection)
    rng = random.Random(seed)
    fields = [f for f in Complaint._meta.concrete_fields if not f.primary_key]
    template = Complaint(
        business=business, region=region, **region.codes(), problem_type=Complaint.ProblemType.QUALITY,
        description="", claim_type=Complaint.ClaimType.REFUND, claim_amount="38.00", purchase_amount="38.00",
        consumer_id=consumer_ids[0], number="", matter_key="", state="settled", created_at=now,
    )
    constant = [f.get_db_prep_save(getattr(template, f.attname), connection) for f in fields]
    col = {f.attname: i for i, f in enumerate(fields)}
    total = n + n_open
    oldest = dt.timedelta(days=retention_days + 1)

    def orders(start: int, stop: int):
        for i in range(start, stop):
            row = constant.copy()
            closed = i < n
            outcome = now - oldest - dt.timedelta(seconds=rng.uniform(0, 365 * 86400))
            created = outcome - dt.timedelta(days=rng.uniform(1, 14))
            row[col["number"]] = f"HB-PRIV-{i:08d}"
            row[col["consumer_id"]] = consumer_ids[i % len(consumer_ids)]
            row[col["matter_key"]] = f"bench|{i}"
            row[col["description"]] = f"基准测试：面里有异物，联系电话 {PHONE}，订单 WX{i:010d}。"
            row[col["created_at"]] = row[col["delivered_at"]] = ts(created)
            if closed:
                state = CLOSED_STATES[i % 3]
                row[col["state"]] = state
                row[col["outcome_at"]] = ts(outcome)
                row[col["settled_at"]] = ts(outcome) if state == "settled" else None
                row[col["closing_reason"]] = f"请联系 {PHONE}" if state == "withdrawn" else ""
            else:
                row[col["state"]] = "negotiating"
            yield row

    seconds = bulk_load(Complaint, fields, orders, total)
    first = Complaint.objects.order_by("pk").values_list("pk", flat=True).first()
    ev_fields = [f for f in ComplaintEvent._meta.concrete_fields if not f.primary_key]
    payload_field = ComplaintEvent._meta.get_field("payload")
    with_phone = payload_field.get_db_prep_save({"note": f"电话 {PHONE}"}, connection)
    plain = payload_field.get_db_prep_save({}, connection)
    ev_col = {f.attname: i for i, f in enumerate(ev_fields)}

    from hejie.audit import chain

    at = now - oldest
    digests = (chain.payload_digest({}), chain.payload_digest({"note": f"电话 {PHONE}"}))
    hashes: dict[int, str] = {}

    def events(start: int, stop: int):
        for j in range(start, stop):
            i = j // 2
            row = [None] * len(ev_fields)
            # each order's timeline chained as ComplaintEvent.save chains it (hejie.audit.chain)
            seq, prev = (1, "") if j % 2 == 0 else (2, hashes.pop(i))
            kind, actor = ("submitted" if j % 2 == 0 else "message"), consumer_ids[i % len(consumer_ids)]
            row[ev_col["seq"]], row[ev_col["prev_hash"]], row[ev_col["payload_digest"]] = seq, prev, digests[j % 2]
            row[ev_col["hash"]] = chain.event_hash(order_id=first + i, seq=seq, kind=kind, actor_id=actor, at=at,
                                                   prev_hash=prev, payload_digest=digests[j % 2])
            if j % 2 == 0:
                hashes[i] = row[ev_col["hash"]]
            row[ev_col["complaint_id"]] = first + i
            row[ev_col["type"]] = "submitted" if j % 2 == 0 else "message"
            row[ev_col["actor_id"]] = consumer_ids[i % len(consumer_ids)]
            row[ev_col["side"]] = "consumer"
            row[ev_col["state_from"]] = "new" if j % 2 == 0 else ""
            row[ev_col["state_to"]] = "delivered" if j % 2 == 0 else ""
            row[ev_col["created_at"]] = ts(now - oldest)
            row[ev_col["payload"]] = plain if j % 2 == 0 else with_phone
            yield row

    seconds += bulk_load(ComplaintEvent, ev_fields, events, 2 * total)
    msg_fields = [f for f in Message._meta.concrete_fields if not f.primary_key]
    msg_col = {f.attname: i for i, f in enumerate(msg_fields)}

    def messages(start: int, stop: int):
        for i in range(start, stop):
            row = [None] * len(msg_fields)
            row[msg_col["complaint_id"]] = first + i
            row[msg_col["author_id"]] = consumer_ids[i % len(consumer_ids)]
            row[msg_col["side"]] = "consumer"
            row[msg_col["body"]] = f"我的电话是 {PHONE}，请回电。"
            row[msg_col["created_at"]] = ts(now - oldest)
            yield row

    seconds += bulk_load(Message, msg_fields, messages, total)
    check(Complaint.objects.filter(pk__gte=first).count() == total, "orders loaded")
    return seconds


def _explain(now: dt.datetime, retention_days: int) -> str:
    from hejie.complaints.retention import BATCH, due_orders

    return due_orders(now=now, retention_days=retention_days).order_by("outcome_at", "pk").values_list(
        "outcome_at", "pk")[:BATCH].explain()


def worker(db: str, n: int, batch: int, seed: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hejie.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from hejie.complaints.models import Complaint, ComplaintEvent, Message
    from hejie.complaints.policy import get_policy
    from hejie.complaints.retention import orders_purge
    from hejie.core import clock

    result: dict = {"database": db, "vendor": connection.vendor, "orders": n, "batch": batch}
    call_command("migrate", verbosity=0)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    retention_days = get_policy().retention_days
    region, business, consumer_ids = _setup_parties(now)
    n_open = max(1, n // 10)
    seconds = _load(n, n_open, now, retention_days, region, business, consumer_ids, seed)
    result["load_seconds"] = round(seconds, 1)
    log(f"{db}: loaded {n:,} closed and {n_open:,} open orders (2 events, 1 message each) in {seconds:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    plan = _explain(now, retention_days)
    log(f"{db}: EXPLAIN due batch query:\n{plan}")
    result["due_query"] = plan
    result["index_used"] = "cmp_retention_due" in plan

    counter = QueryCounter()
    with clock.travel(now), connection.execute_wrapper(counter):
        started = time.perf_counter()
        report = orders_purge(now=now, retention_days=retention_days, batch=batch)
        total = time.perf_counter() - started
    log(f"{db}: purge {report.orders:,} orders in {total:.1f} s, {report.batches} batches, "
        f"longest {report.longest_batch * 1000:.0f} ms, {counter.total:,} queries")
    check(report.orders == n, f"pseudonymised {report.orders}, expected {n}")
    with clock.travel(now):
        started = time.perf_counter()
        again = orders_purge(now=now, retention_days=retention_days, batch=batch)
        second = time.perf_counter() - started
    check(again.orders == 0, "a second run found orders: not idempotent")
    check(Complaint.objects.filter(pseudonymised_at__isnull=True, state="negotiating").count() == n_open,
          "open orders were touched")
    check(not Complaint.objects.filter(pseudonymised_at__isnull=False, description__contains=PHONE).exists(),
          "a phone survived in a description")
    check(not Message.objects.filter(complaint__pseudonymised_at__isnull=False, body__contains=PHONE).exists(),
          "a phone survived in a message")
    sample = ComplaintEvent.objects.filter(complaint__pseudonymised_at__isnull=False, type="message")[:1000]
    check(all(PHONE not in json.dumps(e.payload, ensure_ascii=False) for e in sample), "a phone survived in a payload")
    result.update({
        "purge_seconds": round(total, 2), "orders_per_second": round(n / total),
        "batches": report.batches, "longest_batch_ms": round(report.longest_batch * 1000, 1),
        "mean_batch_ms": round(total * 1000 / max(1, report.batches), 1),
        "texts": report.texts, "events": report.events, "queries": counter.total,
        "queries_per_batch": round(counter.total / max(1, report.batches), 1),
        "second_run_ms": round(second * 1000, 1),
    })
    return result


def table(results: list[dict]) -> str:
    head = ("database", "closed orders", "batch", "orders/s", "purge (s)", "longest batch (ms)",
            "limit (ms)", "within", "mean batch (ms)", "queries/batch", "second run (ms)", "index used")
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in results:
        cells = (r["database"], f"{r['orders']:,}", str(r["batch"]), f"{r['orders_per_second']:,}",
                 f"{r['purge_seconds']:.1f}", f"{r['longest_batch_ms']:.0f}", f"{BATCH_LIMIT_SECONDS * 1000:.0f}",
                 "yes" if r["longest_batch_ms"] < BATCH_LIMIT_SECONDS * 1000 else "NO",
                 f"{r['mean_batch_ms']:.0f}", f"{r['queries_per_batch']:.0f}", f"{r['second_run_ms']:.0f}",
                 "yes (cmp_retention_due)" if r["index_used"] else "NO")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000,
                        help="closed orders past retention to load (N; 1000000 for the million of issue 17)")
    parser.add_argument("--batch", type=int, default=200, help="orders per transaction (retention.BATCH: 200)")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seed", type=int, default=20260315)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL),
                        help="server to use; the database name is replaced by --db-name")
    parser.add_argument("--db-name", default=BENCH_DB_NAME,
                        help=f"scratch PostgreSQL database, dropped and created (default {BENCH_DB_NAME})")
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite folder and the PostgreSQL database")
    parser.add_argument("--out", type=Path, default=OUT_FILE)
    parser.add_argument("--worker", choices=("sqlite", "postgres"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.orders < 1 or args.batch < 1:
        parser.error("--orders and --batch must be at least 1")
    if args.worker:
        print(json.dumps(worker(args.worker, args.orders, args.batch, args.seed), default=str))
        return
    databases = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    results = []
    for db in databases:
        log(f"{db}: worker starting ({args.orders:,} closed orders, batch {args.batch})")
        worker_args = ["--orders", str(args.orders), "--batch", str(args.batch), "--seed", str(args.seed)]
        results.append(run_worker(__file__, db, worker_args, base_pg_url=args.pg_url, log_level=args.log_level,
                                  keep=args.keep, db_name=args.db_name) | {"cpus": os.cpu_count()})
    markdown = table(results)
    print(markdown)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"command": " ".join([Path(sys.executable).name, *sys.argv]), "table": markdown, "results": results}
    args.out.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
