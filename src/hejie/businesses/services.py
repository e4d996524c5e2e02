"""Writes for businesses: joining the platform (入驻), review by the council,
suspension, stores. Every service runs in one transaction, locks the business
row before it checks its state, and tells the people concerned."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from hejie.businesses.credit_code import validate_credit_code
from hejie.businesses.models import Business, Industry, Store
from hejie.businesses.names import initials_for
from hejie.businesses.permissions import administers, oversees
from hejie.core import clock
from hejie.core.errors import Conflict, NotAllowed, NotFound, invalid
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
        raise invalid("industry", f"未知的行业 {code!r} (unknown industry)")
    return industry


def _email(value: str | None) -> str:
    value = _text(value, field="contact_email", label="联系邮箱", max_length=254)
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise invalid("contact_email", "联系邮箱格式不正确 (the contact email is not a valid address)") from None
    return value


def _store_rows(stores: Iterable[Mapping]) -> list[tuple[str, Region, str]]:
    rows: list[tuple[str, Region, str]] = []
    seen: set[str] = set()
    for i, store in enumerate(stores or ()):
        prefix = f"stores.{i}"
        name = _text(store.get("name"), field=f"{prefix}.name", label="门店名称", max_length=NAME_MAX, required=True)
        if name in seen:
            raise invalid(f"{prefix}.name", f"门店名称重复：{name} (two stores have the same name)")
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
        raise NotFound("商户不存在 (no such business)") from None


def _council_covering(business: Business):
    codes = [c for c in (business.region_l1, business.region_l2, business.region_l3) if c]
    return get_user_model().objects.filter(role="council", is_active=True, region_id__in=codes)


def _staff_of(business: Business):
    return get_user_model().objects.filter(business=business, is_active=True)


def _attach_applicant(applicant: User, business: Business) -> None:
    """The applicant becomes the business's admin, unless they already work
    for another business or apply on someone's behalf (council, operator)."""
    User = get_user_model()
    locked = User.objects.select_for_update().get(pk=applicant.pk)
    if locked.role not in (User.Role.CONSUMER, User.Role.BUSINESS) or locked.business_id is not None:
        return
    locked.role = User.Role.BUSINESS
    locked.business = business
    locked.is_business_admin = True
    locked.save(update_fields=["role", "business", "is_business_admin"])
    applicant.role, applicant.business, applicant.is_business_admin = locked.role, business, True


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
    stores: Iterable[Mapping] = (),
) -> Business:
    """A business applies to join (status ``applied``). The applicant becomes
    its admin staff (see ``_attach_applicant``); the council of its region is told.

    ``stores`` are mappings with ``name``, ``region_code`` and optional ``address``.
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
        "该统一社会信用代码已有商户申请或入驻 (a business with this unified social credit code is already registered)",
        code="duplicate",
        fields={"credit_code": "duplicate"},
    )
    with transaction.atomic():
        if Business.objects.filter(credit_code=code).exists():
            raise duplicate
        try:
            with transaction.atomic():  # a savepoint: a racing twin fails here, cleanly
                business = Business.objects.create(
                    name=name,
                    name_initials=initials_for(name),
                    credit_code=code,
                    industry=industry_row,
                    region=region,
                    **region.codes(),
                    address=address,
                    contact_name=contact_name,
                    contact_phone=contact_phone,
                    contact_email=contact_email,
                    status=Business.Status.APPLIED,
                )
        except IntegrityError:
            raise duplicate from None
        if store_rows:
            Store.objects.bulk_create([Store(business=business, name=n, region=r, address=a) for n, r, a in store_rows])
        if applicant is not None:
            _attach_applicant(applicant, business)
            if applicant.business_id == business.pk and applicant.is_business_admin:
                from hejie.standards.services import standards_accept_on_joining

                standards_accept_on_joining(actor=applicant, business=business)
        notify(
            users=_council_covering(business),
            event="business_applied",
            title=f"新的入驻申请：{name} (a business applied to join)",
            body=f"{name}（{code}，{region.full_name}）申请入驻，请审核。({name} has applied to join; please review.)",
        )
    return business


def _transition(
    *,
    actor: User,
    business: Business | int,
    allowed_from: tuple[str, ...],
    to: str,
    verb_zh: str,
    verb_en: str,
    done_zh: str,
    event: str,
    reason: str | None = None,
) -> Business:
    with transaction.atomic():
        locked = _lock(business)
        if not oversees(actor, locked):
            raise NotAllowed(
                f"你无权{verb_zh}该商户：只有其所在辖区的消委或运营人员可以 "
                f"(only council staff of the business's jurisdiction or operators may {verb_en} it)"
            )
        if locked.status not in allowed_from:
            raise Conflict(
                f"商户当前状态为「{locked.get_status_display()}」，不能{verb_zh} "
                f"(the business is {locked.status}; it cannot be {verb_en}d)",
                code="wrong_state",
            )
        locked.status = to
        locked.status_reason = reason or ""
        fields = ["status", "status_reason"]
        if to == Business.Status.ACTIVE and locked.approved_at is None:
            locked.approved_at = clock.now()
            fields.append("approved_at")
        locked.save(update_fields=fields)
        body = f"原因：{reason} (reason: {reason})" if reason else ""
        notify(
            users=_staff_of(locked),
            event=event,
            title=f"{locked.name}{done_zh} ({locked.name} was {verb_en}d)",
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
        verb_zh="通过入驻",
        done_zh="入驻申请已通过",
        verb_en="approve",
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
        verb_zh="驳回入驻",
        done_zh="入驻申请未通过",
        verb_en="refuse",
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
        verb_zh="暂停",
        done_zh="已被暂停",
        verb_en="suspend",
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
        verb_zh="恢复",
        done_zh="已恢复",
        verb_en="reactivate",
        event="business_reactivated",
    )


def store_add(*, actor: User, business: Business | int, name: str, region_code: str, address: str = "") -> Store:
    """A store (门店) of the business; by its admin staff or an operator."""
    name = _text(name, field="name", label="门店名称", max_length=NAME_MAX, required=True)
    region = region_get(region_code, field="region_code")
    address = _text(address, field="address", label="门店地址", max_length=ADDRESS_MAX)
    duplicate = Conflict(
        f"已有同名门店：{name} (the business already has a store with this name)",
        code="duplicate",
        fields={"name": "duplicate"},
    )
    with transaction.atomic():
        locked = _lock(business)
        if not administers(actor, locked):
            raise NotAllowed(
                "只有本商户的管理员或运营人员可以添加门店 (only the business's admins or operators may add stores)"
            )
        if locked.status == Business.Status.REFUSED:
            raise Conflict(
                "商户入驻未通过，不能添加门店 (the business was refused; it cannot add stores)", code="wrong_state"
            )
        if Store.objects.filter(business=locked, name=name).exists():
            raise duplicate
        try:
            with transaction.atomic():
                return Store.objects.create(business=locked, name=name, region=region, address=address)
        except IntegrityError:
            raise duplicate from None
