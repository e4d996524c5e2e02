"""Evidence files: receipts, photos, chat screenshots, PDFs.

The real type is read from the bytes, never from the name or the browser's
word. Images are decoded in full (a file that does not decode is refused)
and re-encoded without their metadata: EXIF carries the phone's GPS
position. PDFs must be PDFs and may not carry scripts or launch actions.
Files are stored under a random name and only ever served through a
permission-checked view (see ``evidence_open_for``).
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageOps, UnidentifiedImageError

from hejie.accounts import access, privacy
from hejie.complaints.events import EventType
from hejie.complaints.models import Evidence
from hejie.complaints.services.orders import _acting, _event, side_of
from hejie.core.errors import Conflict, InvalidInput, NotFound, TooLarge, UnsupportedMedia

MAX_PIXELS = 40_000_000  # a 40-megapixel photo is plenty; beyond that it is a decompression bomb

# sniffed kind -> (content type, stored extension, names it may carry)
TYPES = {
    "jpeg": ("image/jpeg", "jpg", {"jpg", "jpeg", "jfif"}),
    "png": ("image/png", "png", {"png"}),
    "gif": ("image/gif", "gif", {"gif"}),
    "webp": ("image/webp", "webp", {"webp"}),
    "pdf": ("application/pdf", "pdf", {"pdf"}),
}
_PDF_DANGER = (b"/JavaScript", b"/JS ", b"/JS(", b"/JS<", b"/Launch", b"/EmbeddedFile")


def max_bytes() -> int:
    return int(getattr(settings, "HEJIE_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024))


def max_files() -> int:
    return int(getattr(settings, "HEJIE_EVIDENCE_MAX_FILES", 20))


def sniff(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf"
    return None


def _reencode_image(data: bytes, kind: str) -> bytes:
    img: Image.Image  # the file as opened, then upright
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise InvalidInput(_("图片像素过多（超过%(mp)d百万像素）") % {"mp": MAX_PIXELS // 1_000_000},
                                   code="image_too_large", fields={"file": "too many pixels"})
            img.load()
            img = ImageOps.exif_transpose(img)  # keep the photo upright once EXIF is gone
            out = io.BytesIO()
            if kind == "jpeg":
                img.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
            elif kind == "webp":
                img.save(out, "WEBP", quality=90)
            elif kind == "gif":
                img.save(out, "GIF")
            else:
                if img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                    img = img.convert("RGBA")
                img.save(out, "PNG", optimize=True)
            return out.getvalue()
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise UnsupportedMedia(_("图片已损坏或无法识别"),
                               fields={"file": "broken image"}) from None


def _check_pdf(data: bytes) -> bytes:
    if b"%%EOF" not in data[-2048:]:
        raise UnsupportedMedia(_("PDF文件不完整"), fields={"file": "broken pdf"})
    if any(marker in data for marker in _PDF_DANGER):
        raise UnsupportedMedia(_("PDF中含有脚本或嵌入文件，不能上传"),
                               fields={"file": "active pdf"})
    return data


def inspect_upload(name: str, data: bytes) -> tuple[str, bytes]:
    """Check an upload and return (kind, the bytes to store). Raises a typed error."""
    if not data:
        raise InvalidInput(_("文件为空"), code="empty_file", fields={"file": "empty"})
    if len(data) > max_bytes():
        raise TooLarge(_("文件超过%(mb)dMB") % {"mb": max_bytes() // (1024 * 1024)},
                       fields={"file": "too large"})
    kind = sniff(data)
    if kind is None:
        raise UnsupportedMedia(_("只能上传图片（JPEG、PNG、GIF、WebP）或PDF"),
                               fields={"file": "unsupported type"})
    ext = os.path.splitext(name or "")[1].lower().lstrip(".")
    if ext and ext not in TYPES[kind][2]:
        raise UnsupportedMedia(
            _("文件名为 .%(ext)s，内容却是 %(kind)s，请检查文件") % {"ext": ext, "kind": kind.upper()},
            code="type_mismatch", fields={"file": "name and content disagree"},
        )
    stored = _check_pdf(data) if kind == "pdf" else _reencode_image(data, kind)
    return kind, stored


def refuse_too_many(count: int) -> None:
    """Refuse one more file where ``count`` are already attached."""
    if count >= max_files():
        raise Conflict(ngettext("每件投诉最多%(n)d个附件", "每件投诉最多%(n)d个附件", max_files()) % {"n": max_files()},
                       code="too_many_files")


def upload_name(name: str | None) -> str:
    """The name an upload is kept under: its last path part, at most 200 characters."""
    return os.path.basename((name or "").replace("\\", "/"))[:200] or "upload"


def evidence_add(*, actor, complaint, name: str, data: bytes) -> Evidence:
    """Attach a file to an order (consumer, business, or council in mediation)."""
    name = upload_name(name)
    kind, stored = inspect_upload(name, data)  # before any lock: decoding can take a moment
    return evidence_store(actor=actor, complaint=complaint, name=name, kind=kind, stored=stored)


def evidence_store(*, actor, complaint, name: str, kind: str, stored: bytes) -> Evidence:
    """Attach bytes that ``inspect_upload`` has already checked (``kind`` and
    ``stored`` as it returned them), e.g. a complaint draft's files on filing."""
    digest = hashlib.sha256(stored).hexdigest()
    content_type, ext, _ = TYPES[kind]
    stored_path = None
    try:
        with _acting(actor, complaint, "evidence") as (complaint, side, policy, now):
            existing = complaint.evidence.filter(sha256=digest).first()
            if existing is not None:
                return existing  # the same file sent twice (a retry on a bad network) is one file
            refuse_too_many(complaint.evidence.count())
            evidence = Evidence(
                complaint=complaint, uploaded_by=actor, side=side, original_name=name,
                kind="pdf" if kind == "pdf" else "image", content_type=content_type, size=len(stored),
                sha256=digest, created_at=now,
            )
            evidence.file.save(f"{complaint.pk}/{uuid.uuid4().hex}.{ext}", ContentFile(stored), save=False)
            stored_path = evidence.file.name
            evidence.save()
            _event(complaint, EventType.EVIDENCE_ADDED, actor=actor, side=side, now=now,
                   payload={"evidence_id": evidence.pk, "name": name, "kind": evidence.kind, "size": len(stored)})
    except BaseException:
        if stored_path:  # nothing half-written: no file without its row
            Evidence.file.field.storage.delete(stored_path)
        raise
    return evidence


def evidence_open_for(user, complaint_id, evidence_id) -> Evidence:
    """The evidence row if ``user`` may see its order; NotFound otherwise."""
    try:
        evidence = Evidence.objects.select_related("complaint").get(pk=int(evidence_id), complaint_id=int(complaint_id))
    except (Evidence.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("附件不存在")) from None
    if side_of(user, evidence.complaint) is None:
        raise NotFound(_("附件不存在"))
    if not access.may_see_personal_data_on(user, evidence.complaint):  # a file's name is free text too
        privacy.redact(evidence, original_name=privacy.scrub(evidence.original_name))
    return evidence
