
import pytest

from hejie.complaints import services as complaints
from hejie.core.errors import Conflict, InvalidInput, NotAllowed
from hejie.standards import services
from hejie.standards.models import StandardAcceptance, StandardVersion
from tests.standards.conftest import clause

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------- versioning


def test_publishing_v2_keeps_v1_and_past_citations(publish, operator, delivered, staff):
    std = publish()
    v1_clause = clause(std, "3.2")
    msg = complaints.message_post(actor=staff, complaint=delivered, body="依据3.2条全额退款", clause_id=v1_clause.pk)

    draft = services.version_draft(actor=operator, standard=std)
    assert draft.version == 2
    assert {c.number for c in draft.clauses.all()} == {"1", "3.2"}  # copied from v1
    services.clause_set(actor=operator, standard=std, version=2, number="3.2", text="异物：退款并赔偿一份。")
    services.clause_set(actor=operator, standard=std, version=2, number="1", text="")  # removed in v2
    services.version_publish(actor=operator, standard=std, version=2)

    versions = {v.version: v.status for v in std.versions.all()}
    assert versions == {1: StandardVersion.Status.WITHDRAWN, 2: StandardVersion.Status.PUBLISHED}
    v1_clause.refresh_from_db()
    assert v1_clause.text == "出现异物的菜品，全额退款。"
    assert {c.number for c in StandardVersion.objects.get(standard=std, version=1).clauses.all()} == {"1", "3.2"}
    msg.refresh_from_db()
    assert msg.clause_id == v1_clause.pk and msg.clause.version.version == 1
    assert clause(std, "3.2").text == "异物：退款并赔偿一份。"


def test_published_versions_are_immutable(publish, operator):
    std = publish()
    with pytest.raises(Conflict):
        services.clause_set(actor=operator, standard=std, version=1, number="3.2", text="改")
    with pytest.raises(Conflict):
        services.version_publish(actor=operator, standard=std, version=1)
    services.version_draft(actor=operator, standard=std)
    with pytest.raises(Conflict):  # one draft at a time
        services.version_draft(actor=operator, standard=std)


def test_clause_numbers_sort_numerically_and_are_checked(operator):
    std = services.standard_create(actor=operator, industry="lodging", title="住宿业服务规范")
    services.version_draft(actor=operator, standard=std)
    for n in ("3.10", "3.2", "10", "2"):
        services.clause_set(actor=operator, standard=std, version=1, number=n, text=f"条款{n}")
    assert [c.number for c in std.versions.get().clauses.all()] == ["2", "3.2", "3.10", "10"]
    for bad in ("", "3.", "a.1", "1..2", "1" * 30):
        with pytest.raises(InvalidInput):
            services.clause_set(actor=operator, standard=std, version=1, number=bad, text="x")


def test_empty_draft_cannot_be_published(operator):
    std = services.standard_create(actor=operator, industry="lodging", title="住宿业服务规范")
    services.version_draft(actor=operator, standard=std)
    with pytest.raises(Conflict):
        services.version_publish(actor=operator, standard=std, version=1)


@pytest.mark.parametrize("role", ["consumer", "business", "council"])
def test_only_operators_write_standards(make_user, business, publish, role):
    std = publish()
    kwargs = {"business": business, "is_business_admin": True} if role == "business" else {}
    if role == "council":
        kwargs["region"] = "420100"
    user = make_user(role, **kwargs)
    with pytest.raises(NotAllowed):
        services.standard_create(actor=user, industry="catering", title="另一个")
    with pytest.raises(NotAllowed):
        services.version_draft(actor=user, standard=std)
    with pytest.raises(NotAllowed):
        services.version_publish(actor=user, standard=std, version=1)


# --------------------------------------------------------------------------- acceptance


def test_acceptance_is_recorded_with_the_version(publish, operator, admin_staff, business, traveller):
    std = publish()
    [acc] = services.standard_accept(actor=admin_staff, business=business)
    assert acc.version.version == 1 and acc.accepted_by == admin_staff and acc.accepted_at == traveller_now()
    assert services.standard_accept(actor=admin_staff, business=business)[0].pk == acc.pk  # idempotent
    services.version_draft(actor=operator, standard=std)
    services.version_publish(actor=operator, standard=std, version=2)
    services.standard_accept(actor=admin_staff, business=business)
    assert sorted(StandardAcceptance.objects.filter(business=business).values_list("version__version", flat=True)) \
        == [1, 2]


def traveller_now():
    from hejie.core import clock

    return clock.now()


def test_acceptance_refused_to_non_admins_and_without_a_standard(make_user, business, staff, admin_staff, publish):
    with pytest.raises(Conflict):
        services.standard_accept(actor=admin_staff, business=business)
    publish()
    for user in (staff, make_user("consumer")):
        with pytest.raises(NotAllowed):
            services.standard_accept(actor=user, business=business)


# --------------------------------------------------------------------------- citation


def test_either_side_cites_and_a_proposal_rests_on_a_clause(publish, delivered, staff, consumer):
    std = publish()
    c = clause(std, "3.2")
    m = complaints.message_post(actor=consumer, complaint=delivered, body="按3.2条应退款", clause_id=c.pk)
    p = complaints.proposal_make(actor=staff, complaint=delivered, terms="按3.2条全额退款", amount="38.00",
                                 clause_id=c.pk)
    assert m.clause == c and p.clause == c
    event = delivered.events.filter(type="proposal").get()
    assert event.payload["clause"] == {"id": c.pk, "number": "3.2", "version": 1, "standard_id": std.pk}


def test_citing_another_industrys_clause_is_refused(publish, delivered, staff, consumer):
    publish()
    other = publish("lodging", {"2.1": "入住前24小时取消，全额退款。"})
    with pytest.raises(InvalidInput) as exc:
        complaints.message_post(actor=consumer, complaint=delivered, body="看条款", clause_id=clause(other, "2.1").pk)
    assert "clause_id" in exc.value.fields
    with pytest.raises(InvalidInput):
        complaints.proposal_make(actor=staff, complaint=delivered, terms="退款", clause_id=clause(other, "2.1").pk)
    assert not delivered.messages.exists() and not delivered.proposals.exists()


def test_a_withdrawn_version_is_citable_only_if_the_business_accepted_it(publish, operator, delivered, staff,
                                                                        admin_staff, business):
    std = publish()
    old = clause(std, "3.2")
    services.version_draft(actor=operator, standard=std)
    services.version_publish(actor=operator, standard=std, version=2)
    with pytest.raises(InvalidInput):
        complaints.message_post(actor=staff, complaint=delivered, body="旧版", clause_id=old.pk)
    StandardAcceptance.objects.create(business=business, version=old.version, accepted_by=admin_staff)
    assert complaints.message_post(actor=staff, complaint=delivered, body="旧版", clause_id=old.pk).clause == old


def test_draft_clauses_are_not_citable(publish, operator, delivered, staff):
    std = publish()
    draft = services.version_draft(actor=operator, standard=std)
    with pytest.raises(InvalidInput):
        complaints.message_post(actor=staff, complaint=delivered, body="草稿",
                                clause_id=draft.clauses.get(number="3.2").pk)


def test_joining_accepts_the_industrys_standards_in_force(publish, make_user):
    from hejie.businesses.services import business_apply
    from hejie.standards.models import StandardAcceptance
    from tests.conftest import make_credit_code

    standard = publish("lodging", {"2.1": "到店前24小时取消，全额退款。"})
    applicant = make_user("consumer")
    business = business_apply(applicant=applicant, name="江城印象酒店", credit_code=make_credit_code(),
                              industry="lodging", region_code="420102")
    acceptance = StandardAcceptance.objects.get(business=business)
    assert acceptance.version.standard == standard and acceptance.version.version == 1
    assert acceptance.accepted_by == applicant
    # an industry with no standard in force: joining still works, nothing recorded
    other = business_apply(applicant=make_user("consumer"), name="某健身房", credit_code=make_credit_code(),
                           industry="services", region_code="420102")
    assert not StandardAcceptance.objects.filter(business=other).exists()


def test_standards_plug_themselves_into_joining_and_businesses_joins_without_them(publish, make_user, monkeypatch):
    from hejie.businesses import services as businesses
    from hejie.businesses.models import Industry
    from tests.conftest import make_credit_code

    joining = businesses.joining_standards()
    assert (joining.in_force, joining.accept) == (services.standards_in_force, services.standards_accept_on_joining)
    publish("lodging", {"2.1": "到店前24小时取消，全额退款。"})
    assert services.standards_in_force(Industry.objects.get(code="lodging"))
    assert not services.standards_in_force(Industry.objects.get(code="services"))
    # businesses alone (nothing registered): joining asks for and records no standard
    monkeypatch.setattr(businesses, "_joining_standards", businesses.JoiningStandards(
        in_force=businesses._no_standards_in_force, accept=businesses._nothing_to_accept))
    business = businesses.business_apply(applicant=make_user("consumer"), name="江城印象酒店",
                                         credit_code=make_credit_code(), industry="lodging", region_code="420102")
    assert not StandardAcceptance.objects.filter(business=business).exists()
