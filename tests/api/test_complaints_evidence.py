"""Evidence through the API: upload (multipart ``file``), limits, and the
permission-checked download."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from hejie.complaints.models import ComplaintEvent, Evidence

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(stored_files):
    """Every test here runs with the files on local disk and again in a bucket of a real S3 server."""
    return stored_files


def stored(media):
    return media.names() + media.local_names()


def jpeg(color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(out, "JPEG")
    return out.getvalue()


def upload(name, data, content_type="application/octet-stream"):
    return {"file": SimpleUploadedFile(name, data, content_type=content_type)}


@pytest.fixture
def order(api, traveller, consumer, business, staff):
    r = api.post("/complaints", {"business_id": business.pk, "problem_type": "quality",
                                 "description": "买的热干面里有异物，要求退款。", "claim_type": "apology"},
                 as_=consumer)
    assert r.status_code == 201
    return r.json()["id"]


def test_upload_list_and_download(api, order, consumer, staff, council, make_user, make_business):
    r = api.upload(f"/complaints/{order}/evidence", upload("小票.jpg", jpeg(), "image/jpeg"), as_=consumer)
    assert r.status_code == 201, r.json()
    item = r.json()
    assert (item["name"], item["kind"], item["content_type"], item["side"]) == ("小票.jpg", "image", "image/jpeg",
                                                                                 "consumer")
    assert item["url"] == f"/api/v1/complaints/{order}/evidence/{item['id']}"
    detail = api.get(f"/complaints/{order}", as_=staff).json()
    assert [e["id"] for e in detail["evidence"]] == [item["id"]]
    assert "evidence_added" in [e["type"] for e in detail["timeline"]]

    for who in (consumer, staff, council):
        r = api.client.get(item["url"], headers={"Authorization": f"Bearer {_token(who)}"})
        assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
        assert r["X-Content-Type-Options"] == "nosniff" and "filename*=UTF-8''" in r["Content-Disposition"]
        assert b"".join(r.streaming_content)[:3] == b"\xff\xd8\xff"
    r = api.client.get(item["url"] + "?download=true", headers={"Authorization": f"Bearer {_token(consumer)}"})
    assert r["Content-Disposition"].startswith("attachment")

    strangers = (make_user(), make_user("business", business=make_business("别家")),
                 make_user("council", region="420500"))
    for who in strangers:
        r = api.get(f"/complaints/{order}/evidence/{item['id']}", as_=who)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert api.get(f"/complaints/{order}/evidence/{item['id']}").status_code == 401
    assert api.get(f"/complaints/{order}/evidence/999999", as_=consumer).status_code == 404


def _token(user):
    from hejie.accounts.services import token_create

    return token_create(user=user)


def test_business_attaches_a_pdf_and_cites_it_in_a_message(api, order, staff):
    r = api.upload(f"/complaints/{order}/evidence", upload("发票.pdf", PDF, "application/pdf"), as_=staff)
    assert r.status_code == 201 and r.json()["kind"] == "pdf"
    eid = r.json()["id"]
    r = api.post(f"/complaints/{order}/messages", {"body": "请看发票", "evidence_id": eid}, as_=staff)
    assert r.status_code == 201 and r.json()["evidence_id"] == eid


def test_the_same_file_twice_is_one_file(api, order, consumer):
    a = api.upload(f"/complaints/{order}/evidence", upload("a.jpg", jpeg()), as_=consumer).json()
    b = api.upload(f"/complaints/{order}/evidence", upload("a.jpg", jpeg()), as_=consumer).json()
    assert a["id"] == b["id"] and Evidence.objects.count() == 1


def test_too_big_is_413_and_nothing_is_kept(api, order, consumer, settings, media):
    settings.HEJIE_EVIDENCE_MAX_BYTES = 1000
    events = ComplaintEvent.objects.count()
    r = api.upload(f"/complaints/{order}/evidence", upload("big.pdf", PDF + b" " * 5000), as_=consumer)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large" and "file" in r.json()["error"]["fields"]
    assert Evidence.objects.count() == 0 and stored(media) == []
    assert ComplaintEvent.objects.count() == events


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 200, "unsupported_media"),
        ("page.html", b"<html><script>alert(1)</script></html>", "unsupported_media"),
        ("photo.jpg", PDF, "type_mismatch"),
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"garbage" * 30, "unsupported_media"),
    ],
)
def test_wrong_type_is_415(api, order, consumer, media, name, data, code):
    r = api.upload(f"/complaints/{order}/evidence", upload(name, data, "image/jpeg"), as_=consumer)
    assert r.status_code == 415 and r.json()["error"]["code"] == code, r.json()
    assert Evidence.objects.count() == 0 and stored(media) == []


def test_count_limit_is_409(api, order, consumer, settings):
    settings.HEJIE_EVIDENCE_MAX_FILES = 2
    for color in ((1, 2, 3), (4, 5, 6)):
        r = api.upload(f"/complaints/{order}/evidence", upload("a.jpg", jpeg(color)), as_=consumer)
        assert r.status_code == 201
    r = api.upload(f"/complaints/{order}/evidence", upload("c.jpg", jpeg((7, 8, 9))), as_=consumer)
    assert r.status_code == 409 and r.json()["error"]["code"] == "too_many_files"
    assert Evidence.objects.count() == 2


def test_missing_or_empty_file(api, order, consumer):
    r = api.upload(f"/complaints/{order}/evidence", {}, as_=consumer)
    assert r.status_code == 422 and "file" in r.json()["error"]["fields"]
    r = api.upload(f"/complaints/{order}/evidence", {"file": "not a file"}, as_=consumer)
    assert r.status_code == 422 and "file" in r.json()["error"]["fields"]
    r = api.upload(f"/complaints/{order}/evidence", upload("empty.jpg", b""), as_=consumer)
    assert r.status_code == 422 and "file" in r.json()["error"]["fields"]
    assert Evidence.objects.count() == 0


def test_a_strangers_upload_is_404(api, order, make_user, media):
    r = api.upload(f"/complaints/{order}/evidence", upload("a.jpg", jpeg()), as_=make_user())
    assert r.status_code == 404 and Evidence.objects.count() == 0 and stored(media) == []


def test_no_evidence_after_the_case_is_closed(api, order, consumer):
    api.post(f"/complaints/{order}/withdraw", as_=consumer)
    r = api.upload(f"/complaints/{order}/evidence", upload("a.jpg", jpeg()), as_=consumer)
    assert r.status_code == 409 and r.json()["error"]["code"] == "wrong_state"


def test_a_file_name_with_nul_is_stored_without_it(api, order, consumer):
    r = api.upload(f"/complaints/{order}/evidence", upload("小\x00票.jpg", jpeg()), as_=consumer)
    assert r.status_code == 201 and "\x00" not in r.json()["name"], r.json()
