"""A consumer's counter-offer may rest on a clause of the business's industry
standard, checked as the business's offers are (issue 6)."""

import pytest

from hejie.complaints import services
from hejie.complaints.models import ComplaintEvent, Proposal
from hejie.core.errors import InvalidInput


@pytest.fixture
def operator(make_user):
    return make_user("operator")


def published(operator, industry, clauses, title=None):
    """A standard of ``industry`` with version 1 in force; its clauses by number."""
    from hejie.standards import services as std
    from hejie.standards.models import StandardClause

    standard = std.standard_create(actor=operator, industry=industry, title=title or f"{industry} 服务规范")
    version = std.version_draft(actor=operator, standard=standard)
    for number, text in clauses.items():
        std.clause_set(actor=operator, standard=standard, version=version.version, number=number, text=text)
    std.version_publish(actor=operator, standard=standard, version=version.version)
    return {c.number: c for c in StandardClause.objects.filter(version__standard=standard)}


@pytest.fixture
def offer(delivered, staff):
    return services.proposal_make(actor=staff, complaint=delivered, terms="退一半", amount="19.00")


def test_counter_offer_cites_a_clause_of_the_business_industry(operator, delivered, consumer, offer):
    clauses = published(operator, "catering", {"3.2": "出现异物的菜品，全额退款。"})
    counter = services.proposal_reject(actor=consumer, complaint=delivered, proposal_id=offer.pk, reason="太少",
                                       counter_terms="全额退款", counter_amount="38",
                                       counter_clause_id=clauses["3.2"].pk)
    assert counter.status == Proposal.Status.COUNTER and counter.clause == clauses["3.2"]
    event = ComplaintEvent.objects.get(complaint=delivered, type="proposal_rejected")
    assert event.payload["counter_id"] == counter.pk
    assert event.payload["clause"] == {"id": clauses["3.2"].pk, "number": "3.2", "version": 1,
                                       "standard_id": clauses["3.2"].version.standard_id}


def test_counter_offer_without_a_clause_cites_none(delivered, consumer, offer):
    counter = services.proposal_reject(actor=consumer, complaint=delivered, proposal_id=offer.pk,
                                       counter_terms="全额退款", counter_clause_id=None)
    assert counter.clause is None
    assert "clause" not in ComplaintEvent.objects.get(complaint=delivered, type="proposal_rejected").payload


def test_another_industry_s_clause_is_refused_and_nothing_changes(operator, delivered, consumer, offer):
    other = published(operator, "lodging", {"2.1": "退房时间12点。"})
    with pytest.raises(InvalidInput) as exc:
        services.proposal_reject(actor=consumer, complaint=delivered, proposal_id=offer.pk,
                                 counter_terms="全额退款", counter_clause_id=other["2.1"].pk)
    assert "clause_id" in exc.value.fields
    offer.refresh_from_db()
    assert offer.status == Proposal.Status.PENDING
    assert not Proposal.objects.filter(complaint=delivered, status=Proposal.Status.COUNTER).exists()


def test_a_clause_needs_counter_terms(operator, delivered, consumer, offer):
    clauses = published(operator, "catering", {"3.2": "出现异物的菜品，全额退款。"})
    with pytest.raises(InvalidInput) as exc:
        services.proposal_reject(actor=consumer, complaint=delivered, proposal_id=offer.pk, reason="太少",
                                 counter_clause_id=clauses["3.2"].pk)
    assert "counter_terms" in exc.value.fields
