"""The partners API, mostly from the refused side, and partner scoping."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hejie.businesses.models import Business
from tests.conftest import make_credit_code
from tests.partners.conftest import csv_bytes

pytestmark = pytest.mark.django_db


def rows(n, start):
    return [(f"商户{i}", make_credit_code(start + i), "餐饮", "420102", "", "", "", "", 20000) for i in range(n)]


def upload(api, who, data, name="shops.csv"):
    return api.upload("/partners/imports", {"file": SimpleUploadedFile(name, data)}, as_=who)


def test_upload_preview_rows_commit_and_progress(api, partner_staff):
    data = csv_bytes(rows(3, 11000) + [("坏", "123", "餐饮", "420102", "", "", "", "", "")])
    r = upload(api, partner_staff, data)
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["total_rows"], body["accepted"], body["refused"], body["status"]) == (4, 3, 1, "previewed")
    assert [x["outcome"] for x in body["rows"]] == ["accepted"] * 3 + ["refused"]
    assert Business.objects.count() == 0
    page = api.get(f"/partners/imports/{body['id']}/rows", as_=partner_staff, size=2).json()
    assert [x["line"] for x in page["items"]] == [2, 3] and page["next_cursor"]
    page2 = api.get(f"/partners/imports/{body['id']}/rows", as_=partner_staff, size=2, cursor=page["next_cursor"])
    assert [x["line"] for x in page2.json()["items"]] == [4, 5]
    refused = api.get(f"/partners/imports/{body['id']}/rows", as_=partner_staff, outcome="refused").json()
    assert [x["line"] for x in refused["items"]] == [5]
    c = api.post(f"/partners/imports/{body['id']}/commit", as_=partner_staff)
    assert c.status_code == 200 and c.json()["status"] == "committed" and c.json()["progress"] == 1.0
    assert api.post(f"/partners/imports/{body['id']}/commit", as_=partner_staff).json()["created"] == 3
    assert Business.objects.count() == 3
    d = api.get(f"/partners/imports/{body['id']}", as_=partner_staff).json()
    assert d["rows_done"] == 3 and d["created"] == 3


def test_refused_side(api, partner_staff, make_partner, make_user, council, consumer, staff):
    body = upload(api, partner_staff, csv_bytes(rows(1, 11100))).json()
    other_partner = make_user("partner", partner=make_partner("别家平台"))
    for who in (council, consumer, staff):
        assert upload(api, who, csv_bytes(rows(1, 11200))).status_code == 403
        assert api.get(f"/partners/imports/{body['id']}", as_=who).status_code == 403
        assert api.post(f"/partners/imports/{body['id']}/commit", as_=who).status_code == 403
        assert api.get("/partners/businesses", as_=who).status_code == 403
    assert api.get(f"/partners/imports/{body['id']}", as_=other_partner).status_code == 404
    assert api.get(f"/partners/imports/{body['id']}/rows", as_=other_partner).status_code == 404
    assert api.post(f"/partners/imports/{body['id']}/commit", as_=other_partner).status_code == 404
    assert upload(api, None, csv_bytes(rows(1, 11300))).status_code == 401
    assert not Business.objects.filter(partner__isnull=False).exists()


@pytest.mark.parametrize("data, name, status", [
    (b"", "a.csv", 422),
    (b"\x00\x01\x02\x03garbage", "a.csv", 422),
    (b"PK\x03\x04\x00\x00", "a.xlsx", 422),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", 422),
    (b"a,b\n1,2\n", "a.csv", 422),
])
def test_garbage_is_never_a_500(api, partner_staff, data, name, status):
    r = upload(api, partner_staff, data, name)
    assert r.status_code == status, r.content
    assert r.json()["error"]["fields"].get("file")


def test_missing_file_and_bad_params(api, partner_staff):
    assert api.upload("/partners/imports", {}, as_=partner_staff).status_code == 422
    assert api.get("/partners/imports/999999", as_=partner_staff).status_code == 404
    body = upload(api, partner_staff, csv_bytes(rows(1, 11400))).json()
    assert api.get(f"/partners/imports/{body['id']}/rows", as_=partner_staff, outcome="x").status_code == 422
    assert api.get(f"/partners/imports/{body['id']}/rows", as_=partner_staff, cursor="!!").status_code == 422


def test_partner_sees_only_its_businesses_and_no_consumer_data(api, partner, partner_staff, make_partner, make_user,
                                                               file_complaint, make_business):
    upload_body = upload(api, partner_staff, csv_bytes(rows(2, 11500))).json()
    api.post(f"/partners/imports/{upload_body['id']}/commit", as_=partner_staff)
    mine = Business.objects.filter(partner=partner).order_by("name").first()
    Business.objects.filter(partner=partner).update(status="active")
    file_complaint(biz=mine)
    theirs = make_business("别家的商户", partner=make_partner("别家"))
    make_business("平台自来的商户")
    r = api.get("/partners/businesses", as_=partner_staff)
    assert r.status_code == 200
    items = r.json()["items"]
    assert {i["id"] for i in items} == set(Business.objects.filter(partner=partner).values_list("pk", flat=True))
    assert theirs.pk not in {i["id"] for i in items}
    first = next(i for i in items if i["id"] == mine.pk)
    assert first["complaints_total"] == 1 and first["order_volume"] == 20000
    assert first["complaints_per_10k_orders"] is None  # joined today: fewer than 30 days to judge by
    text = r.content.decode()
    assert "13800138000" not in text and "异物" not in text and "consumer" not in text
    other = make_user("partner", partner=theirs.partner)
    assert {i["id"] for i in api.get("/partners/businesses", as_=other).json()["items"]} == {theirs.pk}
