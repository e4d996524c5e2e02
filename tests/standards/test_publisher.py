"""Association staff write and publish their own association's standards,
for the industries it covers; everyone else is refused. Operators keep
their rights."""

import pytest

from hejie.core.errors import InvalidInput, NotAllowed
from hejie.standards import services
from hejie.standards.models import StandardVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def association(db):
    from hejie.businesses.models import Industry
    from hejie.partners.models import Partner
    from hejie.regions.models import Region

    def make(name="湖北省餐饮行业协会", industries=("catering",), status="active"):
        p = Partner.objects.create(name=name, kind="association", region=Region.objects.get(code="420000"),
                                   status=status)
        p.industries.set(Industry.objects.filter(code__in=industries))
        return p

    return make


@pytest.fixture
def writer(association, make_user):
    return make_user("partner", partner=association())


def write_and_publish(actor, standard, clauses=None):
    version = services.version_draft(actor=actor, standard=standard)
    for number, text in (clauses or {"1": "明码标价。"}).items():
        services.clause_set(actor=actor, standard=standard, version=version.version, number=number, text=text)
    return services.version_publish(actor=actor, standard=standard, version=version.version)


def test_association_staff_write_and_publish_their_own(writer):
    standard = services.standard_create(actor=writer, industry="catering", title="餐饮服务规范",
                                        publisher_name="随便写的名字")
    assert standard.publisher_id == writer.partner_id and standard.publisher_name == "湖北省餐饮行业协会"
    published = write_and_publish(writer, standard, {"3.2": "出现异物的菜品，全额退款。"})
    assert published.status == "published" and published.published_by == writer
    write_and_publish(writer, standard, {"3.2": "出现异物的菜品，全额退款并赔偿。"})
    assert StandardVersion.objects.filter(standard=standard, status="published").get().version == 2


def test_not_for_an_industry_the_association_does_not_cover(writer):
    with pytest.raises(NotAllowed):
        services.standard_create(actor=writer, industry="lodging", title="住宿服务规范")


def test_operators_keep_their_rights_and_name_the_publisher(make_user, association, writer):
    operator = make_user("operator")
    own = association("湖北省住宿行业协会", industries=("lodging",))
    standard = services.standard_create(actor=operator, industry="catering", title="餐饮规范", publisher=writer.partner)
    assert standard.publisher_id == writer.partner_id
    write_and_publish(operator, standard)
    write_and_publish(writer, standard)  # the association may take it over from there
    with pytest.raises(InvalidInput):
        services.standard_create(actor=operator, industry="catering", title="别的", publisher=999999)
    services.standard_create(actor=operator, industry="lodging", title="住宿规范", publisher=own)


@pytest.mark.parametrize("who", ["other_association", "platform_staff", "business_staff", "council", "consumer",
                                 "suspended_association"])
def test_refused(who, writer, association, make_user, make_partner_for_standards, business):
    standard = services.standard_create(actor=writer, industry="catering", title="餐饮服务规范")
    draft = services.version_draft(actor=writer, standard=standard)
    services.clause_set(actor=writer, standard=standard, version=1, number="1", text="明码标价。")
    actor = {
        "other_association": lambda: make_user("partner", partner=association("武汉市餐饮协会")),
        "platform_staff": lambda: make_user("partner", partner=make_partner_for_standards("platform")),
        "business_staff": lambda: make_user("business", business=business, is_business_admin=True),
        "council": lambda: make_user("council", region="420000"),
        "consumer": lambda: make_user("consumer"),
        "suspended_association": lambda: make_user(
            "partner", partner=association("停用协会", status="suspended")),
    }[who]()
    with pytest.raises(NotAllowed):
        services.clause_set(actor=actor, standard=standard, version=draft.version, number="2", text="偷改")
    with pytest.raises(NotAllowed):
        services.version_publish(actor=actor, standard=standard, version=draft.version)
    if who == "other_association":  # it may write its own standard for the industry, under its own name
        own = services.standard_create(actor=actor, industry="catering", title="另一规范")
        assert own.publisher_id == actor.partner_id != standard.publisher_id
    else:
        with pytest.raises(NotAllowed):
            services.standard_create(actor=actor, industry="catering", title="冒名标准")
    draft.refresh_from_db()
    assert draft.status == "draft" and list(draft.clauses.values_list("number", flat=True)) == ["1"]
    services.version_publish(actor=writer, standard=standard, version=draft.version)
    with pytest.raises(NotAllowed):
        services.version_draft(actor=actor, standard=standard)


def test_association_cannot_publish_under_another_name(writer, association):
    other = association("武汉市餐饮协会")
    with pytest.raises(NotAllowed):
        services.standard_create(actor=writer, industry="catering", title="冒名", publisher=other)


@pytest.fixture
def make_partner_for_standards(db):
    from hejie.partners.models import Partner
    from hejie.regions.models import Region

    def make(kind):
        return Partner.objects.create(name=f"某{kind}", kind=kind, region=Region.objects.get(code="420000"),
                                      status="active")

    return make


def test_api_association_staff_create_and_publish(api, writer, make_user, association):
    r = api.post("/standards", {"industry": "catering", "title": "餐饮服务规范"}, as_=writer)
    assert r.status_code == 201, r.content
    sid = r.json()["id"]
    assert r.json()["publisher_id"] == writer.partner_id
    assert api.post(f"/standards/{sid}/versions/1/clauses", {"number": "1", "text": "明码标价。"},
                    as_=writer).status_code == 200
    other = make_user("partner", partner=association("武汉市餐饮协会"))
    assert api.get(f"/standards/{sid}", as_=writer, version=1).json()["version"]["status"] == "draft"
    assert api.get(f"/standards/{sid}", as_=other, version=1).status_code == 404  # another's draft is not shown
    assert api.post(f"/standards/{sid}/versions/1/publish", as_=other).status_code == 403
    assert api.post(f"/standards/{sid}/versions/1/publish", as_=writer).status_code == 200
    assert api.post("/standards", {"industry": "lodging", "title": "住宿"}, as_=writer).status_code == 403
    listed = api.get("/standards").json()
    assert [s["publisher_id"] for s in listed if s["id"] == sid] == [writer.partner_id]
