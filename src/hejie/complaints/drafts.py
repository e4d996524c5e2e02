"""Complaint drafts: the consumer's "我要和解" form while it is being written.

One draft per consumer, kept on the server and saved at every step, so a
reload, a closed tab or a dropped connection loses nothing. ``data`` keeps
each field as it was typed (a value that is refused stays in the draft, to
be corrected); each step is checked with the same helpers the filing uses
(``complaints.services``), and the filing itself is ``complaint_submit``.
Draft files pass exactly the checks evidence does (``complaints.evidence``)
and become the complaint's evidence when it is filed, in the same
transaction that files it and deletes the draft.

Old drafts are removed by ``drafts_purge`` (command ``hejie drafts_purge``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import uuid

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image

from hejie.accounts import access
from hejie.businesses import claims
from hejie.businesses.models import Business, Industry, Store
from hejie.businesses.selectors import business_directory, business_get_for
from hejie.complaints.evidence import TYPES, evidence_store, inspect_upload, refuse_too_many, upload_name
from hejie.complaints.models import Complaint, ComplaintDraft, DraftFile, Evidence
from hejie.complaints.policy import get_policy
from hejie.complaints.selectors import complaint_counts
from hejie.complaints.services.intake import AMOUNT_CLAIMS, DESCRIPTION_MIN, complaint_submit
from hejie.complaints.services.orders import MAX_TEXT, _amount, _choice, _date
from hejie.core import clock
from hejie.core.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from hejie.core.storage import storage_errors, walk
from hejie.core.validation import clean_text
from hejie.regions.models import Region
from hejie.regions.selectors import region_get

log = logging.getLogger(__name__)

# The steps, in order. "store" is skipped when the business has no stores
# (or is not on the platform); "evidence" may be left empty.
STEPS = ("business", "store", "problem", "claim", "evidence", "review")
FIELDS = {
    "business": ("business_id", "business_name", "region_code", "business_phone", "business_credit_code"),
    "store": ("store_id",),
    "problem": ("problem_type", "description"),
    "claim": ("claim_type", "claim_amount", "purchase_amount", "purchase_date", "order_ref"),
    "evidence": (),
}
STEP_OF_FIELD = {field: step for step, fields in FIELDS.items() for field in fields} | {"file": "evidence"}
RAW_MAX = 20_000  # characters kept of any typed value (the checks say what is too long)
SEARCH_LIMIT = 30
BUSINESS_NAME_MAX = 120
ORDER_REF_MAX = 64
NO_STORE = "none"


def _require_consumer(consumer) -> None:
    if not access.may_file_complaints(consumer):
        raise NotAllowed(_("只有消费者可以投诉"))


# --------------------------------------------------------------------------- selectors


def draft_get(consumer) -> ComplaintDraft:
    """The consumer's draft, or a new unsaved one (a GET writes nothing)."""
    _require_consumer(consumer)
    draft = ComplaintDraft.objects.filter(consumer=consumer).first()
    return draft if draft is not None else ComplaintDraft(consumer=consumer, data={})


def draft_files(draft: ComplaintDraft) -> list[DraftFile]:
    return list(draft.files.all()) if draft.pk else []


def draft_file_get(consumer, file_id) -> DraftFile:
    """A file of ``consumer``'s own draft; NotFound for anyone else's."""
    if not access.may_file_complaints(consumer):
        raise NotFound(_("文件不存在"))
    try:
        return DraftFile.objects.get(pk=int(file_id), draft__consumer=consumer)
    except (DraftFile.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("文件不存在")) from None


THUMB_PIXELS = 160


def draft_file_thumbnail(item: DraftFile) -> bytes | None:
    """A small JPEG of an image file, for the lists on a slow network (None for a PDF)."""
    if item.kind == "pdf":
        return None
    img: Image.Image  # the file as opened, then its RGB copy
    with item.file.open("rb") as f, Image.open(f) as img:
        img.draft("RGB", (THUMB_PIXELS * 2, THUMB_PIXELS * 2))  # JPEG: decode at a reduced scale
        img = img.convert("RGB")
        img.thumbnail((THUMB_PIXELS, THUMB_PIXELS))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=80)
    return out.getvalue()


def draft_business(draft: ComplaintDraft) -> Business | None:
    """The business chosen from the platform, if it is still on the public record."""
    business_id = draft.data.get("business_id")
    if not business_id:
        return None
    try:
        return business_get_for(None, business_id)
    except NotFound:
        return None


def draft_stores(draft: ComplaintDraft, business: Business | None = None) -> list[Store]:
    business = business if business is not None else draft_business(draft)
    if business is None:
        return []
    return list(business.stores.filter(is_active=True).select_related("region").order_by("name", "id"))


def draft_steps(draft: ComplaintDraft, *, has_stores: bool | None = None) -> list[str]:
    """The steps this draft goes through (without "store" if there is none to pick)."""
    if has_stores is None:
        has_stores = bool(draft_stores(draft))
    return [s for s in STEPS if s != "store" or has_stores]


def _field_error(errors: dict, field: str, check) -> object:
    try:
        return check()
    except InvalidInput as exc:
        errors[field] = exc.fields.get(field) or exc.message
        return None


def _check_business(data: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.get("business_id"):
        try:
            business_get_for(None, data["business_id"])
        except NotFound:
            errors["business_id"] = _("找不到这家商户，请重新选择")
        return errors
    name = (data.get("business_name") or "").strip()
    region_code = (data.get("region_code") or "").strip()
    if not name and not region_code and "business_name" not in data:
        errors["business_id"] = _("请选择商户，或填写商户名称")
        return errors
    if not name:
        errors["business_name"] = _("请填写商户名称")
    else:
        _field_error(errors, "business_name", lambda: clean_text(
            name, field="business_name", label="商户名称", min_length=2, max_length=BUSINESS_NAME_MAX))
    if not region_code:
        errors["region_code"] = _("请选择商户所在的地方")
    else:
        _field_error(errors, "region_code", lambda: region_get(region_code, field="region_code"))
    try:
        claims.named_contact(phone=data.get("business_phone", ""), credit_code=data.get("business_credit_code", ""))
    except InvalidInput as exc:
        errors.update(exc.fields)
    return errors


def _check_store(data: dict) -> dict[str, str]:
    value = data.get("store_id") or ""
    if value in ("", NO_STORE):
        return {}
    business_id = str(data.get("business_id") or "")
    ok = False
    if business_id.isdigit() and str(value).isdigit():
        ok = Store.objects.filter(pk=int(value), business_id=business_id, is_active=True).exists()
    return {} if ok else {"store_id": _("请从列表中选择门店")}


def _check_problem(data: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    problem_type = data.get("problem_type") or ""
    if not problem_type:
        errors["problem_type"] = _("请选择问题类型")
    else:
        _field_error(errors, "problem_type", lambda: _choice(problem_type, Complaint.ProblemType, "problem_type"))
    description = (data.get("description") or "").strip()
    if not description:
        errors["description"] = _("请写下发生了什么")
    else:
        _field_error(errors, "description", lambda: clean_text(
            description, field="description", label="经过", min_length=DESCRIPTION_MIN, max_length=MAX_TEXT))
    return errors


def _check_claim(data: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    claim_type = data.get("claim_type") or ""
    if not claim_type:
        errors["claim_type"] = _("请选择您的诉求")
    else:
        _field_error(errors, "claim_type", lambda: _choice(claim_type, Complaint.ClaimType, "claim_type"))
    claim_amount = (data.get("claim_amount") or "").strip()
    if not claim_amount and claim_type in AMOUNT_CLAIMS:
        errors["claim_amount"] = _("退款或赔偿请写明金额")
    else:
        _field_error(errors, "claim_amount", lambda: _amount(claim_amount, "claim_amount"))
    _field_error(errors, "purchase_amount", lambda: _amount((data.get("purchase_amount") or "").strip(),
                                                            "purchase_amount"))
    _field_error(errors, "purchase_date", lambda: _date((data.get("purchase_date") or "").strip(), "purchase_date"))
    _field_error(errors, "order_ref", lambda: clean_text(
        data.get("order_ref") or "", field="order_ref", label="订单号", max_length=ORDER_REF_MAX, required=False))
    return errors


CHECKS = {"business": _check_business, "store": _check_store, "problem": _check_problem, "claim": _check_claim}


def step_errors(draft: ComplaintDraft, step: str) -> dict[str, str]:
    check = CHECKS.get(step)
    return check(draft.data) if check else {}


def draft_problems(draft: ComplaintDraft) -> dict[str, dict[str, str]]:
    """What still stops the filing: {step: {field: message}} for each step
    that is not done (never saved) or whose values are refused."""
    done = set(draft.data.get("done", []))
    problems: dict[str, dict[str, str]] = {}
    for step in draft_steps(draft):
        if step == "review":
            continue
        if step == "evidence":
            continue
        if step not in done and not any(field in draft.data for field in FIELDS[step]):
            problems[step] = {}  # never filled in
            continue
        errors = step_errors(draft, step)
        if errors or step not in done:
            problems[step] = errors
    return problems


def draft_next_step(draft: ComplaintDraft) -> str:
    """Where to resume: the first step not done yet, else the review."""
    done = set(draft.data.get("done", []))
    problems = draft_problems(draft)
    for step in draft_steps(draft):
        if step == "review":
            break
        if step in problems or step not in done:
            return step
    return "review"


def business_choices(*, q: str = "", industry: str = "", region_code: str = "") -> list[tuple[Business, int]]:
    """Businesses to pick from: by part of the name or the pinyin initials,
    by industry, by place (its subtree), at most SEARCH_LIMIT, each with its
    number of complaints. Nothing to look for: nothing found."""
    if not (q.strip() or industry or region_code):
        return []
    businesses = list(
        business_directory(q=q, industry=industry or None, region_code=region_code or None)
        .order_by("name", "id")[:SEARCH_LIMIT]
    )
    counts = complaint_counts(b.pk for b in businesses)
    return [(b, counts.get(b.pk, 0)) for b in businesses]


def industries() -> list[Industry]:
    return list(Industry.objects.order_by("position", "code"))


def place_resolve(codes: list[str]) -> str:
    """The deepest place chosen in a cascade of selects (province, city,
    county), each one inside the one before; "" if none."""
    wanted = [c.strip() for c in codes if c and c.strip()]
    if not wanted or not all(len(c) == 6 and c.isdigit() for c in wanted):
        return ""
    found = {r.code: r for r in Region.objects.filter(code__in=wanted)}
    chosen = ""
    parent = None
    for code in wanted:
        region = found.get(code)
        if region is None or region.parent_id != parent:
            break
        chosen = parent = code
    return chosen


def place_levels(code: str | None) -> list[dict]:
    """The cascade of selects for a place: one per level down to ``code``,
    plus the next level's choices. Each: {"depth", "level", "options", "selected"}."""
    chain: list[str] = []
    region = Region.objects.filter(code=code).first() if code else None
    if region is not None:
        chain = [c for c in (region.l1, region.l2, region.l3) if c]
    levels = []
    parent = None
    for depth in range(3):
        options = list(Region.objects.filter(parent_id=parent).order_by("code").only("code", "name", "level"))
        if not options:
            break
        selected = chain[depth] if depth < len(chain) else ""
        levels.append({"depth": depth + 1, "level": options[0].level, "options": options, "selected": selected})
        if not selected:
            break
        parent = selected
    return levels


def region_name(code: str | None) -> str:
    region = Region.objects.filter(code=code).first() if code else None
    return region.full_name if region else ""


def store_name(draft: ComplaintDraft) -> str:
    value = draft.data.get("store_id")
    business_id = str(draft.data.get("business_id") or "")
    if not value or value == NO_STORE or not str(value).isdigit() or not business_id.isdigit():
        return ""
    store = Store.objects.filter(pk=int(value), business_id=draft.data.get("business_id")).first()
    return store.name if store else ""


# --------------------------------------------------------------------------- services


def _locked_draft(consumer) -> ComplaintDraft:
    """The consumer's draft, created if need be, locked for this transaction."""
    draft, _ = ComplaintDraft.objects.select_for_update().get_or_create(consumer=consumer)
    return draft


def _touch(draft: ComplaintDraft) -> None:
    draft.updated_at = clock.now()
    draft.save(update_fields=["data", "updated_at"])


def _raw(value) -> str:
    if value is None:
        return ""
    return str(value)[:RAW_MAX]


def draft_update(*, consumer, step: str, values: dict) -> ComplaintDraft:
    """Save one step's fields as typed, then check them.

    The values are kept even when refused (nothing typed is lost); the step
    counts as done only when its values pass. Raises InvalidInput with a
    message for each refused field, after the save."""
    _require_consumer(consumer)
    if step not in CHECKS:
        raise NotFound(_("没有这一步"))
    with transaction.atomic():
        draft = _locked_draft(consumer)
        data = dict(draft.data)
        if step == "business":
            new_id = str(values.get("business_id") or "").strip()
            if new_id:
                if new_id != str(data.get("business_id") or ""):
                    data.pop("store_id", None)
                data.update(business_id=new_id, business_name="", region_code="", business_phone="",
                            business_credit_code="")
            else:
                if data.get("business_id"):
                    data.pop("store_id", None)
                data.update(business_id="", business_name=_raw(values.get("business_name")).strip(),
                            region_code=_raw(values.get("region_code")).strip(),
                            business_phone=_raw(values.get("business_phone")).strip(),
                            business_credit_code=_raw(values.get("business_credit_code")).strip())
        else:
            for field in FIELDS[step]:
                data[field] = _raw(values.get(field)).strip() if field != "description" else _raw(
                    values.get(field))
        errors = CHECKS[step](data)
        done = [s for s in data.get("done", []) if s != step]
        if step == "business":
            done = [s for s in done if s != "store"] if "store_id" not in data else done
        if not errors:
            done.append(step)
        data["done"] = done
        draft.data = data
        _touch(draft)
    if errors:
        first = next(iter(errors.values()))
        raise InvalidInput(first, fields=errors)
    return draft


def draft_mark_done(*, consumer, step: str) -> ComplaintDraft:
    """Record that a step without fields of its own (the evidence) was passed."""
    _require_consumer(consumer)
    with transaction.atomic():
        draft = _locked_draft(consumer)
        done = list(draft.data.get("done", []))
        if step not in done:
            draft.data = {**draft.data, "done": [*done, step]}
            _touch(draft)
    return draft


def draft_file_add(*, consumer, name: str, data: bytes) -> DraftFile:
    """Attach a file to the draft: the same checks as evidence (size, real
    type, images re-encoded without EXIF, at most ``max_files``). The same
    file sent twice is one file."""
    _require_consumer(consumer)
    name = upload_name(name)
    kind, stored = inspect_upload(name, data)  # before any lock: decoding takes a moment
    digest = hashlib.sha256(stored).hexdigest()
    content_type, ext, _ = TYPES[kind]
    stored_path = None
    try:
        with transaction.atomic():
            draft = _locked_draft(consumer)
            existing = draft.files.filter(sha256=digest).first()
            if existing is not None:
                return existing
            refuse_too_many(draft.files.count())
            item = DraftFile(draft=draft, original_name=name, kind=kind, content_type=content_type,
                             size=len(stored), sha256=digest, created_at=clock.now())
            with storage_errors():
                item.file.save(f"{draft.pk}/{uuid.uuid4().hex}.{ext}", ContentFile(stored), save=False)
            stored_path = item.file.name
            item.save()
            _touch(draft)
    except BaseException:
        if stored_path:
            DraftFile.file.field.storage.delete(stored_path)
        raise
    return item


def _delete_later(paths: list[str]) -> None:
    """Delete these stored files once the transaction that dropped their rows commits (nothing
    is deleted for a change that rolls back). A failure to delete (the bucket out of reach) is
    logged, not raised into a change already made: ``drafts_purge`` deletes such leftovers."""
    storage = DraftFile.file.field.storage

    def delete():
        for path in paths:
            storage.delete(path)

    transaction.on_commit(delete, robust=True)


def draft_file_remove(*, consumer, file_id) -> None:
    """Remove a file from the consumer's own draft (NotFound for anyone else's)."""
    _require_consumer(consumer)
    with transaction.atomic():
        item = draft_file_get(consumer, file_id)
        draft = _locked_draft(consumer)
        _delete_later([item.file.name])
        item.delete()
        _touch(draft)


def draft_discard(*, consumer) -> None:
    """Throw the draft away, files and all (start again)."""
    _require_consumer(consumer)
    with transaction.atomic():
        draft = ComplaintDraft.objects.select_for_update().filter(consumer=consumer).first()
        if draft is not None:
            _delete_later([f.file.name for f in draft.files.all()])
            draft.delete()


def idempotency_key(token: str) -> str:
    return f"draft-{token}"


def _filing_fields(data: dict) -> dict:
    fields = {
        "problem_type": data.get("problem_type", ""), "description": data.get("description", ""),
        "claim_type": data.get("claim_type", ""), "claim_amount": data.get("claim_amount") or None,
        "purchase_amount": data.get("purchase_amount") or None, "purchase_date": data.get("purchase_date") or None,
        "order_ref": data.get("order_ref", ""),
    }
    if data.get("business_id"):
        fields["business_id"] = data["business_id"]
        store = data.get("store_id")
        if store and store != NO_STORE:
            fields["store_id"] = store
    else:
        fields["business_name"] = data.get("business_name", "")
        fields["region_code"] = data.get("region_code", "")
        fields["business_phone"] = data.get("business_phone", "")
        fields["business_credit_code"] = data.get("business_credit_code", "")
    return fields


def draft_submit(*, consumer, token: str) -> Complaint:
    """File the draft: in one transaction, ``complaint_submit`` (with an
    idempotency key derived from the draft), each draft file made evidence of
    the complaint, the draft deleted. ``token`` is the draft's, as the review
    page showed it: a repeated POST (a double tap, a resent form) finds the
    complaint the first one filed and returns it (``idempotent_replay``).
    A refusal (incomplete, duplicate, too many filings) leaves the draft as it was."""
    _require_consumer(consumer)
    consumer = get_user_model().objects.get(pk=consumer.pk)  # the model itself, not a request's lazy wrapper
    token = (token or "").strip()[:32]
    stored_paths: list[str] = []
    try:
        with transaction.atomic():
            draft = ComplaintDraft.objects.select_for_update().filter(consumer=consumer).first()
            if token:
                filed = Complaint.objects.filter(consumer=consumer, idempotency_key=idempotency_key(token)).first()
                if filed is not None:
                    filed.idempotent_replay = True
                    return filed
            if draft is None:
                raise NotFound(_("没有待提交的投诉草稿"), code="no_draft")
            if draft.token != token:
                raise Conflict(_("投诉内容已更新，请核对后再提交"),
                               code="stale_draft")
            problems = draft_problems(draft)
            if problems:
                fields = {f: m for errors in problems.values() for f, m in errors.items()}
                raise InvalidInput(_("还有内容没有填好，请按提示补充"),
                                   code="incomplete", fields=fields)
            complaint = complaint_submit(consumer=consumer, idempotency_key=idempotency_key(token),
                                         **_filing_fields(draft.data))
            files = list(draft.files.all())
            for item in files:
                with storage_errors(), item.file.open("rb") as f:
                    stored = f.read()
                evidence = evidence_store(actor=consumer, complaint=complaint, name=item.original_name,
                                          kind=item.kind, stored=stored)
                stored_paths.append(evidence.file.name)
            _delete_later([item.file.name for item in files])
            draft.delete()
    except BaseException:
        storage = Evidence.file.field.storage
        for path in stored_paths:  # the filing was rolled back: no evidence file without its row
            storage.delete(path)
        raise
    return complaint


def draft_refusal_steps(exc: DomainError) -> dict[str, dict[str, str]]:
    """A refusal's field messages grouped by the step they belong to."""
    grouped: dict[str, dict[str, str]] = {}
    for field, message in exc.fields.items():
        step = STEP_OF_FIELD.get(field)
        if step:
            grouped.setdefault(step, {})[field] = message
    return grouped


def drafts_purge(*, older_than_days: int | None = None, now: dt.datetime | None = None) -> int:
    """Delete drafts untouched for ``older_than_days`` days (the policy's ``draft_keep_days`` by
    default), with their files (from the local folder or the bucket), then the stored draft files
    older than that which no draft holds (``draft_orphans_delete``). Returns how many drafts were
    deleted. Part of the privacy purge (``complaints.retention``)."""
    now = now or clock.now()
    if older_than_days is None:
        older_than_days = get_policy().draft_keep_days
    cutoff = now - dt.timedelta(days=older_than_days)
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(ComplaintDraft.objects.select_for_update().filter(updated_at__lt=cutoff)
                         .order_by("pk").values_list("pk", flat=True)[:500])
            if not batch:
                break
            paths = list(DraftFile.objects.filter(draft_id__in=batch).values_list("file", flat=True))
            _delete_later(paths)
            DraftFile.objects.filter(draft_id__in=batch).delete()
            deleted += ComplaintDraft.objects.filter(pk__in=batch).delete()[1].get("complaints.ComplaintDraft", 0)
    draft_orphans_delete(older_than=cutoff)
    return deleted


def draft_orphans_delete(*, older_than: dt.datetime) -> int:
    """Delete stored draft files (under ``drafts/``) last written before ``older_than`` that no
    ``DraftFile`` row names: a process that died between storing a file and committing its row,
    a deletion that failed after its commit. Younger files are left alone (their rows may not be
    committed yet). Returns how many were deleted."""
    storage = DraftFile.file.field.storage
    removed = 0
    page: list[str] = []

    def flush() -> int:
        held = set(DraftFile.objects.filter(file__in=page).values_list("file", flat=True))
        gone = [name for name in page if name not in held]
        for name in gone:
            storage.delete(name)
        page.clear()
        return len(gone)

    for name, modified in walk(storage, "drafts"):
        if modified < older_than:
            page.append(name)
            if len(page) >= 500:
                removed += flush()
    if page:
        removed += flush()
    if removed:
        log.info("deleted %d stored draft file(s) that no draft held", removed)
    return removed
