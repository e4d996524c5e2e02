"""Concurrent filings: PostgreSQL only (SQLite serialises every writer anyway)."""


import pytest
from django.db import connection

from hejie.complaints.models import Complaint
from hejie.complaints.services import FILING_LIMIT, complaint_submit
from hejie.core.errors import Conflict, RateLimited
from tests.concurrency import race

pytestmark = [
    pytest.mark.pg_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def submit(consumer, business, key=None, **extra):
    data = {"problem_type": "quality", "description": "买的热干面里有异物，要求退款。", "claim_type": "refund",
            "claim_amount": "38.00", **extra}
    return lambda: complaint_submit(consumer=consumer, business_id=business.pk, idempotency_key=key, **data)


def test_the_same_key_at_once_gives_one_order(reference_data, make_user, make_business):
    consumer, business = make_user(), make_business()
    results = race(*[submit(consumer, business, "same-key") for _ in range(4)])
    assert all(isinstance(r, Complaint) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Complaint.objects.filter(consumer=consumer).count() == 1


def test_the_same_key_with_different_bodies_at_once(reference_data, make_user, make_business):
    consumer, business = make_user(), make_business()
    results = race(submit(consumer, business, "k", claim_amount="1"), submit(consumer, business, "k", claim_amount="2"))
    assert sum(isinstance(r, Complaint) for r in results) == 1, results
    assert sum(isinstance(r, Conflict) and r.code == "idempotency_mismatch" for r in results) == 1, results


def test_the_flood_limit_holds_under_a_burst(reference_data, make_user, make_business):
    consumer, business = make_user(), make_business()
    results = race(*[submit(consumer, business, order_ref=f"B{i}") for i in range(FILING_LIMIT + 3)])
    assert sum(isinstance(r, Complaint) for r in results) == FILING_LIMIT, results
    assert sum(isinstance(r, RateLimited) for r in results) == 3, results
