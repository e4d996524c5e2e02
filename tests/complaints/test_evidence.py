import io

import pytest
from PIL import Image

from hejie.complaints import evidence as ev
from hejie.complaints.models import Evidence
from hejie.core.errors import Conflict, InvalidInput, NotFound, TooLarge, UnsupportedMedia


@pytest.fixture(autouse=True)
def media(stored_files):
    """Every test here runs with the files on local disk and again in a bucket of a real S3 server."""
    return stored_files


def jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (30.0, 35.0, 0.0), 3: "E", 4: (114.0, 17.0, 0.0)}  # GPS: Wuhan
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 255, 128)).save(out, "PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def files(media):
    return media.names() + media.local_names()


def test_photo_is_stored_without_exif(delivered, consumer, media):
    raw = jpeg_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif().get(0x8825)  # the upload has GPS
    e = ev.evidence_add(actor=consumer, complaint=delivered, name="小票.JPG", data=raw)
    assert (e.kind, e.content_type, e.original_name) == ("image", "image/jpeg", "小票.JPG")
    stored = e.file.read()
    img = Image.open(io.BytesIO(stored))
    assert not img.getexif()
    assert media.read(e.file.name) == stored  # what the storage itself keeps (the object in the bucket)
    assert media.names() == [e.file.name]
    if media.kind == "s3":
        assert media.local_names() == []  # nothing written to local disk on the way
    assert "小票" not in e.file.name  # stored under a random name
    assert delivered.events.filter(type="evidence_added").count() == 1


def test_png_and_pdf_accepted_by_business_too(delivered, consumer, staff):
    assert ev.evidence_add(actor=consumer, complaint=delivered, name="chat.png", data=png()).kind == "image"
    assert ev.evidence_add(actor=staff, complaint=delivered, name="发票.pdf", data=PDF).kind == "pdf"


@pytest.mark.parametrize(
    ("name", "data", "error", "code"),
    [
        ("a.jpg", b"", InvalidInput, "empty_file"),
        ("a.exe", b"MZ\x90\x00" + b"\x00" * 100, UnsupportedMedia, "unsupported_media"),
        ("photo.jpg", PDF, UnsupportedMedia, "type_mismatch"),
        ("doc.pdf", None, UnsupportedMedia, "type_mismatch"),  # a PNG named .pdf
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"garbage" * 20, UnsupportedMedia, "unsupported_media"),
        ("evil.pdf", b"%PDF-1.4\n<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\n%%EOF", UnsupportedMedia,
         "unsupported_media"),
        ("cut.pdf", b"%PDF-1.4\n1 0 obj", UnsupportedMedia, "unsupported_media"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_left(delivered, consumer, media, name, data, error, code):
    with pytest.raises(error) as e:
        ev.evidence_add(actor=consumer, complaint=delivered, name=name, data=png() if data is None else data)
    assert e.value.code == code and "file" in e.value.fields
    assert Evidence.objects.count() == 0 and files(media) == []


def test_too_large(delivered, consumer, settings, media):
    settings.HEJIE_EVIDENCE_MAX_BYTES = 1000
    with pytest.raises(TooLarge):
        ev.evidence_add(actor=consumer, complaint=delivered, name="big.pdf", data=PDF + b" " * 2000)
    assert files(media) == []


def test_count_limit_and_same_file_twice(delivered, consumer, settings):
    settings.HEJIE_EVIDENCE_MAX_FILES = 2
    a = ev.evidence_add(actor=consumer, complaint=delivered, name="a.pdf", data=PDF)
    assert ev.evidence_add(actor=consumer, complaint=delivered, name="a-again.pdf", data=PDF).pk == a.pk
    ev.evidence_add(actor=consumer, complaint=delivered, name="b.png", data=png())
    with pytest.raises(Conflict) as e:
        ev.evidence_add(actor=consumer, complaint=delivered, name="c.jpg", data=jpeg_with_gps())
    assert e.value.code == "too_many_files"


def test_strangers_can_neither_add_nor_open(delivered, consumer, make_user, make_business, media):
    e = ev.evidence_add(actor=consumer, complaint=delivered, name="a.pdf", data=PDF)
    stranger = make_user("consumer")
    with pytest.raises(NotFound):
        ev.evidence_add(actor=stranger, complaint=delivered, name="x.pdf", data=PDF + b"\n")
    for who in (stranger, make_user("business", business=make_business()), make_user("council", region="420500")):
        with pytest.raises(NotFound):
            ev.evidence_open_for(who, delivered.pk, e.pk)
    assert ev.evidence_open_for(consumer, delivered.pk, e.pk) == e
    with pytest.raises(NotFound):
        ev.evidence_open_for(consumer, delivered.pk + 1, e.pk)  # right file, wrong order


def test_no_file_left_when_the_transaction_fails(delivered, consumer, media, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(ev, "_event", boom)
    with pytest.raises(RuntimeError):
        ev.evidence_add(actor=consumer, complaint=delivered, name="a.pdf", data=PDF)
    assert Evidence.objects.count() == 0 and files(media) == []


def test_decompression_bomb_is_refused(delivered, consumer, monkeypatch):
    monkeypatch.setattr(ev, "MAX_PIXELS", 100)
    with pytest.raises(InvalidInput) as e:
        ev.evidence_add(actor=consumer, complaint=delivered, name="huge.png", data=_big_png())
    assert e.value.code == "image_too_large"


def _big_png() -> bytes:
    out = io.BytesIO()
    Image.new("L", (200, 200)).save(out, "PNG")
    return out.getvalue()


def test_evidence_not_allowed_after_the_case_ends(delivered, consumer):
    from hejie.complaints import services as svc

    svc.complaint_withdraw(actor=consumer, complaint=delivered)
    with pytest.raises(Conflict):
        ev.evidence_add(actor=consumer, complaint=delivered, name="late.pdf", data=PDF)
    assert Evidence.objects.count() == 0


def test_the_file_view_checks_permission_and_sets_safe_headers(delivered, consumer, make_user, client):
    e = ev.evidence_add(actor=consumer, complaint=delivered, name="发票.pdf", data=PDF)
    url = f"/files/complaints/{delivered.pk}/evidence/{e.pk}"
    assert client.get(url).status_code == 404  # anonymous
    client.force_login(make_user("consumer"))
    assert client.get(url).status_code == 404  # someone else
    client.force_login(consumer)
    r = client.get(url)
    assert r.status_code == 200 and b"".join(r.streaming_content) == PDF
    assert r["X-Content-Type-Options"] == "nosniff" and r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"].startswith("inline; filename*=UTF-8''")
    assert "sandbox" in r["Content-Security-Policy"]
    assert client.get(url + "?download=1")["Content-Disposition"].startswith("attachment")
