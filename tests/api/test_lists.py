"""/api/v1/lists: the black and red lists — rules, decisions (who, when, why),
refusals from the side of the refused, and masking (nothing about consumers)."""

import datetime as dt
from decimal import Decimal

import pytest

from hejie.businesses.models import Business
from hejie.complaints import services as svc
from hejie.core import clock
from hejie.notifications.models import Notification
from hejie.ratings import lists
from hejie.ratings.models import BlacklistEntry, ListDecision, RedListEntry
from tests.conftest import T0

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def file(make_user, biz, ref):
    return svc.complaint_submit(
        consumer=make_user("consumer"), business_id=biz.pk, problem_type="quality",
        description="买的热干面里有异物，要求退款。", claim_type="refund", claim_amount="38.00", order_ref=ref,
    )


def settle_now(complaint, staff):
    p = svc.proposal_make(actor=staff, complaint=complaint, terms="全额退款", amount="38.00")
    svc.proposal_accept(actor=complaint.consumer, complaint=complaint, proposal_id=p.pk)


def fail_three(make_user, biz, staff, prefix="f"):
    cases = []
    for i in range(3):
        c = file(make_user, biz, f"{prefix}{i}")
        svc.complaint_refuse(actor=staff, complaint=c, reason="不同意退款")
        cases.append(c)
    return cases


@pytest.fixture
def yichang_council(make_user):
    return make_user("council", region="420500")


@pytest.fixture
def candidate(traveller, make_user, business, staff):
    """A black-list candidate: three failed cases of 武汉热干面馆 (江岸区)."""
    cases = fail_three(make_user, business, staff)
    entry = BlacklistEntry.objects.get(business=business)
    assert entry.status == "candidate"
    return entry, cases


def make_red_ready(make_user, biz, staff, n=10, prefix="s"):
    """``n`` cases settled at once (5 stars, 10 points each)."""
    return [settle_now(file(make_user, biz, f"{prefix}{i}"), staff) for i in range(n)]


@pytest.fixture
def red_ready(traveller, make_user, business, staff):
    make_red_ready(make_user, business, staff)
    business.refresh_from_db()
    assert business.credit_index == Decimal("8.67")  # (5×6 + 10×10) / 15
    return business


# --------------------------------------------------------------------------- black list


def test_a_candidate_is_not_public_until_a_council_member_publishes_it(api, candidate, council, staff,
                                                                       django_capture_on_commit_callbacks):
    entry, cases = candidate
    assert api.get("/lists/black").json()["items"] == []
    [listed] = api.get("/lists/black/candidates", as_=council).json()["items"]
    assert listed["id"] == entry.pk and listed["status"] == "candidate" and len(listed["cases"]) == 3

    r = api.post(f"/lists/black/{entry.pk}/publish", {"reason": "三次拒绝和解，整改前公示"}, as_=council)
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "published" and r.json()["reason"] == "三次拒绝和解，整改前公示"

    [public] = api.get("/lists/black").json()["items"]
    assert public["business"] == {"id": entry.business_id, "name": "武汉热干面馆",
                                  "region": {"code": "420102", "name": "湖北省武汉市江岸区"}}
    assert public["rule"] == "failed_cases" and "失败3件" in public["rule_reason"]
    assert public["published_at"].startswith("2026-03-15")
    assert sorted(c["number"] for c in public["cases"]) == sorted(c.number for c in cases)
    assert {(c["filed_on"], c["ended_on"], c["outcome"], c["took_up"]) for c in public["cases"]} == {
        ("2026-03-15", "2026-03-15", "failed", True)}

    decision = ListDecision.objects.get(blacklist_entry=entry)
    assert (decision.action, decision.actor_id, decision.reason, decision.created_at) == (
        "publish", council.pk, "三次拒绝和解，整改前公示", T0)
    entry.refresh_from_db()
    assert (entry.decided_by_id, entry.decided_at, entry.published_at) == (council.pk, T0, T0)
    assert Notification.objects.filter(user=staff, event="blacklist_published").exists()
    assert api.get(f"/businesses/{entry.business_id}").json()["on_black_list"] is True


def test_the_lists_say_nothing_about_consumers(api, candidate, council, make_business, make_user):
    entry, cases = candidate
    api.post(f"/lists/black/{entry.pk}/publish", {"reason": "公示"}, as_=council)
    for path, who in [("/lists/black", None), ("/lists/black/candidates", council), ("/lists/red", None)]:
        text = api.get(path, as_=who).content.decode()
        for c in cases:
            # neither the number nor its masked form (its last four digits alone could be a case number's)
            assert c.consumer.phone not in text and "****" + c.consumer.phone[-4:] not in text
            assert f'"consumer_id": {c.consumer_id}' not in text and c.consumer.username not in text
        assert "consumer" not in text and "phone" not in text
        assert "异物" not in text and "38.00" not in text  # the complaint's words and amounts stay on the order


def test_refused_sides_of_publishing(api, candidate, consumer, staff, yichang_council, make_user):
    entry, _ = candidate
    path = f"/lists/black/{entry.pk}/publish"
    body = {"reason": "公示"}
    assert api.post(path, body).status_code == 401
    assert api.post(path, body, as_=consumer).status_code == 404  # a candidate does not exist for them
    assert api.post(path, body, as_=staff).status_code == 404  # nor for the business itself
    assert api.post(path, body, as_=yichang_council).status_code == 404  # nor for another city's council
    assert BlacklistEntry.objects.get(pk=entry.pk).status == "candidate"
    assert not ListDecision.objects.exists()
    # candidates are council business
    assert api.get("/lists/black/candidates").status_code == 401
    assert api.get("/lists/black/candidates", as_=consumer).status_code == 403
    assert api.get("/lists/black/candidates", as_=staff).status_code == 403
    assert api.get("/lists/black/candidates", as_=yichang_council).json()["items"] == []
    r = api.get("/lists/black/candidates", as_=yichang_council, region="420100")
    assert r.status_code == 403
    # a province council sees and decides
    hubei = make_user("council", region="420000")
    assert len(api.get("/lists/black/candidates", as_=hubei).json()["items"]) == 1
    assert api.post(path, body, as_=hubei).status_code == 200


def test_publishing_needs_a_reason_and_happens_once(api, candidate, council):
    entry, _ = candidate
    path = f"/lists/black/{entry.pk}/publish"
    for body in ({}, {"reason": "   "}, {"reason": "x" * 1001}, {"reason": "ok", "extra": 1}):
        r = api.post(path, body, as_=council)
        assert r.status_code == 422, body
    assert api.post(path, {"reason": "公示"}, as_=council).status_code == 200
    r = api.post(path, {"reason": "再次公示"}, as_=council)
    assert r.status_code == 409 and r.json()["error"]["code"] == "wrong_state"
    assert ListDecision.objects.count() == 1
    assert api.post("/lists/black/987654/publish", {"reason": "x"}, as_=council).status_code == 404


def test_a_dismissed_candidate_never_shows(api, candidate, council, staff):
    entry, _ = candidate
    r = api.post(f"/lists/black/{entry.pk}/dismiss", {"reason": "经核实系消费者恶意投诉"}, as_=council)
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    assert api.get("/lists/black").json()["items"] == []
    assert api.get("/lists/black/candidates", as_=council).json()["items"] == []
    assert api.post(f"/lists/black/{entry.pk}/publish", {"reason": "x"}, as_=council).status_code == 409
    assert ListDecision.objects.get().action == "dismiss"
    assert Notification.objects.filter(user=staff, event="blacklist_dismissed").exists()


def test_removal_from_the_black_list(api, candidate, council, yichang_council, consumer):
    entry, _ = candidate
    api.post(f"/lists/black/{entry.pk}/publish", {"reason": "公示"}, as_=council)
    path = f"/lists/black/{entry.pk}/remove"
    # a published entry is public: outsiders are told they may not, not that it is missing
    assert api.post(path, {"reason": "x"}, as_=yichang_council).status_code == 403
    assert api.post(path, {"reason": "x"}, as_=consumer).status_code == 403
    r = api.post(path, {"reason": "已整改，经复核移出"}, as_=council)
    assert r.status_code == 200 and r.json()["status"] == "removed"
    assert api.get("/lists/black").json()["items"] == []
    assert [d.action for d in ListDecision.objects.filter(blacklist_entry=entry)] == ["publish", "remove"]
    assert api.post(path, {"reason": "again"}, as_=council).status_code == 409
    assert api.get(f"/businesses/{entry.business_id}").json()["on_black_list"] is False


def test_black_list_pages_and_filters_by_region(api, traveller, make_business, make_user, council):
    operator = make_user("operator")
    for i, region in enumerate(["420102", "420106", "420502"]):
        biz = make_business(f"商户{i}", region=region)
        fail_three(make_user, biz, make_user("business", business=biz), prefix=f"b{i}-")
        traveller.shift(H)
        lists.blacklist_publish(actor=operator, entry=BlacklistEntry.objects.get(business=biz), reason="公示")
    names = [e["business"]["name"] for e in api.get("/lists/black").json()["items"]]
    assert names == ["商户2", "商户1", "商户0"]  # newest first
    page = api.get("/lists/black", size=2).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = api.get("/lists/black", size=2, cursor=page["next_cursor"]).json()
    assert [e["business"]["name"] for e in rest["items"]] == ["商户0"] and rest["next_cursor"] is None
    assert [e["business"]["name"] for e in api.get("/lists/black", region="420100").json()["items"]] == [
        "商户1", "商户0"]


@pytest.mark.parametrize(("path", "params", "field"), [
    ("/lists/black", {"size": 1000}, "size"),
    ("/lists/black", {"region": "abc"}, "region"),
    ("/lists/black", {"cursor": "abc"}, "cursor"),
    ("/lists/red", {"size": 1000}, "size"),
    ("/lists/red", {"region": "123456"}, "region"),
])
def test_bad_list_queries_are_422(api, db, path, params, field):
    r = api.get(path, **params)
    assert r.status_code == 422 and field in r.json()["error"]["fields"], r.json()


def test_black_list_queries_do_not_grow_with_entries(api, traveller, make_business, make_user,
                                                     django_assert_max_num_queries):
    operator = make_user("operator")
    for i in range(4):
        biz = make_business(f"商户{i}")
        fail_three(make_user, biz, make_user("business", business=biz), prefix=f"q{i}-")
        lists.blacklist_publish(actor=operator, entry=BlacklistEntry.objects.get(business=biz), reason="公示")
    with django_assert_max_num_queries(2):  # entries with business and region; their cases
        assert len(api.get("/lists/black").json()["items"]) == 4


# --------------------------------------------------------------------------- red list


def test_red_list_candidates_follow_the_rule(traveller, make_business, make_user):
    def staffed(name):
        biz = make_business(name)
        return biz, make_user("business", business=biz)

    good, good_staff = staffed("好商户")
    make_red_ready(make_user, good, good_staff)
    few, few_staff = staffed("案件太少")
    make_red_ready(make_user, few, few_staff, n=9)
    failing, failing_staff = staffed("和解率不够")
    make_red_ready(make_user, failing, failing_staff, n=17)
    for i in range(2):  # 17 of 19 = 89 % settled; index (30 + 170) / 24 = 8.33
        svc.complaint_refuse(actor=failing_staff, complaint=file(make_user, failing, f"x{i}"), reason="不同意")
    blacklisted, bl_staff = staffed("有黑榜候选")
    make_red_ready(make_user, blacklisted, bl_staff, n=20)
    BlacklistEntry.objects.create(business=blacklisted, rule="failed_cases", reason="x")
    dismissed, d_staff = staffed("候选已驳回")
    make_red_ready(make_user, dismissed, d_staff)
    BlacklistEntry.objects.create(business=dismissed, rule="failed_cases", reason="x", status="dismissed")

    names = {r["business"].name for r in lists.redlist_candidates(region=None)}
    assert names == {"好商户", "候选已驳回"}
    assert Business.objects.get(pk=failing.pk).credit_index >= lists.RED_MIN_CREDIT_INDEX  # rate is what fails it
    [row] = [r for r in lists.redlist_candidates(region=None) if r["business"] == good]
    assert (row["cases"], row["settled"], row["settlement_rate"]) == (10, 10, 1.0)
    assessed = lists.redlist_assess(business=Business.objects.get(pk=failing.pk))
    assert assessed["unmet"] == ["和解率低于90%"]


def test_a_black_list_publication_within_the_window_bars_the_red_list(traveller, make_business, make_user):
    biz = make_business("曾上黑榜")
    staff = make_user("business", business=biz)
    BlacklistEntry.objects.create(business=biz, rule="failed_cases", reason="x", status="removed",
                                  published_at=clock.now() - 300 * D)
    make_red_ready(make_user, biz, staff)
    assert lists.redlist_candidates(region=None) == []
    traveller.shift(70 * D)  # the publication is now 370 days old; the cases 70 days
    assert [r["business"].name for r in lists.redlist_candidates(region=None)] == ["曾上黑榜"]


def test_the_council_confirms_a_red_list_candidate(api, red_ready, council, staff,
                                                   django_capture_on_commit_callbacks):
    [cand] = api.get("/lists/red/candidates", as_=council).json()["items"]
    assert cand["business"]["id"] == red_ready.pk and cand["cases"] == 10 and cand["settlement_rate"] == 1.0
    r = api.post("/lists/red", {"business_id": red_ready.pk, "reason": "连续十件24小时内和解"}, as_=council)
    assert r.status_code == 201, r.json()
    assert r.json()["status"] == "confirmed" and r.json()["confirmed_at"].startswith("2026-03-15")
    [public] = api.get("/lists/red").json()["items"]
    assert public["business"]["name"] == "武汉热干面馆" and public["reason"] == "连续十件24小时内和解"
    assert public["credit_index"] == pytest.approx(8.67)
    assert api.get("/lists/red/candidates", as_=council).json()["items"] == []
    assert api.get(f"/businesses/{red_ready.pk}").json()["on_red_list"] is True
    d = ListDecision.objects.get()
    assert (d.action, d.actor_id, d.redlist_entry_id) == ("confirm", council.pk, r.json()["id"])
    assert Notification.objects.filter(user=staff, event="redlist_confirmed").exists()
    again = api.post("/lists/red", {"business_id": red_ready.pk, "reason": "again"}, as_=council)
    assert again.status_code == 409 and again.json()["error"]["code"] == "duplicate"


def test_refused_sides_of_confirming(api, red_ready, consumer, staff, yichang_council, make_user):
    body = {"business_id": red_ready.pk, "reason": "好"}
    assert api.post("/lists/red", body).status_code == 401
    assert api.post("/lists/red", body, as_=consumer).status_code == 403
    admin = make_user("business", business=red_ready, is_business_admin=True)
    assert api.post("/lists/red", body, as_=admin).status_code == 403  # not on its own say-so
    assert api.post("/lists/red", body, as_=yichang_council).status_code == 403
    assert api.get("/lists/red/candidates", as_=consumer).status_code == 403
    assert api.get("/lists/red/candidates", as_=yichang_council).json()["items"] == []
    assert api.get("/lists/red/candidates", as_=yichang_council, region="420102").status_code == 403
    assert not RedListEntry.objects.exists()
    assert api.post("/lists/red", {"business_id": 987654, "reason": "x"}, as_=staff).status_code == 404


def test_a_business_that_does_not_qualify_cannot_be_confirmed(api, traveller, business, staff, council,
                                                               make_user):
    make_red_ready(make_user, business, staff, n=3)
    r = api.post("/lists/red", {"business_id": business.pk, "reason": "关系好"}, as_=council)
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_a_candidate"
    assert r.json()["error"]["message"].startswith("该商户不符合红榜条件：信用指数低于")  # Chinese by default
    assert "窗口期内结案不足10件" in r.json()["error"]["message"]
    r = api.post("/lists/red", {"business_id": business.pk, "reason": "关系好"}, as_=council,
                 headers={"Accept-Language": "en"})
    message = r.json()["error"]["message"]
    assert r.status_code == 409 and message.startswith("The business does not qualify for the red list: Credit index")
    assert "Fewer than 10 cases in the window" in message
    assert not RedListEntry.objects.exists()


def test_an_application_cannot_be_confirmed_by_an_outsider(api, make_business, yichang_council):
    applied = make_business("申请中", status="applied")
    r = api.post("/lists/red", {"business_id": applied.pk, "reason": "x"}, as_=yichang_council)
    assert r.status_code == 404


def test_removal_from_the_red_list(api, red_ready, council, yichang_council, staff):
    entry_id = api.post("/lists/red", {"business_id": red_ready.pk, "reason": "好"}, as_=council).json()["id"]
    path = f"/lists/red/{entry_id}/remove"
    assert api.post(path, {"reason": "x"}, as_=yichang_council).status_code == 403
    assert api.post(path, {"reason": "x"}, as_=staff).status_code == 403
    assert api.post(path, {}, as_=council).status_code == 422
    r = api.post(path, {"reason": "近期投诉增多"}, as_=council)
    assert r.status_code == 200 and r.json()["status"] == "removed"
    assert api.get("/lists/red").json()["items"] == []
    assert api.post(path, {"reason": "again"}, as_=council).status_code == 409
    assert [d.action for d in ListDecision.objects.all()] == ["confirm", "remove"]


def test_publishing_on_the_black_list_takes_a_business_off_the_red_list(api, red_ready, council, staff,
                                                                         make_user):
    api.post("/lists/red", {"business_id": red_ready.pk, "reason": "好"}, as_=council)
    fail_three(make_user, red_ready, staff)
    entry = BlacklistEntry.objects.get(business=red_ready)
    assert api.post(f"/lists/black/{entry.pk}/publish", {"reason": "三次拒绝"}, as_=council).status_code == 200
    assert api.get("/lists/red").json()["items"] == []
    assert RedListEntry.objects.get().status == "removed"
    assert [d.action for d in ListDecision.objects.order_by("id")] == ["confirm", "publish", "remove"]
    profile = api.get(f"/businesses/{red_ready.pk}").json()
    assert profile["on_black_list"] is True and profile["on_red_list"] is False


def test_decisions_are_append_only(api, candidate, council):
    entry, _ = candidate
    api.post(f"/lists/black/{entry.pk}/publish", {"reason": "公示"}, as_=council)
    d = ListDecision.objects.get()
    with pytest.raises(TypeError):
        d.save()
    with pytest.raises(TypeError):
        ListDecision.objects.update(reason="改")
    with pytest.raises(TypeError):
        ListDecision.objects.all().delete()
