"""`hejie evidence_to_s3`: the files kept on local disk copied to the bucket of a real S3 server
(moto's, started by the tests), checked against their rows' SHA-256; a second run does nothing,
a stopped run is finished by the next, a file that does not match is reported and not copied."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from hejie.complaints import drafts
from hejie.complaints import evidence as ev
from hejie.complaints.models import DraftFile, Evidence
from hejie.ops import evidence_move

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def jpeg(color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def on_disk(local_storage, delivered, consumer, staff, make_user):
    """Three evidence files and a draft's file written while the files were kept on local disk."""
    ev.evidence_add(actor=consumer, complaint=delivered, name="小票.jpg", data=jpeg())
    ev.evidence_add(actor=consumer, complaint=delivered, name="发票.pdf", data=PDF)
    ev.evidence_add(actor=staff, complaint=delivered, name="回执.jpg", data=jpeg((1, 2, 3)))
    drafts.draft_file_add(consumer=make_user("consumer"), name="草稿.jpg", data=jpeg((9, 9, 9)))
    names = sorted([*Evidence.objects.values_list("file", flat=True), *DraftFile.objects.values_list("file",
                                                                                                   flat=True)])
    assert local_storage.local_names() == names
    return local_storage


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("evidence_to_s3", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def all_names() -> list[str]:
    return sorted([*Evidence.objects.values_list("file", flat=True), *DraftFile.objects.values_list("file", flat=True)])


def test_copies_every_file_checked_and_a_second_run_is_a_no_op(on_disk, request, client, consumer, delivered,
                                                             make_user):
    bucket = request.getfixturevalue("s3_storage")  # the deployment turns the bucket on
    assert bucket.names() == []
    client.force_login(consumer)
    first = Evidence.objects.order_by("pk").first()
    url = f"/files/complaints/{delivered.pk}/evidence/{first.pk}"
    assert client.get(url).status_code == 404  # not moved yet: not found (and logged), not a 500

    out, err = run("--dry-run")
    assert "evidence: 3 file(s): 3 to copy, 0 already in the bucket, 0 missing, 0 checksum mismatch(es)" in out
    assert "draft files: 1 file(s): 1 to copy" in out and "appeal files: 0 file(s)" in out
    assert "dry run: nothing was written" in out and bucket.names() == []

    out, err = run()
    assert "evidence: 3 file(s): 3 copied, 0 already in the bucket, 0 missing, 0 checksum mismatch(es)" in out
    assert "draft files: 1 file(s): 1 copied" in out and err == ""
    assert bucket.names() == all_names()
    for row in (*Evidence.objects.all(), *DraftFile.objects.all()):
        data = bucket.read(row.file.name)
        assert data == (on_disk.root / row.file.name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row.sha256
        head = bucket.client.head_object(Bucket=bucket.bucket, Key=row.file.name)
        assert head["Metadata"]["sha256"] == row.sha256 and head["ContentType"] == row.content_type
    assert on_disk.local_names() == all_names()  # kept on disk unless asked

    r = client.get(url)  # now served from the bucket, to the order's parties only
    assert r.status_code == 200 and b"".join(r.streaming_content) == bucket.read(first.file.name)
    client.force_login(make_user("consumer"))
    assert client.get(url).status_code == 404

    before = {o["Key"]: o["LastModified"] for o in bucket.client.list_objects_v2(Bucket=bucket.bucket)["Contents"]}
    out, _ = run()
    assert "evidence: 3 file(s): 0 copied, 3 already in the bucket, 0 missing, 0 checksum mismatch(es)" in out
    assert "draft files: 1 file(s): 0 copied, 1 already in the bucket" in out
    after = {o["Key"]: o["LastModified"] for o in bucket.client.list_objects_v2(Bucket=bucket.bucket)["Contents"]}
    assert after == before  # nothing written again


def test_a_stopped_run_is_finished_by_the_next(on_disk, request, monkeypatch):
    bucket = request.getfixturevalue("s3_storage")
    real_put, sent = evidence_move.Bucket.put, []

    def put_then_die(self, name, stream, **kwargs):
        if len(sent) == 2:
            stream.close()
            raise KeyboardInterrupt  # the operator's Ctrl-C, a killed pod
        real_put(self, name, stream, **kwargs)
        sent.append(name)

    monkeypatch.setattr(evidence_move.Bucket, "put", put_then_die)
    with pytest.raises(KeyboardInterrupt):
        run()
    assert bucket.names() == sorted(sent) and len(sent) == 2
    monkeypatch.setattr(evidence_move.Bucket, "put", real_put)
    out, _ = run()
    assert "evidence: 3 file(s): 1 copied, 2 already in the bucket, 0 missing, 0 checksum mismatch(es)" in out
    assert "draft files: 1 file(s): 1 copied, 0 already in the bucket" in out
    assert bucket.names() == all_names()


def test_files_that_do_not_match_their_checksum_are_reported_and_not_copied(on_disk, request):
    bucket = request.getfixturevalue("s3_storage")
    bad, gone, wrong_object = Evidence.objects.order_by("pk")
    good = DraftFile.objects.get()
    kept_safe = (on_disk.root / wrong_object.file.name).read_bytes()
    (on_disk.root / bad.file.name).write_bytes(b"%PDF-1.4 changed on disk\n%%EOF\n")  # the local copy was damaged
    (on_disk.root / gone.file.name).unlink()  # lost from the disk
    (on_disk.root / wrong_object.file.name).unlink()
    bucket.client.put_object(Bucket=bucket.bucket, Key=wrong_object.file.name, Body=b"not the file")
    with pytest.raises(CommandError) as failed:
        run()
    assert "3 file(s) could not be moved" in str(failed.value)
    assert bucket.names() == sorted([wrong_object.file.name, good.file.name])  # the bad copy is not sent
    out, err = run_capturing_failure()
    assert "evidence: 3 file(s): 0 copied, 0 already in the bucket, 1 missing, 2 checksum mismatch(es)" in out
    assert "draft files: 1 file(s): 0 copied, 1 already in the bucket" in out
    assert f"{bad.file.name}: the local file does not match its checksum; not copied" in err
    assert f"{gone.file.name}: neither on local disk nor in the bucket" in err
    assert f"{wrong_object.file.name}: the object in the bucket does not match its checksum" in err

    # put right on disk (from a backup): the next run copies it, replacing the wrong object
    (on_disk.root / wrong_object.file.name).write_bytes(kept_safe)
    (on_disk.root / bad.file.name).unlink()
    bad.delete()
    gone.delete()
    out, err = run()
    assert "evidence: 1 file(s): 1 copied, 0 already in the bucket, 0 missing, 0 checksum mismatch(es)" in out
    assert bucket.read(wrong_object.file.name) == kept_safe


def run_capturing_failure() -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("evidence_to_s3", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_delete_local_removes_each_local_file_once_its_copy_is_checked(on_disk, request):
    bucket = request.getfixturevalue("s3_storage")
    out, _ = run("--delete-local")
    assert "evidence: 3 file(s): 3 copied, 0 already in the bucket, 0 missing, 0 checksum mismatch(es), " \
           "3 local copies deleted" in out
    assert bucket.names() == all_names() and on_disk.local_names() == []


def test_without_a_bucket_it_says_so(local_storage):
    with pytest.raises(CommandError) as refused:
        run()
    assert "HEJIE_S3_BUCKET is not set" in str(refused.value)


def test_a_bucket_out_of_reach_is_said_before_anything_is_done(on_disk, request, settings):
    from hejie.core.storage import s3_storage

    request.getfixturevalue("s3_storage")
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(
        bucket="no-such-bucket", endpoint_url=request.getfixturevalue("s3_server"),
        access_key="k", secret_key="s")}
    with pytest.raises(CommandError) as refused:
        run()
    assert "the bucket 'no-such-bucket' cannot be reached" in str(refused.value)
    with pytest.raises(CommandError) as refused:
        run("--source", str(on_disk.root / "nowhere"))
    assert "no such folder" in str(refused.value)
