"""Writes for partners: joining (partner_apply), the council's approval
(partner_approve), and bulk onboarding of businesses (import_preview,
import_commit).

Bulk onboarding in two steps:

1. ``import_preview`` reads the file, validates every row and stores an
   ``ImportBatch`` with one ``ImportRow`` per data row (accepted / refused
   with the reason / already on the platform). It creates no business.
2. ``import_commit`` creates the accepted rows' businesses, with their
   stores, in the status the council set for the partner
   (``partner.onboard_status``), each with ``business.partner``.

The commit runs in chunks of ``CHUNK`` rows, each chunk one transaction that
creates its businesses, links each row to its business and advances
``rows_done``. A failure rolls back the chunk it happened in (no business
without its stores, no counter ahead of the data), marks the batch
``failed`` with the error, and leaves the earlier chunks in place; committing
the batch again resumes with the rows that have no business yet. This keeps
progress visible to other connections while it runs (one long transaction
would hide it) and keeps the write lock short on SQLite.

Idempotent: a committed batch commits nothing again; a row whose credit code
joined the platform meanwhile (an earlier batch, a twin file) turns into
"already" instead of a second business (``credit_code`` is unique anyway).
Re-sending the same file while its preview is pending returns that preview.

Small batches (up to ``HEJIE_IMPORT_INLINE_ROWS``, default 2,000 accepted
rows) commit in the request; larger ones in the background: a Celery task
when ``CELERY_BROKER_URL`` is set, else a thread of this process (the
embedded default). Progress: ``rows_done`` / ``accepted``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hejie.accounts import access
from hejie.accounts.phones import normalize_phone
from hejie.accounts.services import account_errors, phone_code_spent, username_taken
from hejie.audit.services import Action, audit_record
from hejie.businesses.credit_code import validate_credit_code
from hejie.businesses.models import Business, Industry, Store
from hejie.businesses.names import initials_for
from hejie.core import clock
from hejie.core.background import enqueue
from hejie.core.bulk import bulk_insert, next_ids
from hejie.core.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound, invalid
from hejie.core.validation import clean_text
from hejie.notifications.services import notify
from hejie.partners import importer
from hejie.partners.models import ImportBatch, ImportRow, Partner
from hejie.regions.models import Region
from hejie.regions.selectors import region_get

if TYPE_CHECKING:
    from hejie.accounts.models import User

T = TypeVar("T")

logger = logging.getLogger("hejie.partners")

# The task in tasks.py that runs ``import_run`` on a worker, sent by name.
IMPORT_COMMIT_TASK = "hejie.partners.import_commit"
CHUNK = 2000  # accepted rows per commit transaction
LOOKUP_CHUNK = 900  # under SQLite's bound-parameter limit
NAME_MAX = 120
REASON_MAX = 500


class _System:
    """The operator's command line (``hejie imports``): acts as an operator."""

    pk = None
    is_authenticated = True
    is_active = True
    is_superuser = True
    role = "operator"


SYSTEM = cast("User", _System())  # stands in for an account where services take one: an operator's


def inline_rows() -> int:
    return int(getattr(settings, "HEJIE_IMPORT_INLINE_ROWS", 2000))


def stale_after() -> dt.timedelta:
    """A commit that has shown no sign of life (``heartbeat_at``, renewed after
    every chunk of ``CHUNK`` rows, which takes seconds) for this long died with
    its process: ``HEJIE_IMPORT_STALE_MINUTES``, default 10."""
    return dt.timedelta(minutes=int(getattr(settings, "HEJIE_IMPORT_STALE_MINUTES", 10)))


def import_is_stuck(batch: ImportBatch, *, now: dt.datetime | None = None) -> bool:
    """Committing, with no heartbeat for ``stale_after()``: its process is gone."""
    if batch.status != ImportBatch.Status.COMMITTING:
        return False
    beat = batch.heartbeat_at or batch.created_at
    return beat <= (now or clock.now()) - stale_after()


def imports_stuck() -> list[ImportBatch]:
    now = clock.now()
    return [b for b in ImportBatch.objects.filter(status=ImportBatch.Status.COMMITTING).select_related("partner")
            if import_is_stuck(b, now=now)]


# ------------------------------------------------------------------ partners


def _council_over(actor: User | None, region: Region) -> bool:
    return access.in_jurisdiction(actor, region)


def partner_apply(*, applicant: User | None, name: str, kind: str, region_code: str,
                  industries: list[str] | tuple[str, ...] = ()) -> Partner:
    """A partner organisation applies (status ``applied``) to the council of
    ``region_code``. A consumer (or unattached) applicant becomes its staff and
    its first admin. An association names the industries whose standards it
    will write (``industries``: codes); other kinds name none."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise invalid("name", _("请填写名称，不超过%(n)d个字") % {"n": NAME_MAX})
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise invalid("name", _("名称含有控制字符"))
    if kind not in Partner.Kind.values:
        raise invalid("kind", _("未知的合作方类型 %(kind)s（可选：%(kinds)s）")
                      % {"kind": repr(str(kind)[:20]), "kinds": ", ".join(Partner.Kind.values)})
    region = region_get(region_code, field="region_code")
    codes = list(dict.fromkeys(str(c).strip() for c in (industries or ()) if str(c).strip()))
    if codes and kind != Partner.Kind.ASSOCIATION:
        raise invalid("industries", _("只有行业协会可以填写所属行业"))
    found = list(Industry.objects.filter(code__in=codes))
    unknown = sorted(set(codes) - {i.code for i in found})
    if unknown:
        raise invalid("industries", _("未知的行业 %(code)s") % {"code": ", ".join(unknown)[:60]})
    User = get_user_model()
    if applicant is not None and getattr(applicant, "pk", None) and access.is_staff_account(applicant):
        if not access.is_operator(applicant):
            raise NotAllowed(_("该账号已属于其他机构，不能代为申请"))
    with transaction.atomic():
        if Partner.objects.filter(name=name).exists():
            raise Conflict(_("已有同名合作方"), code="duplicate",
                           fields={"name": "duplicate"})
        partner = Partner.objects.create(name=name, kind=kind, region=region)
        if found:
            partner.industries.set(found)
        if applicant is not None and applicant.pk:
            locked = User.objects.select_for_update().get(pk=applicant.pk)
            if access.may_become_staff(locked):
                locked.role, locked.partner = User.Role.PARTNER, partner
                locked.save(update_fields=["role", "partner"])
                applicant.role, applicant.partner = locked.role, partner
                partner.admins.add(locked)
        # stored and read later by its recipients: bilingual (see "row validation" below)
        notify(users=access.council_members([region.code]), event="partner_applied",
               title=f"新的合作方申请：{name} (a partner applied)", body="请审核 (please review)")
    return partner


def _lock_partner(partner: Partner | int) -> Partner:
    pk = partner.pk if isinstance(partner, Partner) else partner
    try:
        return Partner.objects.select_for_update().select_related("region").get(pk=int(pk))
    except (Partner.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound(_("合作方不存在")) from None


def _review(actor: User, partner: Partner | int, forbidden: str, wrong_state: str) -> Partner:
    """The partner, locked, if ``actor`` may review it now; ``forbidden`` and ``wrong_state``
    are the two refusals (translated), the second with a ``%(status)s`` placeholder."""
    locked = _lock_partner(partner)
    if not _council_over(actor, locked.region):
        raise NotAllowed(forbidden)
    if locked.status != Partner.Status.APPLIED:
        raise Conflict(wrong_state % {"status": locked.get_status_display()}, code="wrong_state")
    return locked


def partner_approve(*, actor: User, partner: Partner | int, onboard_status: str = "applied") -> Partner:
    """``applied`` → ``active``, by the council of the partner's region (or
    above) or an operator, who also says whether the businesses it brings
    start ``applied`` (reviewed one by one) or ``active``. Its own staff never
    approve it (they are not council)."""
    if onboard_status not in Partner.OnboardStatus.values:
        raise invalid("onboard_status", _("onboard_status 只能是 applied 或 active"))
    with transaction.atomic():
        locked = _review(actor, partner, _("只有合作方所在辖区的消委或运营人员可以审核通过合作方"),
                         _("合作方当前状态为「%(status)s」，不能审核通过"))
        locked.status, locked.onboard_status, locked.approved_at = Partner.Status.ACTIVE, onboard_status, clock.now()
        locked.status_reason = ""
        locked.save(update_fields=["status", "onboard_status", "approved_at", "status_reason"])
        audit_record(actor=actor, action=Action.PARTNER_APPROVE, object_type="partner", object_id=locked.pk,
                     jurisdiction=locked.region_id, detail={"name": locked.name, "onboard_status": onboard_status})
        notify(users=locked.staff.filter(is_active=True), event="partner_approved",
               title=f"{locked.name}已通过审核 (the partner was approved)")
    return locked


def partner_refuse(*, actor: User, partner: Partner | int, reason: str) -> Partner:
    """``applied`` → ``refused``, with the reason its staff are told."""
    reason = clean_text(reason, field="reason", label="原因", max_length=REASON_MAX, required=True)
    with transaction.atomic():
        locked = _review(actor, partner, _("只有合作方所在辖区的消委或运营人员可以驳回合作方"),
                         _("合作方当前状态为「%(status)s」，不能驳回"))
        locked.status, locked.status_reason = Partner.Status.REFUSED, reason
        locked.save(update_fields=["status", "status_reason"])
        audit_record(actor=actor, action=Action.PARTNER_REFUSE, object_type="partner", object_id=locked.pk,
                     jurisdiction=locked.region_id, detail={"name": locked.name, "reason": reason})
        notify(users=locked.staff.filter(is_active=True), event="partner_refused",
               title=f"{locked.name}的申请未通过 (the partner's application was refused)",
               body=f"原因：{reason} (reason: {reason})")
    return locked


def partner_administers(actor: User | None, partner: Partner) -> bool:
    """The partner's admin staff (or an operator)."""
    if access.is_operator(actor):
        return True
    return access.is_partner_staff_of(actor, partner.pk) and partner.admins.filter(pk=actor.pk).exists()


def partner_staff_add(*, actor: User, partner: Partner | int, username: str, password: str,
                      display_name: str = "", admin: bool = False) -> User:
    """A new staff account of the partner, by its admin staff (or an
    operator). Staff sign in at /signin/staff/ with the password."""
    User = get_user_model()
    with transaction.atomic():
        locked = _lock_partner(partner)
        if not partner_administers(actor, locked):
            raise NotAllowed(_("只有合作方的管理员可以添加工作人员"))
        if locked.status in (Partner.Status.REFUSED, Partner.Status.SUSPENDED):
            wrong_state = _("合作方当前状态为「%(status)s」，不能添加工作人员")
            raise Conflict(wrong_state % {"status": locked.get_status_display()}, code="wrong_state")
        username = (username or "").strip()
        if not username or len(username) > 150:
            raise invalid("username", _("请填写用户名，不超过150个字符"))
        try:
            User.username_validator(username)
        except ValidationError:
            raise invalid("username", _("用户名只能包含字母、数字和 @/./+/-/_")) from None
        display_name = clean_text(display_name, field="display_name", label="显示名称", max_length=60,
                                  required=False)
        user = User(username=username, role=User.Role.PARTNER, partner=locked, display_name=display_name)
        try:
            validate_password(password or "", user=user)
        except ValidationError as exc:
            detail = " ".join(str(m) for m in exc.messages)
            raise InvalidInput(_("密码不符合要求：%(detail)s") % {"detail": detail},
                               fields={"password": detail}) from None
        if User.objects.filter(username__iexact=username).exists():
            raise Conflict(_("用户名 %(username)s 已被使用") % {"username": username}, code="duplicate",
                           fields={"username": "taken"})
        user.set_password(password)
        user.save()
        if admin:
            locked.admins.add(user)
        audit_record(actor=actor, action=Action.PARTNER_STAFF_ADD, object_type="user", object_id=user.pk,
                     jurisdiction=locked.region_id,
                     detail={"partner_id": locked.pk, "username": user.username, "is_admin": bool(admin)})
    return user


JOIN_FIELDS_MESSAGE = gettext_lazy("请修改标出的项目")


def partner_join(*, applicant: User | None, username: str, password: str, name: str, kind: str,
                 region_code: str, contact_phone: str, phone_code: str,
                 industries: list[str] | tuple[str, ...] = (), display_name: str = "",
                 ip: str | None = None) -> tuple[Partner, User]:
    """Applying from the web form: the application (``partner_apply``) and its
    first admin account (a new staff account: staff sign in with a password),
    in one transaction. A consumer signed in by SMS keeps their consumer
    account apart; staff accounts do not apply this way. An association
    names at least one industry; other kinds none. Every field is checked
    before anything is written, and all the errors are raised together.

    The admin's mobile (``contact_phone``) is proved by the SMS code sent to it
    (``accounts.services.phone_code_send(purpose="partner")``), given as ``phone_code``,
    and becomes the admin's confirmed SMS number. Whether the username is free is said
    only after that proof, as on the business join: a form open to anyone does not
    tell a stranger which accounts exist (docs/security.md)."""
    if access.is_staff_account(applicant):
        raise NotAllowed(_("工作人员账号不能申请，请退出登录后再申请"),
                         code="staff_account")
    errors: dict[str, str] = {}

    def collect(check: Callable[[], T]) -> T | None:
        try:
            return check()
        except InvalidInput as exc:
            errors.update(exc.fields or {"form": exc.message})
            return None

    name = collect(lambda: clean_text(name, field="name", label="名称", max_length=NAME_MAX)) or ""
    if name and Partner.objects.filter(name=name).exists():
        errors["name"] = _("已有同名合作方")
    if kind not in Partner.Kind.values:
        errors["kind"] = _("请选择合作方类型")
    region_code = (region_code or "").strip()
    if not region_code:
        errors["region_code"] = _("请填写所在地区代码")
    elif not (len(region_code) == 6 and region_code.isdigit()):
        errors["region_code"] = _("地区代码应为6位数字")
    else:
        collect(lambda: region_get(region_code, field="region_code"))
    codes = [c for c in (industries or ()) if str(c).strip()]
    if kind == Partner.Kind.ASSOCIATION and not codes:
        errors["industries"] = _("行业协会请至少选择一个行业")
    elif kind != Partner.Kind.ASSOCIATION:
        codes = []
    if codes and not errors.get("industries"):
        unknown = set(codes) - set(Industry.objects.filter(code__in=codes).values_list("code", flat=True))
        if unknown:
            errors["industries"] = _("未知的行业")
    display_name = collect(lambda: clean_text(display_name, field="display_name", label="联系人", max_length=60,
                                              required=False)) or ""
    phone = collect(lambda: normalize_phone(contact_phone, field="contact_phone"))
    if not str(phone_code or "").strip():
        errors["phone_code"] = _("请输入发送到手机号的短信验证码")
    # whether the username is free is not said here, to anyone: only once the phone is proved (below)
    errors.update(account_errors(username, password, check_taken=False))
    if errors or phone is None:  # no phone: its error is in errors
        raise InvalidInput(JOIN_FIELDS_MESSAGE, fields=errors)
    # the other fields are right: now the code (a wrong one is counted); it is spent in the
    # application's transaction, so an application that fails leaves it usable
    with phone_code_spent(phone=phone, code=phone_code, purpose="partner", ip=ip):
        if (used := username_taken(username)) is not None:  # the phone is proved: now it may be said
            raise InvalidInput(JOIN_FIELDS_MESSAGE, fields={"username": used})
        partner = partner_apply(applicant=None, name=name, kind=kind, region_code=region_code, industries=codes)
        admin = _new_staff(partner, username, password, display_name, mobile=phone)
        partner.admins.add(admin)
    return partner, admin


def _new_staff(partner: Partner, username: str, password: str, display_name: str = "",
               mobile: str = "") -> User:
    User = get_user_model()
    username = username.strip()
    taken = Conflict(_("用户名 %(username)s 已被使用") % {"username": username}, code="duplicate",
                     fields={"username": "taken"})
    if User.objects.filter(username__iexact=username).exists():  # taken since account_errors looked
        raise taken
    user = User(username=username, role=User.Role.PARTNER, partner=partner, display_name=display_name)
    if mobile:  # proved by code just now
        user.mobile, user.mobile_verified_at = mobile, clock.now()
    user.set_password(password)
    try:
        with transaction.atomic():  # a savepoint: a racing twin fails here, cleanly
            user.save()
    except IntegrityError:
        raise taken from None
    return user


def _staff_partner(actor: User | None, partner: Partner) -> None:
    if not (access.is_operator(actor) or access.is_partner_staff_of(actor, partner.pk)):
        raise NotAllowed(_("只有该合作方的工作人员可以导入"))


# ------------------------------------------------------------------ row validation
#
# A row's reasons (and a batch's ``error``) stay bilingual, ``中文 (english)``, not gettext:
# they are stored on the ImportRow (ImportBatch) and read later, on the report page or
# through the API, by any of the partner's staff in their own language, not the language
# of the request that wrote them (docs/architecture.md, "Languages"). The pages show the
# reader's half with ``pick``. The same holds for the notification titles below, which are
# written into the database and read by their recipients.

_STORE_SPLIT = re.compile(r"[;；\n]+")
_PHONE_OK = re.compile(r"[0-9+\-() ]{0,20}")


class _Lookups:
    """Industries and regions, read once per file (not once per row)."""

    def __init__(self) -> None:
        self.industries: dict[str, str] = {}
        for ind in Industry.objects.all():
            self.industries[ind.code] = ind.code
            self.industries[ind.name] = ind.code
            self.industries[ind.name_en.lower()] = ind.code
        self.regions: dict[str, Region | None] = {}
        self.names: dict[str, Region | str | None] = {}

    def industry(self, value: str) -> str:
        text = unicodedata.normalize("NFKC", value).strip()
        code = self.industries.get(text) or self.industries.get(text.lower())
        if code is None:
            raise invalid("industry", f"未知的行业 {text[:40]!r}：用行业代码或中文名称，如 catering 或 餐饮 "
                                      "(unknown industry: use its code or Chinese name)")
        return code

    def region(self, value: str, *, field: str = "region_code") -> Region:
        text = unicodedata.normalize("NFKC", value).strip()
        if text.isdigit():
            if not self.regions:  # every region in one query (a few thousand rows), not one query per code
                self.regions = {r.code: r for r in Region.objects.all()}
            region = self.regions.get(text) if len(text) == 6 else None
            if region is None:
                raise invalid(field, f"未知的地区代码 {text[:12]!r}，应为6位行政区划代码 (unknown region code)")
            return region
        if not text:
            raise invalid(field, "请填写地区代码 (region_code is required)", code="required")
        if text not in self.names:
            matches = list(Region.objects.filter(Q(name=text) | Q(full_name=text))[:2])
            self.names[text] = matches[0] if len(matches) == 1 else ("ambiguous" if matches else None)
        found = self.names[text]
        if isinstance(found, str):  # "ambiguous"
            raise invalid(field, f"地区名称 {text[:40]!r} 不唯一，请填6位地区代码 (region name is ambiguous: "
                                 "give the 6-digit code)")
        if found is None:
            raise invalid(field, f"未知的地区 {text[:40]!r} (unknown region)")
        return found


def _credit_code_refusal(text: str) -> str:
    try:
        validate_credit_code(text)
    except InvalidInput as exc:
        return exc.message
    return ""  # pragma: no cover - only called for a code that was refused


def _both(message: Callable[[], str]) -> str:
    """A gettext message (the credit code's refusals) as stored bilingual text: ``中文 (english)``."""
    with translation.override("zh-hans"):
        zh = message()
    with translation.override("en"):
        en = message()
    return f"{zh} ({en})"


def _text(values: dict[str, str], field: str, label: str, max_length: int, errors: list[str],
          required: bool = False) -> str:
    value = values.get(field, "")
    if isinstance(value, importer.Formula):
        errors.append(f"{label}是公式，请填写数值本身 ({field} is a formula; formulas are not evaluated)")
        return ""
    value = unicodedata.normalize("NFKC", str(value)).strip()
    if any(unicodedata.category(c) == "Cc" for c in value):
        errors.append(f"{label}含有控制字符 ({field} contains control characters)")
        return ""
    if required and not value:
        errors.append(f"缺少{label} ({field} is required)")
    if len(value) > max_length:
        errors.append(f"{label}超过{max_length}个字 ({field} is longer than {max_length})")
        return value[:max_length]
    return value


def _credit_code(values: dict[str, str], errors: list[str]) -> str:
    raw = values.get("credit_code", "")
    if isinstance(raw, importer.Formula):
        errors.append("统一社会信用代码是公式 (credit_code is a formula; formulas are not evaluated)")
        return ""
    text = str(raw).strip()
    try:
        return validate_credit_code(text)
    except InvalidInput as exc:
        message = _both(lambda: _credit_code_refusal(text))
        numeric = isinstance(raw, importer.Number) or re.fullmatch(r"\d+(\.\d+)?([eE]\+?\d+)?", text or "x")
        if numeric and exc.code != "required":
            message += ("；此单元格是数字格式，字母和第15位以后的数字可能已丢失：请把该列设为“文本”后重新填写 "
                        "(the cell was stored as a number, which drops letters and digits beyond the 15th: "
                        "format the column as text and type the code again)")
        errors.append(message)
        return ""


def _validate(values: dict[str, str], lookups: _Lookups) -> tuple[dict[str, Any], list[str]]:
    errors: list[str] = []
    if values.get("_extra"):
        errors.append("本行的列数多于表头 (this row has more cells than the header)")
    data: dict[str, Any] = {
        "name": _text(values, "name", "商户名称", NAME_MAX, errors, required=True),
        "credit_code": _credit_code(values, errors),
        "address": _text(values, "address", "地址", 200, errors),
        "contact_name": _text(values, "contact_name", "联系人", 60, errors),
        "contact_phone": _text(values, "contact_phone", "联系电话", 20, errors),
    }
    if not data["credit_code"] and str(values.get("credit_code", "")).strip():
        given = "".join(c for c in str(values["credit_code"]) if unicodedata.category(c) not in ("Cc", "Cs"))
        data["credit_code_given"] = given.strip()[:40]  # shown in the report as it was typed
    if data["contact_phone"] and not _PHONE_OK.fullmatch(data["contact_phone"]):
        errors.append("联系电话格式不正确 (contact_phone is not a phone number)")
    industry = _text(values, "industry", "行业", 40, errors, required=True)
    if industry:
        try:
            data["industry"] = lookups.industry(industry)
        except InvalidInput as exc:
            errors.append(exc.message)
    region = _text(values, "region_code", "地区代码", 64, errors, required=True)
    if region:
        try:
            data["region_code"] = lookups.region(region).code
        except InvalidInput as exc:
            errors.append(exc.message)
    stores_text = _text(values, "stores", "门店", 5000, errors)
    stores: list[dict[str, str]] = []
    seen: set[str] = set()
    for part in _STORE_SPLIT.split(stores_text):
        part = part.strip()
        if not part:
            continue
        store_name, sep, code = part.rpartition("@")
        store_name = store_name.strip()
        if not sep or not store_name:
            errors.append(f"门店 {part[:40]!r} 应写成 名称@地区代码 (a store is written name@region_code)")
            continue
        if len(store_name) > NAME_MAX:
            errors.append(f"门店名称超过{NAME_MAX}个字 (store name too long)")
            continue
        if store_name in seen:
            errors.append(f"门店名称重复：{store_name} (two stores have the same name)")
            continue
        seen.add(store_name)
        try:
            stores.append({"name": store_name, "region_code": lookups.region(code, field="stores").code})
        except InvalidInput as exc:
            errors.append(f"门店 {store_name}：{exc.message}")
    if len(stores) > 200:
        errors.append("门店超过200个 (more than 200 stores)")
    data["stores"] = stores
    volume = values.get("order_volume", "")
    if isinstance(volume, importer.Formula):
        errors.append("订单量是公式 (order_volume is a formula)")
    elif str(volume).strip():
        text = str(volume).strip().replace(",", "")
        if not text.isdigit() or len(text) > 12:
            errors.append("订单量应为非负整数 (order_volume must be a whole number)")
        else:
            data["order_volume"] = int(text)
    return data, errors


# ------------------------------------------------------------------ preview


def import_preview(*, actor: User, partner: Partner, filename: str, data: bytes) -> ImportBatch:
    """Validate every row of the file and store the report. Creates no business.

    A whole-file problem (empty, wrong columns, encoding, too large, over
    the row limit) raises and stores nothing. Re-sending a file whose preview
    is still pending returns that preview."""
    _staff_partner(actor, partner)
    if partner.status != Partner.Status.ACTIVE:
        raise Conflict(_("合作方尚未通过审核或已暂停，不能导入"), code="wrong_state")
    filename = (filename or "")[:200]
    digest = hashlib.sha256(data).hexdigest()
    pending = ImportBatch.objects.filter(partner=partner, sha256=digest, status=ImportBatch.Status.PREVIEWED).first()
    if pending is not None:
        return pending

    _columns, body = importer.read_rows(filename=filename, data=data)
    lookups = _Lookups()
    first_line: dict[str, int] = {}  # credit code -> its first line (a few MiB at the row limit)
    counts = dict.fromkeys(ImportRow.Outcome.values, 0)
    # One transaction, written a chunk at a time (COPY on PostgreSQL): the rows never all sit in memory,
    # and a whole-file problem found late (the row limit, a broken xlsx) still stores nothing.
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            partner=partner, created_by=actor if getattr(actor, "pk", None) else None, filename=filename,
            sha256=digest, total_rows=0)
        for chunk in _chunks(body, PREVIEW_CHUNK):
            report = [_preview_row(line, values, lookups, first_line) for line, values in chunk]
            _mark_on_platform(partner, report)
            for row in report:
                counts[row[2]] += 1
            bulk_insert(ImportRow, ("batch_id", "line", "data", "outcome", "reason"),
                        ((batch.pk, *row) for row in report))
        if not any(counts.values()):
            raise invalid("file", _("文件只有表头，没有数据行"), code="empty")
        ImportBatch.objects.filter(pk=batch.pk).update(
            total_rows=sum(counts.values()), accepted=counts["accepted"], refused=counts["refused"],
            already=counts["already"])
    batch.refresh_from_db()
    return batch


PREVIEW_CHUNK = 2000


def _chunks(rows: Iterator[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_Report = list[Any]  # [line, data, outcome, reason]: one row of the preview's report, as written


def _preview_row(line: int, values: dict[str, str], lookups: _Lookups, first_line: dict[str, int]) -> _Report:
    clean, errors = _validate(values, lookups)
    code = clean.get("credit_code")
    if code and code in first_line:
        errors.append(f"与第{first_line[code]}行的统一社会信用代码重复 (duplicate of line {first_line[code]})")
    elif code:
        first_line[code] = line
    outcome = ImportRow.Outcome.REFUSED if errors else ImportRow.Outcome.ACCEPTED
    return [line, clean, str(outcome), "；".join(errors)[:1000]]


def _mark_on_platform(partner: Partner, report: list[_Report]) -> None:
    """Accepted rows whose credit code is on the platform already turn into "already" (an invited
    record does not count: the commit adopts it, see ``_create_chunk``)."""
    codes = [row[1]["credit_code"] for row in report if row[2] == ImportRow.Outcome.ACCEPTED]
    on_platform: dict[str, int | None] = {}
    for i in range(0, len(codes), LOOKUP_CHUNK):
        on_platform.update((code, partner_id) for code, partner_id in Business.objects.filter(
            credit_code__in=codes[i:i + LOOKUP_CHUNK]).exclude(status=Business.Status.INVITED)
            .values_list("credit_code", "partner_id") if code)
    for row in report:
        code = row[1].get("credit_code")
        if row[2] == ImportRow.Outcome.ACCEPTED and code in on_platform:
            row[2] = str(ImportRow.Outcome.ALREADY)
            row[3] = ("已由本合作方导入 (already brought by this partner)" if on_platform[code] == partner.pk
                      else "该统一社会信用代码的商户已在平台上 (a business with this credit code is already on the "
                           "platform)")


# ------------------------------------------------------------------ commit


def _lock_batch(batch: ImportBatch | int) -> ImportBatch:
    pk = batch.pk if isinstance(batch, ImportBatch) else batch
    try:
        return ImportBatch.objects.select_for_update().select_related("partner").get(pk=pk)
    except ImportBatch.DoesNotExist:
        raise NotFound(_("导入批次不存在")) from None


def import_commit(*, actor: User, batch: ImportBatch | int, background: bool | None = None) -> ImportBatch:
    """Create the accepted rows' businesses. A committed batch is returned as
    it is (nothing is created twice); a batch committing with a live
    heartbeat is a ``Conflict``; a failed one, or one stuck in committing
    (its process died: see ``import_is_stuck``), resumes with the rows not
    done yet. ``background=None`` decides by size."""
    with transaction.atomic():
        locked = _lock_batch(batch)
        _staff_partner(actor, locked.partner)
        if locked.status == ImportBatch.Status.COMMITTED:
            return locked
        if locked.status == ImportBatch.Status.COMMITTING and not import_is_stuck(locked):
            raise Conflict(_("该批次正在导入中"), code="wrong_state")
        if locked.partner.status != Partner.Status.ACTIVE:
            raise Conflict(_("合作方不是已通过状态，不能导入"), code="wrong_state")
        locked.status, locked.error, locked.heartbeat_at = ImportBatch.Status.COMMITTING, "", clock.now()
        locked.save(update_fields=["status", "error", "heartbeat_at"])
        if background is None:
            background = locked.accepted - locked.rows_done > inline_rows()
        if background:
            transaction.on_commit(lambda: _start_background(locked.pk))
    if not background:
        import_run(batch_id=locked.pk)
        locked.refresh_from_db()
    return locked


def import_reset(*, actor: User, batch: ImportBatch | int) -> ImportBatch:
    """A batch stuck in committing becomes ``failed`` (the rows done stay
    done), so that it can be committed again later; a live commit is a
    ``Conflict``."""
    with transaction.atomic():
        locked = _lock_batch(batch)
        _staff_partner(actor, locked.partner)
        if locked.status != ImportBatch.Status.COMMITTING or not import_is_stuck(locked):
            raise Conflict(_("只有中断（长时间无进展）的导入可以重置"),
                           code="wrong_state")
        locked.status = ImportBatch.Status.FAILED
        locked.error = (f"导入进程中断，已完成{locked.rows_done}行，可再次提交以继续 (the commit's process stopped "
                        f"after {locked.rows_done} rows; commit again to resume)")[:500]
        locked.save(update_fields=["status", "error"])
    return locked


def _start_background(batch_id: int) -> None:
    """After commit: to a Celery worker (``IMPORT_COMMIT_TASK``) when a broker is configured, else a thread."""
    try:
        if enqueue(IMPORT_COMMIT_TASK, batch_id):
            return
    except Exception:  # broker down: run it here rather than leave the batch committing
        logger.exception("could not enqueue import %s; running it in-process", batch_id)
    thread = threading.Thread(target=_run_in_thread, args=(batch_id,), name=f"hejie-import-{batch_id}", daemon=True)
    _threads.append(thread)
    thread.start()


_threads: list[threading.Thread] = []  # tests join them


def _run_in_thread(batch_id: int) -> None:
    try:
        import_run(batch_id=batch_id)
    except Exception:
        logger.exception("import %s failed in the background", batch_id)
    finally:
        connection.close()


_BUSINESS_COLUMNS = ("name", "name_initials", "credit_code", "industry_id", "region_id", "region_l1", "region_l2",
                     "region_l3", "address", "contact_name", "contact_phone", "status", "approved_at", "partner_id",
                     "created_at")


def _create_chunk(batch: ImportBatch, rows: list[tuple[int, int, dict[str, Any]]]) -> tuple[int, int]:
    """One transaction: create the businesses (and stores) of ``rows`` (import row id, line, data),
    written with COPY on PostgreSQL (``hejie.core.bulk``). Returns (created, turned into "already")."""
    partner = batch.partner
    now = clock.now()
    with transaction.atomic():
        codes = [data["credit_code"] for _pk, _line, data in rows]
        taken: set[str] = set()
        invited: dict[str, Business] = {}
        for i in range(0, len(codes), LOOKUP_CHUNK):
            part = codes[i:i + LOOKUP_CHUNK]
            taken.update(code for code in Business.objects.filter(credit_code__in=part)
                         .exclude(status=Business.Status.INVITED).values_list("credit_code", flat=True) if code)
            # A business a consumer named (an invited record, waiting for its claim) that the partner now
            # brings: the same row is adopted, with what the partner knows, instead of a second one.
            invited.update((b.credit_code, b) for b in Business.objects.select_for_update().filter(
                credit_code__in=part, status=Business.Status.INVITED) if b.credit_code)
        region_codes = {data["region_code"] for _pk, _line, data in rows}
        region_codes |= {s["region_code"] for _pk, _line, data in rows for s in data.get("stores", [])}
        regions = {r.code: r for r in Region.objects.filter(code__in=region_codes)}
        fresh = [r for r in rows if r[2]["credit_code"] not in taken]
        late = [r[0] for r in rows if r[2]["credit_code"] in taken]
        active = partner.onboard_status == Partner.OnboardStatus.ACTIVE
        approved_at = now if active else None

        def business_row(data: dict[str, Any]) -> tuple[Any, ...]:
            region = regions[data["region_code"]]
            return (data["name"], initials_for(data["name"]), data["credit_code"], data["industry"], region.code,
                    region.l1, region.l2, region.l3, data.get("address", ""), data.get("contact_name", ""),
                    data.get("contact_phone", ""), partner.onboard_status, approved_at, partner.pk, now)

        ids: dict[str, int] = {}
        for _pk, _line, data in fresh:
            adopt = invited.get(data["credit_code"])
            if adopt is not None:
                values = dict(zip(_BUSINESS_COLUMNS, business_row(data), strict=True))
                values["contact_phone"] = values["contact_phone"] or adopt.contact_phone
                Business.objects.filter(pk=adopt.pk).update(**values)
                ids[data["credit_code"]] = adopt.pk
        new = [data for _pk, _line, data in fresh if data["credit_code"] not in invited]
        if connection.vendor == "postgresql":  # ids from the sequence, then one COPY with them
            for data, pk in zip(new, next_ids(Business, len(new)), strict=True):
                ids[data["credit_code"]] = pk
            bulk_insert(Business, ("id", *_BUSINESS_COLUMNS),
                        ((ids[data["credit_code"]], *business_row(data)) for data in new))
        else:  # one prepared INSERT, then the ids read back by their unique credit codes
            bulk_insert(Business, _BUSINESS_COLUMNS, (business_row(data) for data in new))
            new_codes = [data["credit_code"] for data in new]
            for i in range(0, len(new_codes), LOOKUP_CHUNK):
                ids.update((code, pk) for code, pk in Business.objects.filter(
                    credit_code__in=new_codes[i:i + LOOKUP_CHUNK]).values_list("credit_code", "pk") if code)
        bulk_insert(Store, ("business_id", "name", "region_id"),
                    ((ids[data["credit_code"]], s["name"], s["region_code"])
                     for _pk, _line, data in fresh for s in data.get("stores", [])))
        links = [(ids[data["credit_code"]], pk) for pk, _line, data in fresh]
        if links:
            _link_rows(links)
        if late:
            ImportRow.objects.filter(pk__in=late).update(
                outcome=ImportRow.Outcome.ALREADY, reason="预检后已有相同统一社会信用代码的商户入驻 (joined meanwhile)")
        ImportBatch.objects.filter(pk=batch.pk).update(
            rows_done=F("rows_done") + len(rows), created=F("created") + len(fresh), heartbeat_at=clock.now(),
            accepted=F("accepted") - len(late), already=F("already") + len(late),
        )
    return len(fresh), len(late)


def _link_rows(links: list[tuple[int, int]]) -> None:
    """Each import row (id) to the business (id) it made: one statement on PostgreSQL (unnest of two
    arrays), one prepared statement run for each pair elsewhere."""
    quote = connection.ops.quote_name
    table, column = quote(ImportRow._meta.db_table), quote(ImportRow._meta.get_field("business").column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} SET {column} = v.business FROM unnest(%s::bigint[], %s::bigint[]) "  # noqa: S608
                "AS v(business, row_id) WHERE id = v.row_id",
                [[b for b, _r in links], [r for _b, r in links]])
        else:
            cursor.executemany(f"UPDATE {table} SET {column} = %s WHERE id = %s", links)  # noqa: S608


def import_run(*, batch_id: int) -> None:
    """The commit's work, chunk by chunk (see the module docstring). Runs in
    the request, a thread or a Celery worker; safe to run again."""
    batch = ImportBatch.objects.select_related("partner").get(pk=batch_id)
    if batch.status != ImportBatch.Status.COMMITTING:
        return
    try:
        after = 0  # keyset on the line: each chunk starts where the last ended (no rescan of the rows done)
        while True:
            chunk = list(batch.rows.filter(outcome=ImportRow.Outcome.ACCEPTED, business__isnull=True, line__gt=after)
                         .order_by("line").values_list("pk", "line", "data")[:CHUNK])
            if not chunk:
                break
            _create_chunk(batch, chunk)
            after = chunk[-1][1]
    except Exception as exc:
        logger.exception("import %s failed", batch_id)
        message = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}"
        ImportBatch.objects.filter(pk=batch_id).update(
            status=ImportBatch.Status.FAILED,
            error=f"导入中断，已完成的部分保留，可再次提交以继续 (the commit stopped; rows done are kept; commit "
                  f"again to resume): {message}"[:500])
        raise
    with transaction.atomic():
        batch = _lock_batch(batch_id)
        if batch.status == ImportBatch.Status.COMMITTING:
            batch.status, batch.committed_at = ImportBatch.Status.COMMITTED, clock.now()
            batch.save(update_fields=["status", "committed_at"])
            if batch.created and batch.partner.onboard_status == Partner.OnboardStatus.APPLIED:
                region = batch.partner.region
                notify(users=access.council_members([region.code]),
                       event="partner_import",
                       title=f"{batch.partner.name}导入了{batch.created}家商户待审核 "
                             f"({batch.created} businesses to review)")
