"""Every business reachable: inviting a business that has no account to claim it.

A business brought in by a partner's import is active on the platform but has nobody who can
sign in; a business a consumer names with its mobile or credit code, not on the platform at all,
becomes an *invited* record (``business_named``: never public, never rated). When a complaint is
filed against either, the order waits in the council's queue (its clock not started) and the
business is invited: an SMS to its registered contact's mobile
(and an email where known) with a one-time claim link. The claim confirms that phone by code,
checks the unified social credit code (an invited record named by mobile only takes the code
the claimant gives, if no other business has it), and creates the business's admin account (an
invited record becomes active); the waiting
orders are then delivered (``hejie.complaints.services.intake.business_claim``), their clocks
starting at that moment.

Unclaimed invitations are sent again every ``RESEND_EVERY`` up to ``MAX_SENDS`` times (the
sweep), and the partner that imported the business, or a council covering it, may remind it
(at most once per ``REMIND_GAP``).

The link carries the invitation's id signed with the site's key (``django.core.signing``): it
cannot be forged, it expires after ``LINK_MAX_AGE``, every re-send's link works, and it stops
working once the business is claimed.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from hejie.accounts import access
from hejie.accounts.models import User
from hejie.accounts.phones import mask_phone, normalize_phone
from hejie.accounts.services import account_errors, phone_code_send, user_create
from hejie.businesses.credit_code import validate_credit_code
from hejie.businesses.models import Business, ClaimInvitation, Industry
from hejie.businesses.names import initials_for
from hejie.core import clock
from hejie.core.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound, RateLimited
from hejie.core.validation import clean_email
from hejie.notifications import kinds
from hejie.notifications.services import send_direct
from hejie.regions.models import Region

SALT = "hejie.businesses.claim"
LINK_MAX_AGE = dt.timedelta(days=30)
RESEND_EVERY = dt.timedelta(days=2)
MAX_SENDS = 5
REMIND_GAP = dt.timedelta(days=1)


def has_account(business: Business | int) -> bool:
    """Whether anyone can sign in for the business (an active staff account)."""
    pk = business.pk if isinstance(business, Business) else business
    return access.business_staff(pk).exists()


def _mobile(text: str) -> str:
    try:
        return normalize_phone(text)
    except DomainError:
        return ""  # a landline or nothing: no SMS


def link_for(invitation: ClaimInvitation) -> str:
    token = signing.dumps(invitation.pk, salt=SALT)
    return f"{settings.HEJIE_PUBLIC_URL}/claim/{token}/"


def _send(invitation: ClaimInvitation, now: dt.datetime) -> None:
    business = invitation.business
    link = link_for(invitation)
    title = _("%(name)s：有消费者投诉待处理，请认领商户账号") % {"name": business.name}
    body = _("消费者在和解平台对%(name)s提交了投诉。请打开链接认领账号并处理，认领后开始计算处理时限：%(link)s") % {
        "name": business.name, "link": link}
    params = {"name": business.name[:20], "link": link}
    if invitation.phone:
        send_direct(channel=kinds.SMS, to=invitation.phone, kind=kinds.CLAIM, title=title, body=body,
                    params=params, url=link)
    if invitation.email:
        send_direct(channel=kinds.EMAIL, to=invitation.email, kind=kinds.CLAIM, title=title, body=body,
                    params=params, url=link)
    invitation.sends += 1
    invitation.last_sent_at = now
    invitation.save(update_fields=["sends", "last_sent_at"])


def invite(*, business: Business, now: dt.datetime | None = None) -> ClaimInvitation:
    """The business's open invitation, made and sent if there was none. Call inside the
    transaction that files the order: the messages leave after it commits."""
    now = now or clock.now()
    with transaction.atomic():
        invitation = ClaimInvitation.objects.select_for_update().filter(
            business=business, claimed_at__isnull=True).first()
        if invitation is None:
            invitation = ClaimInvitation.objects.create(
                business=business, phone=_mobile(business.contact_phone), email=business.contact_email or "",
                created_at=now)
        if invitation.sends == 0 and (invitation.phone or invitation.email):
            _send(invitation, now)
    return invitation


def open_invitation(business: Business | int | None) -> ClaimInvitation | None:
    """The business's unclaimed invitation, if any (what the council's order page shows)."""
    pk = business.pk if isinstance(business, Business) else business
    if pk is None:
        return None
    return ClaimInvitation.objects.filter(business_id=pk, claimed_at__isnull=True).first()


def invitation_remind(*, actor: access.Viewer, business: Business | int) -> ClaimInvitation:
    """The partner that brought the business, or a council covering it, sends the invitation again."""
    pk = business.pk if isinstance(business, Business) else business
    with transaction.atomic():
        invitation = (ClaimInvitation.objects.select_for_update().select_related("business")
                      .filter(business_id=pk, claimed_at__isnull=True).first())
        if invitation is None:
            raise NotFound(_("该商户没有待认领的邀请"))
        target = invitation.business
        if not (access.is_partner_staff_of(actor, target.partner_id) or access.in_jurisdiction(actor, target)):
            raise NotAllowed(_("只有带来该商户的合作方或其辖区消委可以提醒认领"))
        if not (invitation.phone or invitation.email):
            raise Conflict(_("该商户没有登记手机号或邮箱，无法发送邀请"), code="unreachable")
        now = clock.now()
        if invitation.last_sent_at is not None and invitation.last_sent_at > now - REMIND_GAP:
            wait = math.ceil((invitation.last_sent_at + REMIND_GAP - now).total_seconds())
            raise RateLimited(_("邀请刚刚发送过，%(hours)d小时后可再次提醒") % {"hours": math.ceil(wait / 3600)},
                              retry_after=wait)
        _send(invitation, now)
    return invitation


def invitations_resend_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """The sweep: send unclaimed invitations again every ``RESEND_EVERY``, at most ``MAX_SENDS`` times."""
    now = now or clock.now()
    due = list(ClaimInvitation.objects.filter(claimed_at__isnull=True, sends__gt=0, sends__lt=MAX_SENDS,
                                              last_sent_at__lte=now - RESEND_EVERY)
               .values_list("pk", flat=True)[:limit])
    for pk in due:
        with transaction.atomic():
            invitation = (ClaimInvitation.objects.select_for_update().select_related("business")
                          .filter(pk=pk, claimed_at__isnull=True, last_sent_at__lte=now - RESEND_EVERY).first())
            if invitation is not None:
                _send(invitation, now)
    return len(due)


# --- a business the consumer names --------------------------------------------------------


def named_contact(*, phone: object = "", credit_code: object = "", phone_field: str = "business_phone",
                  code_field: str = "business_credit_code") -> tuple[str, str]:
    """The mobile and the credit code a consumer gave for a business not on the platform, checked
    (each optional; both refusals at once). A landline is refused: the invitation goes by SMS."""
    errors: dict[str, str] = {}
    mobile = code = ""
    if str(phone or "").strip():
        try:
            mobile = normalize_phone(str(phone), field=phone_field)
        except DomainError:
            errors[phone_field] = _("请填写商户的中国大陆11位手机号（邀请通过短信发送，固定电话收不到）")
    if str(credit_code or "").strip():
        try:
            code = validate_credit_code(str(credit_code), field=code_field)
        except InvalidInput as exc:
            errors[code_field] = exc.fields.get(code_field) or exc.message
    if errors:
        raise InvalidInput(next(iter(errors.values())), fields=errors)
    return mobile, code


def _same_name(a: str, b: str) -> bool:
    return "".join(a.split()).lower() == "".join(b.split()).lower()


def business_named(*, name: str, region: Region, phone: str = "", credit_code: str = "",
                   now: dt.datetime | None = None) -> Business:
    """The business a consumer named with its mobile and/or credit code (already checked by
    ``named_contact``), for the filing to go to. Call inside the filing's transaction.

    - a credit code on the platform: that business, whatever its state (the filing then treats
      it as if the consumer had picked it);
    - an invited record with the same credit code, or with the same mobile and name: that record
      (a second complaint joins the first invitation; a mobile it lacked is added);
    - otherwise a new invited record in ``region`` (industry "other" until the claim says)."""
    now = now or clock.now()
    if credit_code:
        found = Business.objects.select_for_update().filter(credit_code=credit_code).first()
        if found is not None:
            if found.status == Business.Status.INVITED and phone and not found.contact_phone:
                found.contact_phone = phone
                found.save(update_fields=["contact_phone"])
            return found
    if phone:
        for candidate in Business.objects.select_for_update().filter(
                status=Business.Status.INVITED, contact_phone=phone):
            if _same_name(candidate.name, name) and (not credit_code or not candidate.credit_code):
                if credit_code:
                    candidate.credit_code = credit_code
                    candidate.save(update_fields=["credit_code"])
                return candidate
    other = Industry.objects.get(code="other")
    return Business.objects.create(
        name=name, name_initials=initials_for(name), credit_code=credit_code or None, industry=other,
        region=region, **region.codes(), contact_phone=phone, status=Business.Status.INVITED, created_at=now)


def invitation_contact_set(*, actor: access.Viewer, business: Business | int, phone: object = "",
                           email: object = "") -> ClaimInvitation:
    """A council covering the business (or the partner that brought it) corrects where its
    invitation goes, and it is sent there at once (a new number is not a reminder: no wait)."""
    pk = business.pk if isinstance(business, Business) else business
    errors: dict[str, str] = {}
    mobile = ""
    try:
        mobile = normalize_phone(str(phone or ""), field="phone") if str(phone or "").strip() else ""
    except DomainError:
        errors["phone"] = _("请输入中国大陆11位手机号")
    address = ""
    try:
        address = clean_email(email)
    except InvalidInput as exc:
        errors["email"] = exc.message
    if not mobile and not address and not errors:
        errors["phone"] = _("请至少填写手机号或邮箱")
    if errors:
        raise InvalidInput(next(iter(errors.values())), fields=errors)
    with transaction.atomic():
        invitation = (ClaimInvitation.objects.select_for_update().select_related("business")
                      .filter(business_id=pk, claimed_at__isnull=True).first())
        if invitation is None:
            raise NotFound(_("该商户没有待认领的邀请"))
        target = invitation.business
        if not (access.is_partner_staff_of(actor, target.partner_id) or access.in_jurisdiction(actor, target)):
            raise NotAllowed(_("只有带来该商户的合作方或其辖区消委可以更正联系方式"))
        invitation.phone, invitation.email = mobile, address
        invitation.save(update_fields=["phone", "email"])
        target.contact_phone, target.contact_email = mobile or target.contact_phone, address or target.contact_email
        target.save(update_fields=["contact_phone", "contact_email"])
        _send(invitation, clock.now())
    return invitation


# --- claiming -----------------------------------------------------------------------------


def invitation_from_link(token: str) -> ClaimInvitation:
    """The open invitation a claim link stands for; a clear refusal for a bad, old or used link."""
    try:
        pk = signing.loads(str(token or ""), salt=SALT, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise Conflict(_("认领链接已过期，请联系当地消委或带来您的合作方重新发送"), code="expired") from None
    except signing.BadSignature:
        raise NotFound(_("认领链接无效，请检查短信中的链接是否完整")) from None
    invitation = ClaimInvitation.objects.select_related("business").filter(pk=pk).first()
    if invitation is None:
        raise NotFound(_("认领链接无效，请检查短信中的链接是否完整"))
    if invitation.claimed_at is not None:
        raise Conflict(_("该商户已被认领，请使用用户名和密码登录"), code="claimed")
    if invitation.business.status not in (Business.Status.ACTIVE, Business.Status.INVITED):
        raise Conflict(_("该商户当前不能认领，请联系当地消委"), code="wrong_state")
    return invitation


def claim_code_send(*, token: str, ip: str | None = None) -> str:
    """Send the claim code to the invitation's phone; returns the number masked (the page says where)."""
    invitation = invitation_from_link(token)
    if not invitation.phone:
        raise Conflict(_("该商户没有登记手机号，请联系当地消委认领"), code="unreachable")
    phone_code_send(phone=invitation.phone, ip=ip, purpose="claim")
    return mask_phone(invitation.phone)


def needs_details(invitation: ClaimInvitation) -> bool:
    """Whether the claim also says the business's registered name and industry (an invited record,
    named by a consumer, knows only what the consumer typed)."""
    return invitation.business.status == Business.Status.INVITED


def claim_errors(invitation: ClaimInvitation, *, credit_code: str, username: str, password: str,
                 name: str = "", industry: str = "") -> dict[str, str]:
    """Every field's problem at once (before the code is spent)."""
    errors = {}
    business = invitation.business
    try:
        code = validate_credit_code(credit_code)
    except DomainError as exc:
        errors["credit_code"] = exc.message
    else:
        if business.credit_code and code != business.credit_code:
            errors["credit_code"] = _("统一社会信用代码与该商户登记的不一致")
        elif not business.credit_code and Business.objects.filter(credit_code=code).exclude(pk=business.pk).exists():
            errors["credit_code"] = _("该统一社会信用代码已登记为平台上的另一家商户，请联系当地消委")
    if needs_details(invitation):
        name = (name or "").strip()
        if not 2 <= len(name) <= 120:
            errors["name"] = _("请填写营业执照上的商户名称（2至120字）")
        if not Industry.objects.filter(code=(industry or "").strip()).exists():
            errors["industry"] = _("请选择行业")
    # said at once: the claimant came by the signed link sent to the business's phone
    errors.update(account_errors(username, password, check_taken=True))
    return errors


def claim_account(*, invitation: ClaimInvitation, username: str, password: str, display_name: str = "",
                  credit_code: str = "", name: str = "", industry: str = "", now: dt.datetime) -> User:
    """Create the business's admin account and close the invitation; an invited record becomes an
    active business with the registered name, credit code and industry the claimant gave (checked
    by ``claim_errors``). Call inside the transaction that spends the claim code
    (``hejie.complaints.services.intake.business_claim``)."""
    locked = ClaimInvitation.objects.select_for_update().select_related("business").get(pk=invitation.pk)
    if locked.claimed_at is not None:
        raise Conflict(_("该商户已被认领，请使用用户名和密码登录"), code="claimed")
    business = Business.objects.select_for_update().get(pk=locked.business_id)
    if business.status == Business.Status.INVITED:
        business.name = name.strip()
        business.name_initials = initials_for(business.name)
        business.industry = Industry.objects.get(code=industry.strip())
        business.credit_code = business.credit_code or validate_credit_code(credit_code)
        business.status, business.approved_at = Business.Status.ACTIVE, now
        business.status_reason = "经消费者投诉邀请认领入驻 (claimed after a consumer's complaint)"
        if not business.contact_phone:
            business.contact_phone = locked.phone
        try:
            with transaction.atomic():  # a savepoint: another record taking the same code at once fails here
                business.save(update_fields=["name", "name_initials", "industry", "credit_code", "status",
                                             "approved_at", "status_reason", "contact_phone"])
        except IntegrityError:
            raise InvalidInput(_("请修改标出的项目"), fields={
                "credit_code": _("该统一社会信用代码已登记为平台上的另一家商户，请联系当地消委")}) from None
    user = user_create(username=username, password=password, role=access.Role.BUSINESS,
                       business_credit_code=business.credit_code, is_business_admin=True,
                       display_name=(display_name or "").strip()[:60], mobile=locked.phone, email=locked.email)
    locked.claimed_at, locked.claimed_by = now, user
    locked.save(update_fields=["claimed_at", "claimed_by"])
    return user
