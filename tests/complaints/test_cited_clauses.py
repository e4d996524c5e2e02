"""The council's ranking of the service-standard clauses cited most in orders
(hejie.complaints.selectors.clauses_cited: it reads complaints' messages and
proposals, so it lives above standards). The API's side is tests/standards/test_api.py."""

import datetime as dt

import pytest

from hejie.businesses.models import Industry
from hejie.complaints import selectors
from hejie.complaints import services as complaints
from hejie.core import clock
from hejie.regions.models import Region
from tests.standards.conftest import clause

pytestmark = pytest.mark.django_db


def test_clauses_cited_most_per_industry(publish, delivered, staff, consumer, make_business, make_user,
                                         file_complaint, traveller):
    std = publish()
    lodging = publish("lodging", {"2.1": "取消规则"})
    c32, c1 = clause(std, "3.2"), clause(std, "1")
    for _ in range(3):
        complaints.message_post(actor=consumer, complaint=delivered, body="3.2", clause_id=c32.pk)
    complaints.proposal_make(actor=staff, complaint=delivered, terms="退款", clause_id=c1.pk)

    hotel = make_business("江汉宾馆", industry="lodging")
    make_user("business", business=hotel)
    order = file_complaint(biz=hotel, order_ref="H1")
    complaints.message_post(actor=consumer, complaint=order, body="2.1", clause_id=clause(lodging, "2.1").pk)

    rows = selectors.clauses_cited(region=Region.objects.get(code="420100"))
    ranking = {r["industry"]["code"]: [(c["number"], c["citations"]) for c in r["clauses"]] for r in rows}
    assert ranking == {"catering": [("3.2", 3), ("1", 1)], "lodging": [("2.1", 1)]}

    only = selectors.clauses_cited(region=None, industry=Industry.objects.get(code="lodging"))
    assert [r["industry"]["code"] for r in only] == ["lodging"]
    assert selectors.clauses_cited(region=Region.objects.get(code="110000")) == []
    later = clock.now() + dt.timedelta(seconds=1)
    assert selectors.clauses_cited(region=None, since=later) == []
