"""Evidence in a private bucket of a real S3 server (moto's, started by the tests: ``s3_storage``
in tests/conftest.py): a complaint filed through the pages with its photos, the order page and the
API serving them only after the permission check, and never a URL of the bucket in a page or an
answer. (The services' and the API's own evidence tests run on both storages:
tests/complaints/test_evidence.py, test_drafts.py, tests/api/test_complaints_evidence.py.)"""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from hejie.accounts.services import token_create
from hejie.businesses.names import initials_for
from hejie.complaints import drafts
from hejie.complaints import evidence as ev
from hejie.complaints.models import Complaint, ComplaintDraft, DraftFile, Evidence
from hejie.core import clock
from tests.conftest import S3_KEYS

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
GPS = 0x8825


def jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[GPS] = {1: "N", 2: (30.0, 35.0, 0.0), 3: "E", 4: (114.0, 17.0, 0.0)}
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def no_bucket_address(text: str, s3_storage, endpoint: str) -> None:
    """Nothing in a page or an answer points a browser at the bucket: neither the server, nor the
    bucket's name, nor a signature of a presigned URL."""
    for leak in (endpoint, endpoint.replace("http://", ""), s3_storage.bucket, "X-Amz-", "AWSAccessKeyId",
                 "amazonaws.com"):
        assert leak not in text, leak


@pytest.fixture
def shop(business, staff):
    business.name_initials = initials_for(business.name)
    business.save(update_fields=["name_initials"])
    return business


def test_a_complaint_filed_through_the_pages_keeps_its_files_in_the_bucket_behind_the_checks(
        client, consumer, shop, staff, make_user, make_business, s3_storage, s3_server,
        django_capture_on_commit_callbacks):
    client.force_login(consumer)
    # the photos go to the draft: straight into the bucket, re-encoded without their GPS position
    r = client.post("/file/evidence/", {"files": [SimpleUploadedFile("小票.jpg", jpeg_with_gps()),
                                                  SimpleUploadedFile("发票.pdf", PDF)]})
    assert r.status_code == 302
    photo, pdf = DraftFile.objects.order_by("pk")
    assert s3_storage.names() == sorted([photo.file.name, pdf.file.name])
    assert all(n.startswith("drafts/") for n in s3_storage.names()) and s3_storage.local_names() == []
    with Image.open(io.BytesIO(s3_storage.read(photo.file.name))) as img:
        assert GPS not in img.getexif() and not img.getexif()
    assert s3_storage.read(pdf.file.name) == PDF
    page = client.get("/file/evidence/").content.decode()
    assert f"/file/evidence/{photo.pk}/?thumb=1" in page
    no_bucket_address(page, s3_storage, s3_server)
    thumb = client.get(f"/file/evidence/{photo.pk}/?thumb=1")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    served = client.get(f"/file/evidence/{pdf.pk}/")
    assert served.status_code == 200 and body(served) == PDF and "Location" not in served

    # another consumer reaches neither the draft's files nor, later, the order's
    stranger = make_user("consumer")
    client.force_login(stranger)
    assert client.get(f"/file/evidence/{photo.pk}/").status_code == 404
    assert client.get(f"/file/evidence/{photo.pk}/?thumb=1").status_code == 404

    # filed: the files become the order's evidence, the draft's objects are deleted from the bucket
    client.force_login(consumer)
    client.post("/file/business/", {"action": "choose", "business_id": shop.pk})
    client.post("/file/problem/", {"problem_type": "quality", "description": "热干面里吃出一根头发，店员不理睬。"})
    client.post("/file/claim/", {"claim_type": "refund", "claim_amount": "38"})
    client.post("/file/evidence/", {"action": "next"})
    review = client.get("/file/review/").content.decode()
    no_bucket_address(review, s3_storage, s3_server)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/file/review/", {"token": ComplaintDraft.objects.get().token})
    complaint = Complaint.objects.get()
    assert r.status_code == 302 and not DraftFile.objects.exists()
    evidence = list(complaint.evidence.order_by("pk"))
    assert s3_storage.names() == sorted(e.file.name for e in evidence)
    assert all(n.startswith("evidence/") for n in s3_storage.names())

    # the order page links to the checked view; the view streams the object for each party
    for who in (consumer, staff):
        client.force_login(who)
        page = client.get(f"/complaints/{complaint.pk}/").content.decode()
        no_bucket_address(page, s3_storage, s3_server)
        for e in evidence:
            assert f"/files/complaints/{complaint.pk}/evidence/{e.pk}" in page
            r = client.get(f"/files/complaints/{complaint.pk}/evidence/{e.pk}")
            assert r.status_code == 200 and body(r) == s3_storage.read(e.file.name)
            assert r["Content-Type"] == e.content_type and "sandbox" in r["Content-Security-Policy"]
            assert "Location" not in r  # streamed, not redirected to the bucket
    for who in (stranger, make_user("business", business=make_business("别家")), make_user("council", region="420500")):
        client.force_login(who)
        for e in evidence:
            assert client.get(f"/files/complaints/{complaint.pk}/evidence/{e.pk}").status_code == 404
    client.logout()
    assert client.get(f"/files/complaints/{complaint.pk}/evidence/{evidence[0].pk}").status_code == 404

    # the API: the order's answer names the API's own download, which checks who asks
    auth = {"Authorization": f"Bearer {token_create(user=consumer)}"}
    detail = client.get(f"/api/v1/complaints/{complaint.pk}", headers=auth)
    assert detail.status_code == 200
    no_bucket_address(detail.content.decode(), s3_storage, s3_server)
    url = detail.json()["evidence"][0]["url"]
    r = client.get(url, headers=auth)
    assert r.status_code == 200 and body(r) == s3_storage.read(evidence[0].file.name)
    outsider = {"Authorization": f"Bearer {token_create(user=stranger)}"}
    assert client.get(url, headers=outsider).status_code == 404
    assert client.get(url).status_code == 401


def test_a_row_whose_object_is_missing_is_a_404_and_logged_not_a_500(client, delivered, consumer, s3_storage,
                                                                     caplog):
    e = ev.evidence_add(actor=consumer, complaint=delivered, name="a.pdf", data=PDF)
    s3_storage.client.delete_object(Bucket=s3_storage.bucket, Key=e.file.name)
    client.force_login(consumer)
    assert client.get(f"/files/complaints/{delivered.pk}/evidence/{e.pk}").status_code == 404
    auth = {"Authorization": f"Bearer {token_create(user=consumer)}"}
    r = client.get(f"/api/v1/complaints/{delivered.pk}/evidence/{e.pk}", headers=auth)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert f"stored file {e.file.name} is missing" in caplog.text


def test_a_bucket_that_refuses_is_a_503_that_says_so_and_nothing_is_half_written(
        client, delivered, consumer, s3_storage, s3_server, settings, caplog):
    from hejie.core.storage import s3_storage as config

    kept = ev.evidence_add(actor=consumer, complaint=delivered, name="a.pdf", data=PDF)
    settings.STORAGES = {**settings.STORAGES, "default": config(bucket="no-such-bucket", endpoint_url=s3_server,
                                                                **S3_KEYS)}
    auth = {"Authorization": f"Bearer {token_create(user=consumer)}"}
    r = client.post(f"/api/v1/complaints/{delivered.pk}/evidence",
                    {"file": SimpleUploadedFile("b.jpg", jpeg_with_gps())}, headers=auth)
    assert r.status_code == 503 and r.json()["error"]["code"] == "unavailable"
    assert r.json()["error"]["message"] == "文件存储暂时不可用，请稍后再试"
    assert list(Evidence.objects.all()) == [kept] and not delivered.events.filter(type="evidence_added").exclude(
        payload__evidence_id=kept.pk).exists()
    r = client.get(f"/api/v1/complaints/{delivered.pk}/evidence/{kept.pk}", headers={**auth, "Accept-Language": "en"})
    assert r.status_code == 503 and r.json()["error"]["message"] == ("File storage is unavailable for the moment; "
                                                                      "please try again later")
    client.force_login(consumer)
    r = client.get(f"/files/complaints/{delivered.pk}/evidence/{kept.pk}")
    assert r.status_code == 503 and r["Retry-After"] == "30" and "文件存储暂时不可用" in r.content.decode()
    r = client.post("/file/evidence/", {"files": [SimpleUploadedFile("小票.jpg", jpeg_with_gps())]})
    assert r.status_code == 503 and "文件存储暂时不可用" in r.content.decode()
    assert not DraftFile.objects.exists()
    assert "the file storage failed" in caplog.text and "NoSuchBucket" in caplog.text
    assert s3_storage.names() == [kept.file.name] and s3_storage.local_names() == []


def test_the_purge_deletes_abandoned_drafts_and_objects_no_draft_holds(consumer, make_user, s3_storage):
    kept_by = make_user("consumer")
    old = drafts.draft_file_add(consumer=consumer, name="a.jpg", data=jpeg_with_gps())
    kept = drafts.draft_file_add(consumer=kept_by, name="b.pdf", data=PDF)
    ComplaintDraft.objects.filter(pk=old.draft_id).update(updated_at=clock.now() - dt.timedelta(days=31))
    # a file whose row was never committed (the process died in between), and one of the evidence
    s3_storage.client.put_object(Bucket=s3_storage.bucket, Key="drafts/2026/01/9/orphan.jpg", Body=b"x")
    e_key = "evidence/2026/01/1/kept.pdf"
    s3_storage.client.put_object(Bucket=s3_storage.bucket, Key=e_key, Body=PDF)
    # purging as of a day after the files were written: the abandoned draft goes, with its object,
    # and so does the object no draft holds; the fresh draft and everything outside drafts/ stay
    later = clock.now() + dt.timedelta(days=31)
    ComplaintDraft.objects.filter(pk=kept.draft_id).update(updated_at=later - dt.timedelta(days=1))
    assert drafts.drafts_purge(now=later) == 1
    assert list(ComplaintDraft.objects.values_list("consumer_id", flat=True)) == [kept_by.pk]
    # (the purge's own transaction is the test's: its on-commit deletion of the draft's object did not
    # run, so the orphan pass found that object too, no longer held by a row, and deleted it)
    assert s3_storage.names() == sorted([e_key, kept.file.name])


def test_the_environment_turns_the_bucket_on(s3_server, s3_storage, tmp_path):
    """HEJIE_S3_* as a deployment sets them: a fresh process stores, reads and checks through the bucket."""
    script = (
        "import django; django.setup()\n"
        "from django.core.files.base import ContentFile\n"
        "from django.core.files.storage import default_storage as s\n"
        "from hejie.core.storage import storage_check\n"
        "storage_check(s)\n"
        "name = s.save('evidence/x/probe.pdf', ContentFile(b'%PDF-1.4 probe'))\n"
        "print(type(s._wrapped).__name__, s.bucket_name, s.default_acl, s.querystring_auth, s.file_overwrite)\n"
        "print(name, s.open(name).read().decode())\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hejie.settings", "HEJIE_DATA_DIR": str(tmp_path / "data"),
           "HEJIE_S3_BUCKET": s3_storage.bucket, "HEJIE_S3_ENDPOINT_URL": s3_server,
           "HEJIE_S3_ACCESS_KEY_ID": S3_KEYS["access_key"], "HEJIE_S3_SECRET_ACCESS_KEY": S3_KEYS["secret_key"]}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,  # noqa: S603
                         timeout=60, cwd=Path(__file__).parent, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [f"BucketStorage {s3_storage.bucket} None True False",
                                       "evidence/x/probe.pdf %PDF-1.4 probe"]
    assert s3_storage.names() == ["evidence/x/probe.pdf"]
    assert not (tmp_path / "data" / "media").exists()

    env.pop("HEJIE_S3_BUCKET")  # without it: local disk, the embedded default
    out = subprocess.run([sys.executable, "-c", "import django; django.setup()\n"  # noqa: S603
                          "from django.core.files.storage import storages\n"
                          "print(type(storages['default']).__name__)"], env=env, capture_output=True, text=True,
                         timeout=60, check=False)
    assert out.stdout.strip() == "FileSystemStorage", out.stderr


def test_a_bucket_that_cannot_be_reached_fails_the_check(s3_server, settings):
    from botocore.exceptions import ClientError
    from django.core.files.storage import default_storage

    from hejie.core.storage import s3_storage, storage_check

    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(bucket="no-such-bucket", endpoint_url=s3_server,
                                                                    **S3_KEYS)}
    with pytest.raises(ClientError):
        storage_check(default_storage)
    assert Evidence.objects.count() == 0
