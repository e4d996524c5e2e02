"""/api/v1/lists/.../appeals: the business appeals its published entry with a
text and files; its council decides; everyone else is refused."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hejie.ratings import lists
from hejie.ratings.models import BlacklistEntry
from tests.api.test_lists import fail_three
from tests.ratings.test_appeals_and_expiry import png


@pytest.fixture
def entry(traveller, make_user, business, staff, council):
    fail_three(make_user, business, staff)
    entry = BlacklistEntry.objects.get(business=business)
    return entry


def publish(entry, council):
    lists.blacklist_publish(actor=council, entry=entry, reason="三次拒绝和解，整改前公示")


def test_appeal_with_a_file_then_the_council_upholds_it(api, entry, staff, council):
    publish(entry, council)
    r = api.upload(f"/lists/black/{entry.pk}/appeals",
                   {"text": "已全部退款，附凭证。", "files": [SimpleUploadedFile("凭证.png", png(), "image/png")]},
                   as_=staff)
    assert r.status_code == 201, r.json()
    appeal = r.json()
    assert appeal["status"] == "pending" and appeal["files"][0]["name"] == "凭证.png"
    got = api.client.get(appeal["files"][0]["url"], headers=api._headers(council, None))
    assert got.status_code == 200 and got["Content-Type"] == "image/png"

    assert [a["id"] for a in api.get(f"/lists/black/{entry.pk}/appeals", as_=staff).json()["items"]] == [appeal["id"]]
    r = api.post(f"/lists/appeals/{appeal['id']}/decide", {"upheld": True, "reason": "已整改"}, as_=council)
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "upheld"
    entry.refresh_from_db()
    assert entry.status == "removed"


def test_an_unpublished_candidate_is_not_the_business_s_to_know_of(api, entry, staff):
    assert api.get(f"/lists/black/{entry.pk}/appeals", as_=staff).status_code == 404
    r = api.upload(f"/lists/black/{entry.pk}/appeals", {"text": "申诉"}, as_=staff)
    assert r.status_code == 404


def test_outsiders_are_refused(api, entry, council, staff, make_user, make_business):
    publish(entry, council)
    appeal = lists.blacklist_appeal(actor=staff, entry=entry, text="申诉理由。", files=[("a.png", png())])
    file_url = f"/api/v1/lists/appeals/{appeal.pk}/files/{appeal.files.get().pk}"
    other_staff = make_user("business", business=make_business("别家店"))
    yichang = make_user("council", region="420500")
    consumer = make_user("consumer")
    for who in (other_staff, yichang, consumer):
        assert api.get(f"/lists/black/{entry.pk}/appeals", as_=who).status_code == 404
        assert api.client.get(file_url, headers=api._headers(who, None)).status_code == 404
        r = api.post(f"/lists/appeals/{appeal.pk}/decide", {"upheld": True, "reason": "越权"}, as_=who)
        assert r.status_code == 404
    assert api.client.get(file_url).status_code == 401
    r = api.upload(f"/lists/black/{entry.pk}/appeals", {"text": "替别人申诉"}, as_=other_staff)
    assert r.status_code == 404
    appeal.refresh_from_db()
    assert appeal.status == "pending"


def test_bad_input_is_a_clear_error(api, entry, council, staff):
    publish(entry, council)
    r = api.upload(f"/lists/black/{entry.pk}/appeals",
                   {"text": "附件不对", "files": [SimpleUploadedFile("x.jpg", b"plain text", "image/jpeg")]}, as_=staff)
    assert r.status_code == 415 and "x.jpg" in r.json()["error"]["message"]
    r = api.upload(f"/lists/black/{entry.pk}/appeals", {"text": ""}, as_=staff)
    assert r.status_code == 422
    six = [SimpleUploadedFile(f"{i}.png", png(), "image/png") for i in range(6)]
    r = api.upload(f"/lists/black/{entry.pk}/appeals", {"text": "太多附件", "files": six}, as_=staff)
    assert r.status_code == 422
    assert api.get(f"/lists/black/{entry.pk}/appeals", as_=staff).json()["items"] == []
    r = api.post("/lists/appeals/999999/decide", {"upheld": "yes", "reason": "x"}, as_=council)
    assert r.status_code == 422
