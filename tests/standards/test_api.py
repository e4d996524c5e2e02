import pytest

from hejie.standards.models import StandardAcceptance
from tests.standards.conftest import clause

pytestmark = pytest.mark.django_db


def test_public_list_and_detail_with_older_versions(api, publish, operator):
    std = publish()
    publish("lodging", {"2.1": "取消规则"})
    r = api.get("/standards")
    assert r.status_code == 200
    assert [(s["industry"]["code"], s["current_version"]) for s in r.json()] == [("catering", 1), ("lodging", 1)]
    assert [s["industry"]["code"] for s in api.get("/standards", industry="lodging").json()] == ["lodging"]

    assert api.post(f"/standards/{std.pk}/versions", as_=operator).status_code == 201
    r = api.post(f"/standards/{std.pk}/versions/2/clauses", {"number": "3.2", "text": "新版文字"}, as_=operator)
    assert r.status_code == 200 and r.json()["version"]["status"] == "draft"
    assert api.get(f"/standards/{std.pk}").json()["version"]["version"] == 1  # drafts are not public
    assert api.get(f"/standards/{std.pk}", version=2).status_code == 404
    r = api.post(f"/standards/{std.pk}/versions/2/publish", as_=operator)
    assert r.status_code == 200 and r.json()["version"]["status"] == "published"

    current = api.get(f"/standards/{std.pk}").json()
    assert current["version"]["version"] == 2
    assert {c["number"]: c["text"] for c in current["version"]["clauses"]}["3.2"] == "新版文字"
    old = api.get(f"/standards/{std.pk}", version=1).json()
    assert old["version"]["status"] == "withdrawn"
    assert {c["number"]: c["text"] for c in old["version"]["clauses"]}["3.2"] == "出现异物的菜品，全额退款。"
    r = api.post(f"/standards/{std.pk}/versions/1/clauses", {"number": "3.2", "text": "x"}, as_=operator)
    assert r.status_code == 409


def test_operator_creates_a_standard_with_a_first_draft(api, operator):
    r = api.post("/standards", {"industry": "lodging", "title": "住宿业服务规范", "publisher_name": "省旅游饭店协会"},
                 as_=operator)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["version"] == {"version": 1, "status": "draft", "published_at": None, "withdrawn_at": None,
                               "clauses": []}
    assert api.get(f"/standards/{body['id']}").status_code == 404  # nothing published yet
    assert api.post("/standards", {"industry": "lodging", "title": "住宿业服务规范"}, as_=operator).status_code == 409
    assert api.post("/standards", {"industry": "nope", "title": "x"}, as_=operator).status_code == 422


def test_writes_are_refused_to_other_roles(api, publish, consumer, staff, council, make_user, business):
    std = publish()
    admin = make_user("business", business=business, is_business_admin=True)
    for user in (consumer, staff, council, admin):
        assert api.post("/standards", {"industry": "retail", "title": "x"}, as_=user).status_code == 403
        assert api.post(f"/standards/{std.pk}/versions", as_=user).status_code == 403
        assert api.post(f"/standards/{std.pk}/versions/1/publish", as_=user).status_code == 403
    assert api.post("/standards", {"industry": "retail", "title": "x"}).status_code == 401


def test_business_admin_accepts_its_industrys_current_version(api, publish, business, make_user, staff, consumer):
    publish()
    publish("lodging", {"1": "x"})
    admin = make_user("business", business=business, is_business_admin=True)
    r = api.post("/standards/accept", as_=admin)
    assert r.status_code == 200, r.content
    assert [(a["version"], a["title"]) for a in r.json()] == [(1, "catering 服务规范")]
    assert StandardAcceptance.objects.get(business=business).version.version == 1
    assert api.post("/standards/accept", as_=staff).status_code == 403
    assert api.post("/standards/accept", as_=consumer).status_code == 403
    assert api.post("/standards/accept").status_code == 401


def test_citation_shows_in_messages_proposals_and_order_detail(api, publish, delivered, staff, consumer):
    std = publish()
    c = clause(std, "3.2")
    r = api.post(f"/complaints/{delivered.pk}/messages", {"body": "请按3.2条处理", "clause_id": c.pk}, as_=consumer)
    assert r.status_code == 201, r.content
    cited = {"id": c.pk, "standard_id": std.pk, "standard_title": std.title, "version": 1, "number": "3.2",
             "text": "出现异物的菜品，全额退款。"}
    assert r.json()["clause"] == cited
    r = api.post(f"/complaints/{delivered.pk}/proposals", {"terms": "按3.2条全额退款", "amount": "38.00",
                                                          "clause_id": c.pk}, as_=staff)
    assert r.status_code == 201, r.content
    assert r.json()["clause"] == cited
    detail = api.get(f"/complaints/{delivered.pk}", as_=consumer).json()
    assert [m["clause"] for m in detail["messages"]] == [cited]
    assert [p["clause"] for p in detail["proposals"]] == [cited]
    plain = api.post(f"/complaints/{delivered.pk}/messages", {"body": "好的"}, as_=staff)
    assert plain.status_code == 201 and plain.json()["clause"] is None


def test_citing_another_industry_is_422(api, publish, delivered, consumer, staff):
    publish()
    hotel = publish("lodging", {"2.1": "取消规则"})
    r = api.post(f"/complaints/{delivered.pk}/messages", {"body": "x", "clause_id": clause(hotel, "2.1").pk},
                 as_=consumer)
    assert r.status_code == 422 and "clause_id" in r.json()["error"]["fields"]
    r = api.post(f"/complaints/{delivered.pk}/proposals", {"terms": "退款", "clause_id": 999999}, as_=staff)
    assert r.status_code == 422


def test_cited_ranking_for_the_council_only(api, publish, delivered, consumer, council, staff, make_user):
    std = publish()
    for _ in range(2):
        api.post(f"/complaints/{delivered.pk}/messages", {"body": "x", "clause_id": clause(std, "3.2").pk},
                 as_=consumer)
    r = api.get("/standards/cited", as_=council)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["region"]["code"] == "420100"
    assert [(c["number"], c["citations"]) for c in body["industries"][0]["clauses"]] == [("3.2", 2)]
    assert api.get("/standards/cited", as_=council, region="420102").status_code == 200
    assert api.get("/standards/cited", as_=council, region="110000").status_code == 403
    assert api.get("/standards/cited", as_=make_user("operator"), industry="catering").status_code == 200
    for user in (consumer, staff):
        assert api.get("/standards/cited", as_=user).status_code == 403
    assert api.get("/standards/cited").status_code == 401


@pytest.mark.parametrize("path", [
    "/standards/0", "/standards/abc", "/standards/99999999999999999999", "/standards/1?version=-1",
    "/standards/1?version=x", "/standards?industry=%00", "/standards?industry=" + "x" * 100, "/standards?bogus=1",
    "/standards/cited?region=abc", "/standards/cited?region=999999", "/standards/cited?industry=nope",
    "/standards/cited?since=yesterday", "/standards/cited?since=2026-01-01T00:00:00",
])
def test_no_500_on_garbage_reads(api, council, path, publish):
    publish()
    r = api.client.get(f"/api/v1{path}", headers=api._headers(council, None))
    assert r.status_code < 500, (path, r.status_code, r.content)


@pytest.mark.parametrize("body", [
    {"number": "1", "text": "\x00"}, {"number": 1, "text": "x"}, {"number": "1"}, {"number": "1", "text": "x" * 5000},
    {"number": "1", "text": "x", "extra": 1}, {"number": "x.y", "text": "x"}, "[]", "not json",
])
def test_no_500_on_garbage_writes(api, operator, body):
    std = api.post("/standards", {"industry": "retail", "title": "零售"}, as_=operator).json()
    raw = body if isinstance(body, str) else None
    r = api.post(f"/standards/{std['id']}/versions/1/clauses", None if raw else body, as_=operator, raw=raw)
    assert 400 <= r.status_code < 500, (body, r.status_code, r.content)


@pytest.mark.parametrize("clause_id", [0, -1, "1", 2**70, None, True, 1.5])
def test_no_500_on_garbage_clause_ids(api, delivered, consumer, clause_id):
    r = api.post(f"/complaints/{delivered.pk}/messages", {"body": "x", "clause_id": clause_id}, as_=consumer)
    assert r.status_code in (201, 422), (clause_id, r.status_code, r.content)


def test_order_detail_costs_the_same_queries_with_many_citations(api, publish, delivered, consumer, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    std = publish()
    c = clause(std, "3.2")
    api.post(f"/complaints/{delivered.pk}/messages", {"body": "x", "clause_id": c.pk}, as_=consumer)
    with CaptureQueriesContext(connection) as one:
        assert api.get(f"/complaints/{delivered.pk}", as_=consumer).status_code == 200
    for number in ("1", "3.2", "1"):
        api.post(f"/complaints/{delivered.pk}/messages", {"body": "x", "clause_id": clause(std, number).pk},
                 as_=consumer)
        api.post(f"/complaints/{delivered.pk}/proposals", {"terms": "退款", "clause_id": clause(std, number).pk},
                 as_=staff)
    with CaptureQueriesContext(connection) as many:
        assert api.get(f"/complaints/{delivered.pk}", as_=consumer).status_code == 200
    # one query more per level (clause, version, standard) for the proposals, whatever their number
    assert len(one.captured_queries) > 0
    assert len(many.captured_queries) <= len(one.captured_queries) + 3, [q["sql"] for q in many.captured_queries]


def test_operator_admin_pages_render(client, make_user, publish, admin_staff, business):
    from hejie.standards import services
    from hejie.standards.models import StandardVersion

    std = publish()
    services.standard_accept(actor=admin_staff, business=business)
    client.force_login(make_user("operator", is_staff=True, is_superuser=True))
    version = StandardVersion.objects.get(standard=std)
    for url in ("/admin/standards/servicestandard/", f"/admin/standards/servicestandard/{std.pk}/change/",
                "/admin/standards/standardversion/", f"/admin/standards/standardversion/{version.pk}/change/",
                "/admin/standards/standardacceptance/"):
        assert client.get(url).status_code == 200, url


def test_a_refusal_reads_in_the_requested_language(api, publish, operator):
    std = publish()
    path = f"/standards/{std.pk}/versions/1/clauses"
    r = api.post(path, {"number": "3.2", "text": "x"}, as_=operator)
    assert r.status_code == 409 and r.json()["error"]["message"] == "第1版已发布，不能修改；请起草新版本"
    r = api.post(path, {"number": "3.2", "text": "x"}, as_=operator, headers={"Accept-Language": "en"})
    assert r.json()["error"]["message"] == "Version 1 is published and cannot change: draft a new version"


def test_a_missing_field_is_named_by_its_translated_label(api, operator):
    """core.validation translates the field's label with the message."""
    body = {"industry": "lodging", "title": " ", "publisher_name": "省旅游饭店协会"}
    r = api.post("/standards", body, as_=operator)
    assert r.status_code == 422 and r.json()["error"]["fields"] == {"title": "请填写标准名称"}
    r = api.post("/standards", body, as_=operator, headers={"Accept-Language": "en"})
    assert r.json()["error"]["fields"] == {"title": "Title is required"}
