"""Complaint drafts (complaints/drafts.py): saved as typed, checked like a filing,
filed in one transaction with their files as evidence, purged when old."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from PIL import Image

from hejie.complaints import drafts
from hejie.complaints.models import Complaint, ComplaintDraft, DraftFile, Evidence
from hejie.core.errors import Conflict, InvalidInput, NotAllowed, NotFound, TooLarge, UnsupportedMedia

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(stored_files):
    """Every test here runs with the files on local disk and again in a bucket of a real S3 server."""
    return stored_files


def photo(color=(10, 120, 10), exif_gps=False) -> bytes:
    out = io.BytesIO()
    img = Image.new("RGB", (30, 20), color)
    if exif_gps:
        exif = Image.Exif()
        exif[0x8825] = {2: (30.0, 35.0, 0.0)}  # GPSInfo: latitude
        img.save(out, "JPEG", exif=exif)
    else:
        img.save(out, "JPEG")
    return out.getvalue()


def fill(consumer, business, **claim):
    drafts.draft_update(consumer=consumer, step="business", values={"business_id": business.pk})
    drafts.draft_update(consumer=consumer, step="problem",
                        values={"problem_type": "quality", "description": "买的热干面里有异物，要求退款。"})
    drafts.draft_update(consumer=consumer, step="claim",
                        values={"claim_type": "refund", "claim_amount": "38", **claim})
    return ComplaintDraft.objects.get(consumer=consumer)


def test_only_consumers_have_drafts(staff, council):
    for user in (staff, council, None):
        with pytest.raises(NotAllowed):
            drafts.draft_update(consumer=user, step="problem", values={})
        with pytest.raises(NotAllowed):
            drafts.draft_file_add(consumer=user, name="a.jpg", data=photo())
    assert not ComplaintDraft.objects.exists()


def test_refused_values_are_kept_and_the_step_is_not_done(consumer):
    with pytest.raises(InvalidInput) as refused:
        drafts.draft_update(consumer=consumer, step="claim",
                            values={"claim_type": "compensation", "claim_amount": "-5", "purchase_date": "yesterday"})
    assert set(refused.value.fields) == {"claim_amount", "purchase_date"}
    draft = ComplaintDraft.objects.get(consumer=consumer)
    assert draft.data["claim_amount"] == "-5" and draft.data["purchase_date"] == "yesterday"
    assert "claim" not in draft.data["done"]
    drafts.draft_update(consumer=consumer, step="claim", values={"claim_type": "compensation", "claim_amount": "5"})
    assert ComplaintDraft.objects.get(consumer=consumer).data["done"] == ["claim"]


def test_the_amount_rule_is_the_filing_s(consumer):
    """A refund needs an amount, an apology does not (services.AMOUNT_CLAIMS)."""
    with pytest.raises(InvalidInput) as refused:
        drafts.draft_update(consumer=consumer, step="claim", values={"claim_type": "refund"})
    assert list(refused.value.fields) == ["claim_amount"]
    drafts.draft_update(consumer=consumer, step="claim", values={"claim_type": "apology"})


def test_a_new_business_forgets_the_store(consumer, business, make_business):
    from hejie.businesses.models import Store
    from hejie.regions.models import Region

    store = Store.objects.create(business=business, name="一号店", region=Region.objects.get(code="420102"))
    drafts.draft_update(consumer=consumer, step="business", values={"business_id": business.pk})
    drafts.draft_update(consumer=consumer, step="store", values={"store_id": store.pk})
    draft = drafts.draft_update(consumer=consumer, step="business", values={"business_id": make_business().pk})
    assert "store_id" not in draft.data and "store" not in draft.data["done"]
    assert drafts.draft_steps(draft) == ["business", "problem", "claim", "evidence", "review"]


def test_draft_files_pass_the_evidence_checks(consumer, settings, media):
    item = drafts.draft_file_add(consumer=consumer, name="../../etc/收据.jpg", data=photo(exif_gps=True))
    assert item.original_name == "收据.jpg" and item.kind == "jpeg"
    with item.file.open("rb") as f, Image.open(f) as img:
        assert 0x8825 not in img.getexif()  # re-encoded: no GPS
    assert media.names() == [item.file.name]
    with Image.open(io.BytesIO(media.read(item.file.name))) as img:
        assert 0x8825 not in img.getexif()  # as the storage keeps it
    # the same photo again is the same file
    assert drafts.draft_file_add(consumer=consumer, name="again.jpg", data=photo(exif_gps=True)).pk == item.pk
    with pytest.raises(UnsupportedMedia):
        drafts.draft_file_add(consumer=consumer, name="x.jpg", data=b"<html>not an image</html>")
    with pytest.raises(UnsupportedMedia):
        drafts.draft_file_add(consumer=consumer, name="x.png", data=photo())  # a JPEG named .png
    settings.HEJIE_EVIDENCE_MAX_BYTES = 100
    with pytest.raises(TooLarge):
        drafts.draft_file_add(consumer=consumer, name="big.jpg", data=photo((1, 2, 3)))
    settings.HEJIE_EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
    settings.HEJIE_EVIDENCE_MAX_FILES = 2
    drafts.draft_file_add(consumer=consumer, name="b.jpg", data=photo((200, 0, 0)))
    with pytest.raises(Conflict) as refused:
        drafts.draft_file_add(consumer=consumer, name="c.jpg", data=photo((0, 0, 200)))
    assert refused.value.code == "too_many_files"
    assert DraftFile.objects.count() == 2


def test_nobody_else_reaches_a_draft_file(consumer, make_user):
    item = drafts.draft_file_add(consumer=consumer, name="a.jpg", data=photo())
    other = make_user("consumer")
    with pytest.raises(NotFound):
        drafts.draft_file_get(other, item.pk)
    with pytest.raises(NotFound):
        drafts.draft_file_remove(consumer=other, file_id=item.pk)
    assert drafts.draft_file_get(consumer, item.pk) == item


def test_submit_files_the_complaint_with_its_evidence_and_deletes_the_draft(
        consumer, business, staff, django_capture_on_commit_callbacks, media):
    draft = fill(consumer, business, order_ref="A-1")
    drafts.draft_file_add(consumer=consumer, name="a.jpg", data=photo())
    drafts.draft_file_add(consumer=consumer, name="b.jpg", data=photo((1, 1, 1)))
    draft_paths = [f.file.name for f in draft.files.all()]
    with django_capture_on_commit_callbacks(execute=True):
        complaint = drafts.draft_submit(consumer=consumer, token=draft.token)
    assert complaint.state == "delivered" and complaint.idempotency_key == f"draft-{draft.token}"
    assert [e.original_name for e in complaint.evidence.all()] == ["a.jpg", "b.jpg"]
    assert [e.type for e in complaint.events.all()] == ["submitted", "evidence_added", "evidence_added"]
    assert not ComplaintDraft.objects.exists()
    storage = DraftFile.file.field.storage
    assert not any(storage.exists(p) for p in draft_paths)
    assert media.names() == sorted(e.file.name for e in complaint.evidence.all())  # the drafts' files are gone
    again = drafts.draft_submit(consumer=consumer, token=draft.token)
    assert again.pk == complaint.pk and again.idempotent_replay
    assert Complaint.objects.count() == 1 and Evidence.objects.count() == 2


def test_a_failure_after_filing_rolls_everything_back(consumer, business, monkeypatch, media):
    from hejie.complaints import evidence

    draft = fill(consumer, business)
    drafts.draft_file_add(consumer=consumer, name="a.jpg", data=photo())
    drafts.draft_file_add(consumer=consumer, name="b.jpg", data=photo((1, 1, 1)))
    stored = []
    real = evidence.evidence_store

    def store_then_fail(**kwargs):
        if stored:  # the second file: the disk is full
            raise OSError("disk full")
        made = real(**kwargs)
        stored.append(made.file.name)
        return made

    monkeypatch.setattr(drafts, "evidence_store", store_then_fail)
    with pytest.raises(OSError):
        drafts.draft_submit(consumer=consumer, token=draft.token)
    assert not Complaint.objects.exists() and not Evidence.objects.exists()
    assert ComplaintDraft.objects.get().files.count() == 2
    assert stored and not Evidence.file.field.storage.exists(stored[0])  # no orphan file
    assert media.names() == sorted(f.file.name for f in DraftFile.objects.all())  # only the draft's own two


def test_duplicate_keeps_the_draft(consumer, business, file_complaint):
    file_complaint(order_ref="A-1")
    draft = fill(consumer, business, order_ref="A-1")
    with pytest.raises(Conflict) as refused:
        drafts.draft_submit(consumer=consumer, token=draft.token)
    assert refused.value.code == "duplicate"
    assert ComplaintDraft.objects.get().token == draft.token
    # another order number is another matter
    drafts.draft_update(consumer=consumer, step="claim", values={"claim_type": "refund", "claim_amount": "38",
                                                                 "order_ref": "A-2"})
    assert drafts.draft_submit(consumer=consumer, token=draft.token).order_ref == "A-2"


def test_refusal_fields_are_grouped_by_step():
    exc = InvalidInput("x", fields={"description": "短", "claim_amount": "负", "file": "大", "other": "?"})
    assert drafts.draft_refusal_steps(exc) == {"problem": {"description": "短"}, "claim": {"claim_amount": "负"},
                                               "evidence": {"file": "大"}}


def test_place_cascade_keeps_only_a_consistent_chain():
    assert drafts.place_resolve(["420000", "420100", "420102"]) == "420102"
    assert drafts.place_resolve(["420000", "110100", "420102"]) == "420000"  # Beijing is not in Hubei
    assert drafts.place_resolve(["", "420100"]) == ""
    assert drafts.place_resolve(["42000x"]) == ""
    levels = drafts.place_levels("420100")
    assert [lv["selected"] for lv in levels] == ["420000", "420100", ""]
    assert any(r.code == "420102" for r in levels[2]["options"])


def test_old_drafts_are_purged_with_their_files(consumer, make_user, traveller,
                                                django_capture_on_commit_callbacks, media):
    item = drafts.draft_file_add(consumer=consumer, name="a.jpg", data=photo())
    assert media.names() == [item.file.name]
    traveller.shift(dt.timedelta(days=20))
    recent = make_user("consumer")
    drafts.draft_update(consumer=recent, step="claim", values={"claim_type": "apology"})
    traveller.shift(dt.timedelta(days=10, seconds=1))  # the first: 30 days and a second untouched
    with django_capture_on_commit_callbacks(execute=True):
        call_command("drafts_purge", stdout=io.StringIO())
    assert list(ComplaintDraft.objects.values_list("consumer_id", flat=True)) == [recent.pk]
    assert not DraftFile.file.field.storage.exists(item.file.name)
    assert media.names() == []  # deleted from the folder or the bucket
    traveller.shift(dt.timedelta(days=5))
    assert drafts.drafts_purge(older_than_days=30) == 0
    assert drafts.drafts_purge(older_than_days=7) == 1
