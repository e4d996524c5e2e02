"""The public page and the API answer alike for the same object: both call the
one rule in ``hejie.ratings.public`` (404 for what never existed or was never
public, 410 for what was public and was removed), the API as a JSON error with
when and how."""

from __future__ import annotations

import datetime as dt

import pytest

from hejie.businesses.models import Business
from hejie.complaints import services as svc
from hejie.ratings import lists
from hejie.ratings.models import BlacklistEntry, ListDecision, RedListEntry

D = dt.timedelta(days=1)

FACES = {  # the public page, and the API's public endpoint, for an object's id
    "business": ("/businesses/{}/", "/api/v1/businesses/{}"),
    "black": ("/blacklist/{}/", "/api/v1/lists/black/{}"),
    "red": ("/redlist/{}/", "/api/v1/lists/red/{}"),
}


def _file(make_user, biz, ref):
    return svc.complaint_submit(consumer=make_user("consumer"), business_id=biz.pk, problem_type="quality",
                                description="买的热干面里有异物，要求退款。", claim_type="refund",
                                claim_amount="38.00", order_ref=ref)


def _black_candidate(make_user, biz, staff, prefix) -> BlacklistEntry:
    for i in range(3):
        svc.complaint_refuse(actor=staff, complaint=_file(make_user, biz, f"{prefix}{i}"), reason="不同意退款")
    return BlacklistEntry.objects.get(business=biz, status="candidate")


def _red_confirmed(make_user, biz, staff, council) -> RedListEntry:
    for i in range(10):
        c = _file(make_user, biz, f"s{i}")
        p = svc.proposal_make(actor=staff, complaint=c, terms="全额退款", amount="38.00")
        svc.proposal_accept(actor=c.consumer, complaint=c, proposal_id=p.pk)
    return lists.redlist_confirm(actor=council, business=biz, reason="处理投诉快，消费者满意")


@pytest.fixture
def world(traveller, make_business, make_user, council):
    """One object of each kind the rules tell apart, by name: (kind, id)."""
    def staffed(name, **extra):
        biz = make_business(name, **extra)
        return biz, make_user("business", business=biz)

    shop, shop_staff = staffed("武汉热干面馆")
    published = _black_candidate(make_user, shop, shop_staff, "p")
    lists.blacklist_publish(actor=council, entry=published, reason="三次拒绝和解，整改前公示")

    other, other_staff = staffed("汉口小面馆")
    removed = _black_candidate(make_user, other, other_staff, "r")
    lists.blacklist_publish(actor=council, entry=removed, reason="三次拒绝和解")
    pending, pending_staff = staffed("江汉豆皮馆")
    candidate = _black_candidate(make_user, pending, pending_staff, "c")
    forgiven, forgiven_staff = staffed("武昌汤包馆")
    dismissed = _black_candidate(make_user, forgiven, forgiven_staff, "d")
    lists.blacklist_dismiss(actor=council, entry=dismissed, reason="经核实系误会")

    good, good_staff = staffed("汉阳豆浆店")
    red = _red_confirmed(make_user, good, good_staff, council)
    fine, fine_staff = staffed("青山粉面馆")
    red_gone = _red_confirmed(make_user, fine, fine_staff, council)
    red_never = RedListEntry.objects.create(business=make_business("洪山面馆"), status="candidate", reason="")

    unlisted = make_business("撤下的店")
    Business.objects.filter(pk=unlisted.pk).update(status="refused")  # was approved, is no longer public

    traveller.shift(10 * D)
    lists.blacklist_remove(actor=council, entry=removed, reason="已整改，经复核移出")
    lists.redlist_remove(actor=council, entry=red_gone, reason="内部原因")
    return {
        "active business": ("business", shop.pk),
        "suspended business": ("business", make_business("暂停的店", status="suspended").pk),
        "application": ("business", make_business("申请中的店", status="applied").pk),
        "refused application": ("business", make_business("未通过的店", status="refused").pk),
        "removed listing": ("business", unlisted.pk),
        "no such business": ("business", 999999),
        "published black-list entry": ("black", published.pk),
        "removed black-list entry": ("black", removed.pk),
        "black-list candidate": ("black", candidate.pk),
        "dismissed black-list candidate": ("black", dismissed.pk),
        "no such black-list entry": ("black", 999999),
        "confirmed red-list entry": ("red", red.pk),
        "removed red-list entry": ("red", red_gone.pk),
        "red-list entry never confirmed": ("red", red_never.pk),
        "no such red-list entry": ("red", 999999),
    }


@pytest.mark.parametrize(("name", "status"), [
    ("active business", 200), ("suspended business", 200), ("application", 404), ("refused application", 404),
    ("removed listing", 410), ("no such business", 404),
    ("published black-list entry", 200), ("removed black-list entry", 410), ("black-list candidate", 404),
    ("dismissed black-list candidate", 404), ("no such black-list entry", 404),
    ("confirmed red-list entry", 200), ("removed red-list entry", 410), ("red-list entry never confirmed", 404),
    ("no such red-list entry", 404),
])
def test_the_page_and_the_api_answer_alike(client, world, name, status):
    kind, pk = world[name]
    page, api = (url.format(pk) for url in FACES[kind])
    assert (client.get(page).status_code, client.get(api).status_code) == (status, status)
    if status != 200:
        body = client.get(api).json()
        assert body["error"]["code"] == {404: "not_found", 410: "gone"}[status]


def test_a_removed_black_list_entry_is_410_with_its_date_on_both(client, world):
    pk = world["removed black-list entry"][1]
    page = client.get(f"/blacklist/{pk}/")
    assert page.status_code == 410 and "2026-03-25" in page.content.decode()
    r = client.get(f"/api/v1/lists/black/{pk}")
    assert r.status_code == 410
    error = r.json()["error"]
    assert error["code"] == "gone" and error["removal"] == "decision" and error["fields"] == {}
    removal = ListDecision.objects.get(blacklist_entry_id=pk, action="remove")
    assert dt.datetime.fromisoformat(error["removed_at"]) == removal.created_at
    assert dt.datetime.fromisoformat(error["removed_at"]).date() == dt.date(2026, 3, 15) + 10 * D
    assert error["message"] == "该黑榜记录已移出"
    assert "已整改" not in r.content.decode()  # the council's words to the business are not published


def test_a_removed_red_list_entry_is_410_with_its_date(client, world):
    error = client.get(f"/api/v1/lists/red/{world['removed red-list entry'][1]}").json()["error"]
    assert error["code"] == "gone" and error["removal"] == "decision"
    assert error["removed_at"].startswith("2026-03-25")


def test_a_removed_listing_is_a_json_410(client, world):
    error = client.get(f"/api/v1/businesses/{world['removed listing'][1]}").json()["error"]
    assert error == {"code": "gone", "message": "该商户已不在平台公示",
                     "fields": {}, "removed_at": None, "removal": "status"}
    assert client.get(f"/api/v1/businesses/{world['removed listing'][1]}/stores").status_code == 410


def test_the_public_entries_read_as_in_the_lists(client, world):
    black = client.get(f"/api/v1/lists/black/{world['published black-list entry'][1]}").json()
    assert black == client.get("/api/v1/lists/black").json()["items"][0]
    assert black["status"] == "published" and len(black["cases"]) == 3
    red = client.get(f"/api/v1/lists/red/{world['confirmed red-list entry'][1]}").json()
    assert red == client.get("/api/v1/lists/red").json()["items"][0]


def test_the_candidates_list_is_not_taken_for_an_entry(client, world, council):
    """``/lists/red/candidates`` and ``/lists/black/candidates`` stay the council's, not a 422 for an id."""
    assert client.get("/api/v1/lists/red/candidates").status_code == 401
    assert client.get("/api/v1/lists/black/candidates").status_code == 401
    assert client.get("/api/v1/lists/red/abc").status_code == 422


def test_its_own_staff_and_council_still_read_an_application_through_the_api(client, world, make_user, council):
    from hejie.accounts.services import token_create

    pk = world["application"][1]
    own = make_user("business", business=Business.objects.get(pk=pk))
    for who, status in ((own, 200), (council, 200), (make_user("consumer"), 404)):
        auth = {"Authorization": f"Bearer {token_create(user=who)}"}
        assert client.get(f"/api/v1/businesses/{pk}", headers=auth).status_code == status
    assert client.get(f"/businesses/{pk}/").status_code == 404  # the public page is public only
