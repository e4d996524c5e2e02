"""Evidence files: receipts, photos, chat screenshots, PDFs.

The real type is read from the bytes, never from the name or the browser's
word. Images are decoded in full (a file that does not decode is refused)
and re-encoded from their pixels alone: EXIF (the phone's GPS position),
XMP, ICC profiles (colours converted to sRGB first), JPEG comments, GIF
comment extensions and PNG text chunks are all left behind. PDFs are read
with a real parser (pikepdf, i.e. qpdf) and refused when they carry active
content, are encrypted or do not parse (``_check_pdf``; ``pdfscan``).
Files are stored under a random name and only ever served through a
permission-checked view (see ``evidence_open_for``).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from hejie.accounts import access, privacy
from hejie.complaints import pdfscan
from hejie.complaints.events import EventType
from hejie.complaints.models import Evidence
from hejie.complaints.services.orders import _acting, _event, side_of
from hejie.core.errors import Conflict, InvalidInput, NotFound, TooLarge, UnsupportedMedia
from hejie.core.storage import storage_errors

log = logging.getLogger(__name__)

NAME_MAX = 200  # the length of original_name in the models
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is plenty; beyond that it is a decompression bomb

# sniffed kind -> (content type, stored extension, names it may carry)
TYPES = {
    "jpeg": ("image/jpeg", "jpg", {"jpg", "jpeg", "jfif"}),
    "png": ("image/png", "png", {"png"}),
    "gif": ("image/gif", "gif", {"gif"}),
    "webp": ("image/webp", "webp", {"webp"}),
    "pdf": ("application/pdf", "pdf", {"pdf"}),
}


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
    img: Image.Image  # the file as opened, then upright, then its pixels alone
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise InvalidInput(_("图片像素过多（超过%(mp)d百万像素）") % {"mp": MAX_PIXELS // 1_000_000},
                                   code="image_too_large", fields={"file": "too many pixels"})
            img.load()
            img = ImageOps.exif_transpose(img)  # keep the photo upright once EXIF is gone
            img = _bare(img)
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


def _bare(img: Image.Image) -> Image.Image:
    """The image's pixels in a new image that knows nothing else.

    Pillow's encoders write back much of what they read (``info``): a JPEG's
    comment and XMP, a GIF's comment extension, a PNG's ICC profile, EXIF in
    several formats. Starting from an empty image keeps none of it; only the
    transparency (part of the picture) and the palette are carried over. A
    colour profile is applied (converted to sRGB) before it is dropped, so a
    wide-gamut phone photo keeps its colours."""
    icc, transparency = img.info.get("icc_profile"), img.info.get("transparency")
    if icc and img.mode in ("RGB", "RGBA", "CMYK"):
        try:
            img = ImageCms.profileToProfile(
                img, ImageCms.ImageCmsProfile(io.BytesIO(icc)), ImageCms.createProfile("sRGB"),
                outputMode="RGBA" if img.mode == "RGBA" else "RGB") or img
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken profile: the pixels as they are
    clean = Image.new(img.mode, img.size)
    clean.paste(img, (0, 0))
    if img.mode in ("P", "PA") and img.palette is not None:
        clean.putpalette(img.getpalette(img.palette.mode) or [], img.palette.mode)
    if transparency is not None:
        clean.info["transparency"] = transparency
    return clean


# --------------------------------------------------------------------------- PDFs
#
# A PDF is read by a real parser (pikepdf, i.e. qpdf) in a process of its own under a
# memory and CPU limit (``pdfscan.py``, which says what it checks). A PDF with active
# content is refused, not stripped and re-saved: the stored file stays the one the
# consumer sent (its hash is the one they hold), the rule is a short list anyone can
# audit, and receipts and invoices do not carry scripts.

_PDFSCAN = Path(__file__).with_name("pdfscan.py")
_PDF_CHECKS = threading.BoundedSemaphore(2)  # at most two parser processes per web process


def _pdf_reason(reason: str, name: str) -> str:
    messages = {
        "javascript": _("PDF文件“%(name)s”含有脚本（JavaScript），不能上传。"),
        "launch": _("PDF文件“%(name)s”含有启动程序的动作，不能上传。"),
        "auto_action": _("PDF文件“%(name)s”含有打开或浏览时自动执行的动作，不能上传。"),
        "embedded_file": _("PDF文件“%(name)s”里嵌入了其他文件，不能上传。"),
        "rich_media": _("PDF文件“%(name)s”含有多媒体或3D内容，不能上传。"),
        "xfa": _("PDF文件“%(name)s”含有XFA动态表单，不能上传。"),
        "form_data": _("PDF文件“%(name)s”含有提交或导入表单数据的动作，不能上传。"),
        "other_file": _("PDF文件“%(name)s”含有打开其他文件的链接，不能上传。"),
        "action": _("PDF文件“%(name)s”含有不允许的动作，不能上传。"),
    }
    return _("%(reason)s%(hint)s") % {"reason": messages[reason] % {"name": name},
                                       "hint": _("请把它打印为新的PDF，或截图后上传图片。")}


def _scan_pdf(data: bytes) -> dict:
    """pdfscan's verdict on ``data``; ``{"verdict": "too_complex"}`` when its process ran out of
    memory or time or ended without one (fail closed: such a file is refused)."""
    memory_mb = int(getattr(settings, "HEJIE_PDF_CHECK_MEMORY_MB", 512))
    seconds = int(getattr(settings, "HEJIE_PDF_CHECK_SECONDS", 20))
    with _PDF_CHECKS:
        try:
            done = subprocess.run(  # noqa: S603  (our interpreter and our own script; the PDF goes to stdin)
                [sys.executable, "-I", str(_PDFSCAN), str(memory_mb), str(seconds)],
                input=data, capture_output=True, timeout=seconds * 1.5, check=False)
        except subprocess.TimeoutExpired:
            log.warning("PDF check: no verdict within %ss", seconds)
            return {"verdict": "too_complex"}
    try:
        verdict = json.loads(done.stdout)
    except ValueError:
        verdict = None
    if done.returncode != 0 or not isinstance(verdict, dict) or "verdict" not in verdict:
        log.warning("PDF check ended without a verdict (exit %s): %s", done.returncode, done.stderr[-500:])
        return {"verdict": "too_complex"}
    return verdict


def _check_pdf(name: str, data: bytes) -> bytes:
    verdict = _scan_pdf(data)
    match verdict["verdict"]:
        case "ok":
            return data
        case "active":
            reasons = [r for r in verdict.get("reasons", []) if r in pdfscan.REASONS] or ["action"]
            raise UnsupportedMedia(_pdf_reason(reasons[0], name), code="pdf_active_content",
                                   fields={"file": "active pdf: " + ", ".join(reasons)})
        case "encrypted":
            raise UnsupportedMedia(_("PDF文件“%(name)s”已加密或设有密码，请去掉密码后再上传") % {"name": name},
                                   code="pdf_encrypted", fields={"file": "encrypted pdf"})
        case "broken":
            raise UnsupportedMedia(_("PDF文件“%(name)s”已损坏或不完整，请重新导出后上传") % {"name": name},
                                   code="pdf_broken", fields={"file": "broken pdf"})
        case _:
            raise UnsupportedMedia(_("PDF文件“%(name)s”过于复杂，无法检查，请把它打印为新的PDF后上传") % {"name": name},
                                   code="pdf_too_complex", fields={"file": "pdf too complex to check"})


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
    stored = _check_pdf(name, data) if kind == "pdf" else _reencode_image(data, kind)
    return kind, stored


def refuse_too_many(count: int) -> None:
    """Refuse one more file where ``count`` are already attached."""
    if count >= max_files():
        raise Conflict(ngettext("每件投诉最多%(n)d个附件", "每件投诉最多%(n)d个附件", max_files()) % {"n": max_files()},
                       code="too_many_files")


def upload_name(name: str | None) -> str:
    """The name an upload is kept under: its last path part, at most ``NAME_MAX``
    characters; a longer name is cut in its stem, so that it keeps its extension."""
    name = os.path.basename((name or "").replace("\\", "/")).strip()
    if len(name) > NAME_MAX:
        stem, ext = os.path.splitext(name)
        if 1 < len(ext) <= 16:
            name = stem[:NAME_MAX - len(ext)].rstrip() + ext
        else:
            name = name[:NAME_MAX]
    return name or "upload"


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
            with storage_errors():
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
    if evidence.removed_at is not None:
        # the retention purge deleted the file (``complaints.retention``); the row is a stub
        raise NotFound(_("该附件已按个人信息保存期限删除"), code="evidence_removed")
    if not access.may_see_personal_data_on(user, evidence.complaint):  # a file's name is free text too
        privacy.redact(evidence, original_name=privacy.scrub(evidence.original_name))
    return evidence
