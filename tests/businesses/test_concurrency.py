"""Races that only real row locks settle: PostgreSQL only (SQLite serialises every writer anyway)."""


import pytest
from django.db import connection

from hejie.businesses.models import Business
from hejie.businesses.services import business_apply, business_approve, business_suspend
from hejie.core.errors import Conflict
from tests.concurrency import race
from tests.conftest import make_credit_code

pytestmark = [
    pytest.mark.pg_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def test_two_applications_with_one_credit_code_give_one_business(reference_data, make_user):
    code = make_credit_code()
    applicants = [make_user("consumer"), make_user("consumer")]

    def apply(applicant):
        return lambda: business_apply(
            applicant=applicant, name="武汉热干面馆", credit_code=code, industry="catering", region_code="420102"
        )

    results = race(apply(applicants[0]), apply(applicants[1]))
    made = [r for r in results if isinstance(r, Business)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(made) == 1 and len(conflicts) == 1, results
    assert Business.objects.filter(credit_code=code).count() == 1


def test_approve_and_suspend_at_once_have_one_winner(reference_data, make_business, make_user):
    applied = make_business(status="applied")
    wuhan = make_user("council", region="420100")
    hubei = make_user("council", region="420000")
    results = race(
        lambda: business_approve(actor=wuhan, business=applied.pk),
        lambda: business_approve(actor=hubei, business=applied.pk),
    )
    assert sum(isinstance(r, Business) for r in results) == 1, results
    assert sum(isinstance(r, Conflict) for r in results) == 1, results

    results = race(
        lambda: business_suspend(actor=wuhan, business=applied.pk, reason="一"),
        lambda: business_suspend(actor=hubei, business=applied.pk, reason="二"),
    )
    assert sum(isinstance(r, Business) for r in results) == 1, results
    applied.refresh_from_db()
    assert applied.status == Business.Status.SUSPENDED and applied.status_reason in {"一", "二"}


def test_two_applications_again_of_one_refused_business_give_one(reference_data, make_business, make_user):
    refused = make_business("被拒的店", status="refused", status_reason="材料不全")

    def apply(name):
        return lambda: business_apply(applicant=None, name=name, credit_code=refused.credit_code,
                                      industry="catering", region_code="420102",
                                      stores=[{"name": f"{name}门店", "region_code": "420102"}])

    results = race(apply("甲"), apply("乙"))
    made = [r for r in results if isinstance(r, Business)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(made) == 1 and len(conflicts) == 1, results
    refused.refresh_from_db()
    assert refused.status == Business.Status.APPLIED and refused.name == made[0].name
    assert list(refused.stores.values_list("name", flat=True)) == [f"{made[0].name}门店"]
