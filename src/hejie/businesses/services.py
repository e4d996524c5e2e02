"""Writes for businesses: joining the platform (入驻), review by the council,
suspension, stores. Every service runs in one transaction, locks the business
row before it checks its state, and tells the people concerned.

Joining includes accepting the industry's service standards in force. Those
are ``hejie.standards``', an app above this one: it plugs them into joining from
its ``AppConfig.ready()`` (``joining_standards_register``), so this module
never imports it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hejie.accounts import access
from hejie.accounts.models import ApiToken
from hejie.accounts.phones import normalize_phone
from hejie.accounts.services import (
    account_errors,
    password_unlock,
    phone_code_spent,
    token_revoke_all,
    user_create,
    username_taken,
)
from hejie.audit.services import Action, audit_record
from hejie.businesses.credit_code import validate_credit_code
from hejie.businesses.models import Business, Industry, Store
from hejie.businesses.names import initials_for
from hejie.businesses.selectors import industry_get
from hejie.core import clock
from hejie.core.errors import Conflict, InvalidInput, NotAllowed, NotFound, invalid
from hejie.core.validation import clean_text
from hejie.notifications.services import notify
from hejie.regions.models import Region
from hejie.regions.selectors import region_get

if TYPE_CHECKING:
    from hejie.accounts.models import User

NAME_MAX = 120
ADDRESS_MAX = 200
REASON_MAX = 500


# ---------------------------------------------------------------- input checks


def _text(value: str | None, *, field: str, label: str, max_length: int, required: bool = False) -> str:
    return clean_text(value, field=field, label=label, max_length=max_length, required=required)


def _industry(code: str | None) -> Industry:
    code = (code or "").strip()
    industry = Industry.objects.filter(code=code).first() if code else None
    if industry is None:
        raise invalid("industry", _("未知的行业 %(code)s") % {"code": repr(code)})
    return industry


def _email(value: str | None) -> str:
    value = _text(value, field="contact_email", label="联系邮箱", max_length=254)
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise invalid("contact_email", _("联系邮箱格式不正确")) from None
    return value


def _store_rows(stores: Iterable[Mapping[str, Any]]) -> list[tuple[str, Region, str]]:
    rows: list[tuple[str, Region, str]] = []
    seen: set[str] = set()
    for i, store in enumerate(stores or ()):
        prefix = f"stores.{i}"
        name = _text(store.get("name"), field=f"{prefix}.name", label="门店名称", max_length=NAME_MAX, required=True)
        if name in seen:
            raise invalid(f"{prefix}.name", _("门店名称重复：%(name)s") % {"name": name})
        seen.add(name)
        region = region_get(store.get("region_code"), field=f"{prefix}.region_code")
        address = _text(store.get("address"), field=f"{prefix}.address", label="门店地址", max_length=ADDRESS_MAX)
        rows.append((name, region, address))
    return rows


def _lock(business: Business | int) -> Business:
    pk = business.pk if isinstance(business, Business) else business
    try:
        return Business.objects.select_for_update().get(pk=pk)
    except Business.DoesNotExist:
        raise NotFound(_("商户不存在")) from None


def _council_covering(business: Business) -> QuerySet[User]:
    return access.council_covering(business)


def _staff_of(business: Business) -> QuerySet[User]:
    return get_user_model().objects.filter(business=business, is_active=True)


def _attach_applicant(applicant: User, business: Business) -> None:
    """The applicant becomes the business's admin, unless they already work
    for another business or apply on someone's behalf (council, operator)."""
    User = get_user_model()
    locked = User.objects.select_for_update().get(pk=applicant.pk)
    if not access.may_become_staff(locked):
        return
    locked.role = User.Role.BUSINESS
    locked.business = business
    locked.is_business_admin = True
    locked.save(update_fields=["role", "business", "is_business_admin"])
    applicant.role, applicant.business, applicant.is_business_admin = locked.role, business, True


# ---------------------------------------------------------------- the industry's service standards


@dataclass(frozen=True)
class JoiningStandards:
    """What joining needs of the industry's service standards (``hejie.standards`` registers it).

    ``in_force(industry)``: whether the industry has standards in force, which a joiner must accept.
    ``accept(actor=, business=)``: record that ``business``, by its admin ``actor``, accepts them, in
    the caller's transaction (nothing in force: nothing recorded)."""

    in_force: Callable[[Industry], bool]
    accept: Callable[..., object]


def _no_standards_in_force(industry: Industry) -> bool:
    return False


def _nothing_to_accept(*, actor: User, business: Business) -> None:
    return None


# Until hejie.standards registers its own (StandardsConfig.ready), joining asks for no standards.
_joining_standards = JoiningStandards(in_force=_no_standards_in_force, accept=_nothing_to_accept)


def joining_standards_register(standards: JoiningStandards) -> None:
    global _joining_standards
    _joining_standards = standards


def joining_standards() -> JoiningStandards:
    return _joining_standards


# ------------------------------------------------------------------- services


def business_apply(
    *,
    applicant: User | None,
    name: str,
    credit_code: str,
    industry: str,
    region_code: str,
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    stores: Iterable[Mapping[str, Any]] = (),
) -> Business:
    """A business applies to join (status ``applied``). The applicant becomes
    its admin staff (see ``_attach_applicant``); the council of its region is told.

    ``stores`` are mappings with ``name``, ``region_code`` and optional ``address``.

    A credit code already on the platform is a Conflict, unless its business
    was refused: then the same row becomes a fresh application (see
    ``_reapply``): its staff stay attached, its stores are replaced by these,
    and the council is told again, with the earlier reason.
    """
    name = _text(name, field="name", label="商户名称", max_length=NAME_MAX, required=True)
    code = validate_credit_code(credit_code)
    industry_row = _industry(industry)
    region = region_get(region_code, field="region_code")
    address = _text(address, field="address", label="地址", max_length=ADDRESS_MAX)
    contact_name = _text(contact_name, field="contact_name", label="联系人", max_length=60)
    contact_phone = _text(contact_phone, field="contact_phone", label="联系电话", max_length=20)
    contact_email = _email(contact_email)
    store_rows = _store_rows(stores)

    duplicate = Conflict(
        _("该统一社会信用代码已有商户申请或入驻"),
        code="duplicate",
        fields={"credit_code": "duplicate"},
    )
    fields = {
        "name": name, "name_initials": initials_for(name), "industry": industry_row, "region": region,
        **region.codes(), "address": address, "contact_name": contact_name, "contact_phone": contact_phone,
        "contact_email": contact_email, "status": Business.Status.APPLIED,
    }
    with transaction.atomic():
        existing = Business.objects.select_for_update().filter(credit_code=code).first()
        reapplied, earlier_reason = existing is not None, ""
        if existing is not None:
            if existing.status == Business.Status.INVITED:
                raise _invited_conflict()
            if existing.status != Business.Status.REFUSED:
                raise duplicate
            earlier_reason = existing.status_reason
            business = _reapply(existing, fields, store_rows, applicant=applicant)
        else:
            try:
                with transaction.atomic():  # a savepoint: a racing twin fails here, cleanly
                    business = Business.objects.create(credit_code=code, **fields)
            except IntegrityError:
                raise duplicate from None
            if store_rows:
                Store.objects.bulk_create(
                    [Store(business=business, name=n, region=r, address=a) for n, r, a in store_rows])
        if applicant is not None:
            _attach_applicant(applicant, business)
            if applicant.business_id == business.pk and applicant.is_business_admin:
                _joining_standards.accept(actor=applicant, business=business)
        if not reapplied:
            title = f"新的入驻申请：{name}"
            body = f"{name}（{code}，{region.full_name}）申请入驻，请审核。"
        else:
            title = f"重新申请入驻：{name}"
            body = f"{name}（{code}，{region.full_name}）此前未通过，原因：{earlier_reason}；现重新申请入驻，请审核。"
        notify(users=_council_covering(business), event="business_applied", title=title, body=body)
    return business


def _invited_conflict() -> Conflict:
    """A business a consumer named (``claims.business_named``) joins by its claim link, not by applying:
    the orders waiting for it are delivered when it claims."""
    return Conflict(
        _("已有消费者投诉了这家商户，平台已向登记的手机号发送认领链接：请用短信中的链接认领账号；没有收到请联系当地消委"),
        code="invited", fields={"credit_code": "invited"},
    )


def _reapply(business: Business, fields: dict[str, Any], store_rows: list[tuple[str, Region, str]], *,
             applicant: User | None) -> Business:
    """A refused business (locked) applies again: the same row, as a fresh application. What
    it says now replaces what it said before (the refusal's reason is cleared; the refusal
    itself stays in the notices its staff were sent, and the council's new notice repeats
    it). Its staff accounts stay attached and are told; its stores become the ones given."""
    for field, value in fields.items():
        setattr(business, field, value)
    business.status_reason = ""
    business.created_at = clock.now()  # the application's date, as the status pages show it
    business.save(update_fields=[*fields, "status_reason", "created_at"])
    _replace_stores(business, store_rows)
    staff = _staff_of(business)
    notify(
        users=staff.exclude(pk=applicant.pk) if applicant is not None else staff,
        event="business_applied",
        title=f"{business.name}已重新提交入驻申请",
        body="消委会将重新审核",
    )
    return business


def _replace_stores(business: Business, store_rows: list[tuple[str, Region, str]]) -> None:
    """The business's stores become ``store_rows``. A store of the same name is kept (its place
    updated); the others go, except one a complaint names, which is only closed (is_active)."""
    wanted = {name: (region, address) for name, region, address in store_rows}
    gone = []
    for store in Store.objects.select_for_update().filter(business=business):
        if store.name in wanted:
            store.region, store.address = wanted.pop(store.name)
            store.is_active = True
            store.save(update_fields=["region", "address", "is_active"])
        else:
            gone.append(store.pk)
    if gone:
        cited = list(Store.objects.filter(pk__in=gone, complaint__isnull=False).values_list("pk", flat=True))
        Store.objects.filter(pk__in=gone).exclude(pk__in=cited).delete()
        Store.objects.filter(pk__in=cited).update(is_active=False)
    if wanted:
        Store.objects.bulk_create([Store(business=business, name=n, region=r, address=a)
                                   for n, (r, a) in wanted.items()])


_AUDITED = {"business_approved": Action.BUSINESS_APPROVE, "business_refused": Action.BUSINESS_REFUSE,
            "business_suspended": Action.BUSINESS_SUSPEND, "business_reactivated": Action.BUSINESS_REACTIVATE}


def _staff_audit(actor: User, action: str, locked: Business, member: User, **detail: object) -> None:
    audit_record(actor=actor, action=action, object_type="user", object_id=member.pk, jurisdiction=locked.region_id,
                 detail={"business_id": locked.pk, "username": member.username, **detail})


def _transition(
    *,
    actor: User,
    business: Business | int,
    allowed_from: tuple[str, ...],
    to: str,
    forbidden: str,
    wrong_state: str,
    done: str,
    event: str,
    reason: str | None = None,
) -> Business:
    with transaction.atomic():
        locked = _lock(business)
        if not access.in_jurisdiction(actor, locked):
            raise NotAllowed(forbidden)
        if locked.status not in allowed_from:
            raise Conflict(wrong_state % {"status": locked.get_status_display()}, code="wrong_state")
        locked.status = to
        locked.status_reason = reason or ""
        fields = ["status", "status_reason"]
        if to == Business.Status.ACTIVE and locked.approved_at is None:
            locked.approved_at = clock.now()
            fields.append("approved_at")
        locked.save(update_fields=fields)
        audit_record(actor=actor, action=_AUDITED[event], object_type="business", object_id=locked.pk,
                     jurisdiction=locked.region_id,
                     detail={"name": locked.name, "status": to, **({"reason": reason} if reason else {})})
        body = f"原因：{reason}" if reason else ""
        notify(
            users=_staff_of(locked),
            event=event,
            title=f"{locked.name}{done}",
            body=body,
        )
    if isinstance(business, Business) and business is not locked:
        for f in ("status", "status_reason", "approved_at"):
            setattr(business, f, getattr(locked, f))
    return locked


def _reason(reason: str | None) -> str:
    return _text(reason, field="reason", label="原因", max_length=REASON_MAX, required=True)


def business_approve(*, actor: User, business: Business | int) -> Business:
    """``applied`` → ``active``."""
    return _transition(
        actor=actor,
        business=business,
        allowed_from=(Business.Status.APPLIED,),
        to=Business.Status.ACTIVE,
        forbidden=_("你无权通过入驻该商户：只有其所在辖区的消委或运营人员可以"),
        wrong_state=_("商户当前状态为「%(status)s」，不能通过入驻"),
        done="入驻申请已通过",
        event="business_approved",
    )


def business_refuse(*, actor: User, business: Business | int, reason: str) -> Business:
    """``applied`` → ``refused``, with a reason the applicant is told."""
    reason = _reason(reason)
    return _transition(
        actor=actor,
        business=business,
        allowed_from=(Business.Status.APPLIED,),
        to=Business.Status.REFUSED,
        forbidden=_("你无权驳回入驻该商户：只有其所在辖区的消委或运营人员可以"),
        wrong_state=_("商户当前状态为「%(status)s」，不能驳回入驻"),
        done="入驻申请未通过",
        event="business_refused",
        reason=reason,
    )


def business_suspend(*, actor: User, business: Business | int, reason: str) -> Business:
    """``active`` → ``suspended``: it receives no new complaints until reactivated."""
    reason = _reason(reason)
    return _transition(
        actor=actor,
        business=business,
        allowed_from=(Business.Status.ACTIVE,),
        to=Business.Status.SUSPENDED,
        forbidden=_("你无权暂停该商户：只有其所在辖区的消委或运营人员可以"),
        wrong_state=_("商户当前状态为「%(status)s」，不能暂停"),
        done="已被暂停",
        event="business_suspended",
        reason=reason,
    )


def business_reactivate(*, actor: User, business: Business | int) -> Business:
    """``suspended`` → ``active``."""
    return _transition(
        actor=actor,
        business=business,
        allowed_from=(Business.Status.SUSPENDED,),
        to=Business.Status.ACTIVE,
        forbidden=_("你无权恢复该商户：只有其所在辖区的消委或运营人员可以"),
        wrong_state=_("商户当前状态为「%(status)s」，不能恢复"),
        done="已恢复",
        event="business_reactivated",
    )


def store_add(*, actor: User, business: Business | int, name: str, region_code: str, address: str = "") -> Store:
    """A store (门店) of the business; by its admin staff or an operator."""
    name = _text(name, field="name", label="门店名称", max_length=NAME_MAX, required=True)
    region = region_get(region_code, field="region_code")
    address = _text(address, field="address", label="门店地址", max_length=ADDRESS_MAX)
    duplicate = Conflict(
        _("已有同名门店：%(name)s") % {"name": name},
        code="duplicate",
        fields={"name": "duplicate"},
    )
    with transaction.atomic():
        locked = _lock(business)
        if not access.may_manage_business(actor, locked):
            raise NotAllowed(
                _("只有本商户的管理员或运营人员可以添加门店")
            )
        if locked.status == Business.Status.REFUSED:
            raise Conflict(
                _("商户入驻未通过，不能添加门店"), code="wrong_state"
            )
        if Store.objects.filter(business=locked, name=name).exists():
            raise duplicate
        try:
            with transaction.atomic():
                return Store.objects.create(business=locked, name=name, region=region, address=address)
        except IntegrityError:
            raise duplicate from None


# ======================================================================
# The workbench (issue 4): joining from the web form, and staff accounts.
# ======================================================================

JOIN_FIELDS_MESSAGE = gettext_lazy("请修改标出的项目")
READABLE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud, typed on a phone


T = TypeVar("T")


def _collect(errors: dict[str, str], check: Callable[[], T]) -> T | None:
    """Run one check; a one-field error is kept in ``errors`` (so the form shows them all at once)."""
    try:
        return check()
    except InvalidInput as exc:
        errors.update(exc.fields or {"form": exc.message})
        return None


def _finest_region(code: str | None, *, field: str) -> Region:
    """A region the business (or store) is in: down to the finest level that exists there
    (a county, or a city without counties such as 东莞市)."""
    if not (code or "").strip():
        raise invalid(field, _("请选择所在地区"), code="required")
    region = region_get(code, field=field)
    if Region.objects.filter(parent_id=region.code).exists():
        raise invalid(field, _("请继续选择%(region)s下的区县") % {"region": region.full_name}, code="region_incomplete")
    return region


def business_join(
    *,
    applicant: User | None,
    username: str = "",
    password: str = "",
    name: str,
    credit_code: str,
    industry: str,
    region_code: str,
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    phone_code: str,
    contact_email: str = "",
    stores: Iterable[Mapping[str, Any]] = (),
    accept_rules: bool = False,
    accept_standards: bool = False,
    ip: str | None = None,
) -> tuple[Business, User]:
    """Joining from the web form: the application (``business_apply``) and its admin
    account, in one transaction. Returns the business and its admin.

    The admin is always a new staff account (username and password: staff sign in
    with a password). A consumer signed in by SMS keeps their consumer account
    apart, with their own complaints; business staff, council staff, operators and
    partners do not join this way. The region, the stores' regions included, is
    chosen down to the finest level; the platform's rules must be accepted, and
    the industry's service standards when it has some in force (``JoiningStandards``:
    asked and recorded by ``hejie.standards``). Every field is checked
    before anything is written, and all the errors are raised together.

    The contact phone is a mainland mobile number, proved by the code sent to it
    (``accounts.services.phone_code_send(purpose="join")``), given as ``phone_code``.
    A missing code is reported with the other fields; the code itself is checked
    only once every other field is right (a wrong one then fails alone, on
    ``phone_code``, and its try is counted). It is spent with the join, in the same
    transaction: a join that fails leaves it usable.

    A business that was refused may join again with its credit code: the same
    business row becomes a fresh application (``business_apply``), and the new
    admin is attached beside its earlier staff accounts.
    """
    User = get_user_model()
    if access.is_staff_account(applicant):
        raise NotAllowed(
            _("工作人员账号不能申请入驻，请退出登录后再申请"),
            code="staff_account",
        )
    errors: dict[str, str] = {}
    _collect(errors, lambda: _text(name, field="name", label="商户名称", max_length=NAME_MAX, required=True))
    code = _collect(errors, lambda: validate_credit_code(credit_code))
    taken = Business.objects.filter(credit_code=code).exclude(status=Business.Status.REFUSED).first() if code else None
    if taken is not None:
        errors["credit_code"] = (_invited_conflict().message if taken.status == Business.Status.INVITED
                                 else _("该统一社会信用代码已有商户申请或入驻"))
    if (industry or "").strip():
        industry_row = _collect(errors, lambda: industry_get(industry))
    else:
        industry_row, errors["industry"] = None, _("请选择行业")
    _collect(errors, lambda: _finest_region(region_code, field="region_code"))
    _collect(errors, lambda: _text(address, field="address", label="地址", max_length=ADDRESS_MAX, required=True))
    _collect(errors, lambda: _text(contact_name, field="contact_name", label="联系人", max_length=60, required=True))
    phone = _collect(errors, lambda: normalize_phone(contact_phone, field="contact_phone"))
    if not str(phone_code or "").strip():
        errors["phone_code"] = _("请输入发送到联系电话的短信验证码")
    _collect(errors, lambda: _email(contact_email))
    # a store whose place is not chosen is where the business is (the business's own error says so)
    stores = list(stores or ())
    explicit = [bool(store.get("region_code")) for store in stores]
    stores = [{**store, "region_code": store.get("region_code") or region_code} for store in stores]
    store_errors: dict[str, str] = {}
    _collect(store_errors, lambda: _store_rows(stores))
    for i, store in enumerate(stores):
        if explicit[i]:
            _collect(store_errors, partial(_finest_region, store.get("region_code"), field=f"stores.{i}.region_code"))
    errors.update({f: m for f, m in store_errors.items()
                   if not (f.endswith(".region_code") and not explicit[int(f.split(".")[1])])})
    # whether the username is free is not said here, to anyone: only once the phone is proved (below)
    errors.update(account_errors(username, password, check_taken=False))
    if not accept_rules:
        errors["accept_rules"] = _("请阅读并接受平台规则")
    has_standards = industry_row is not None and _joining_standards.in_force(industry_row)
    if has_standards and not accept_standards:
        errors["accept_standards"] = _("请阅读并接受本行业的服务标准")
    if errors or phone is None:  # no phone: its error is in errors
        raise InvalidInput(str(JOIN_FIELDS_MESSAGE), fields=errors)

    # the other fields are right: now the code (a wrong one is counted even though nothing is written);
    # it is spent in the join's transaction, so a join that fails still leaves it usable
    with phone_code_spent(phone=phone, code=phone_code, purpose="join", ip=ip):
        if (used := username_taken(username)) is not None:  # the phone is proved: now it may be said
            raise InvalidInput(str(JOIN_FIELDS_MESSAGE), fields={"username": used})
        business = business_apply(
            applicant=None, name=name, credit_code=credit_code, industry=industry, region_code=region_code,
            address=address, contact_name=contact_name, contact_phone=phone, contact_email=contact_email,
            stores=stores,
        )
        admin = user_create(
            username=username, password=password, role=User.Role.BUSINESS, business_credit_code=business.credit_code,
            display_name=(contact_name or "").strip()[:60], is_business_admin=True,
            mobile=phone, email=contact_email or "",  # the contact phone was just confirmed by code
        )
        _joining_standards.accept(actor=admin, business=business)
    return business, admin


def _initial_password() -> str:
    import secrets

    chars = [secrets.choice(READABLE_ALPHABET) for _ in range(12)]
    return "-".join("".join(chars[i:i + 4]) for i in range(0, 12, 4))


def _admin_of(actor: User | None, business: Business | int) -> Business:
    """The business, locked, if ``actor`` is one of its admins (or an operator)."""
    locked = _lock(business)
    if not access.may_manage_business(actor, locked):
        raise NotAllowed(_("只有本商户的管理员可以管理员工账号"))
    return locked


def _staff_member(business: Business, user_id: int | str) -> User:
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        pk = None
    member = (access.business_staff(business.pk, active_only=False).select_for_update().filter(pk=pk).first()
              if pk and 0 < pk < 2**63 else None)
    if member is None:
        raise NotFound(_("本商户没有这名员工"))
    return member


def staff_invite(*, actor: User, business: Business | int, username: str, display_name: str = "",
                 is_admin: bool = False) -> tuple[User, str]:
    """A new staff account of the business, by one of its admins. Returns the account and
    its initial password, which is shown once to the admin and never stored in the clear."""
    display_name = _text(display_name, field="display_name", label="姓名", max_length=60, required=True)
    with transaction.atomic():
        locked = _admin_of(actor, business)
        if locked.status == Business.Status.REFUSED:
            raise Conflict(_("商户入驻未通过，不能添加员工"),
                           code="wrong_state")
        password = _initial_password()
        user = user_create(username=username, password=password, role=access.Role.BUSINESS,
                           business_credit_code=locked.credit_code, display_name=display_name,
                           is_business_admin=bool(is_admin))
        _staff_audit(actor, Action.STAFF_INVITE, locked, user, is_admin=bool(is_admin))
        notify(users=[u for u in _staff_of(locked).filter(is_business_admin=True) if u.pk != user.pk],
               event="staff_invited",
               title=f"{locked.name}新增员工：{display_name}",
               body=f"用户名 {user.username}")
    return user, password


def staff_remove(*, actor: User, business: Business | int, user_id: int | str) -> User:
    """Deactivate a staff account of the business and revoke its API tokens. An admin cannot
    remove themself, and the business keeps at least one admin."""
    with transaction.atomic():
        locked = _admin_of(actor, business)
        member = _staff_member(locked, user_id)
        if member.pk == getattr(actor, "pk", None):
            raise Conflict(_("不能移除自己的账号"), code="self")
        if not member.is_active:
            return member
        if member.is_business_admin and not _staff_of(locked).filter(is_business_admin=True).exclude(
                pk=member.pk).exists():
            raise Conflict(_("不能移除最后一名管理员"), code="last_admin")
        member.is_active = False
        member.is_business_admin = False
        member.save(update_fields=["is_active", "is_business_admin"])
        _staff_audit(actor, Action.STAFF_REMOVE, locked, member)
        ApiToken.objects.filter(user=member, revoked_at__isnull=True).update(revoked_at=clock.now())
    return member


def staff_set_admin(*, actor: User, business: Business | int, user_id: int | str, is_admin: bool) -> User:
    """Make a staff member an admin of the business, or no longer one (not oneself)."""
    with transaction.atomic():
        locked = _admin_of(actor, business)
        member = _staff_member(locked, user_id)
        if member.pk == getattr(actor, "pk", None):
            raise Conflict(_("不能更改自己的管理员身份"), code="self")
        if not member.is_active:
            raise Conflict(_("该员工账号已停用"), code="inactive")
        if not is_admin and member.is_business_admin and not _staff_of(locked).filter(
                is_business_admin=True).exclude(pk=member.pk).exists():
            raise Conflict(_("不能移除最后一名管理员"), code="last_admin")
        if member.is_business_admin != bool(is_admin):
            member.is_business_admin = bool(is_admin)
            member.save(update_fields=["is_business_admin"])
            _staff_audit(actor, Action.STAFF_SET_ADMIN, locked, member, is_admin=bool(is_admin))
    return member


def staff_reset_password(*, actor: User, business: Business | int, user_id: int | str) -> tuple[User, str]:
    """A new initial password for a staff member who lost theirs (not oneself); shown once.
    The member's API keys are revoked with it: the old password's keys must not keep working;
    and a lock from wrong guesses at the old password is lifted, so the member can sign in now."""
    with transaction.atomic():
        locked = _admin_of(actor, business)
        member = _staff_member(locked, user_id)
        if member.pk == getattr(actor, "pk", None):
            raise Conflict(_("不能重置自己的密码"), code="self")
        if not member.is_active:
            raise Conflict(_("该员工账号已停用"), code="inactive")
        password = _initial_password()
        member.set_password(password)
        member.save(update_fields=["password"])
        token_revoke_all(user=member)
        password_unlock(username=member.username)
        _staff_audit(actor, Action.STAFF_RESET_PASSWORD, locked, member)
    return member, password
