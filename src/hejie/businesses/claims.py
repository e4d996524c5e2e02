"""Every business reachable: inviting a business that has no account to claim it.

A business brought in by a partner's import is active on the platform but has nobody who can
sign in. When a complaint is filed against it, the order waits in the council's queue (its
clock not started) and the business is invited: an SMS to its registered contact's mobile
(and an email where known) with a one-time claim link. The claim confirms that phone by code,
checks the unified social credit code, and creates the business's admin account; the waiting
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
from django.db import transaction
from django.utils.translation import gettext as _

from hejie.accounts import access
from hejie.accounts.models import User
from hejie.accounts.phones import mask_phone, normalize_phone
from hejie.accounts.services import account_errors, phone_code_send, user_create
from hejie.businesses.credit_code import validate_credit_code
from hejie.businesses.models import Business, ClaimInvitation
from hejie.core import clock
from hejie.core.errors import Conflict, DomainError, NotAllowed, NotFound, RateLimited
from hejie.notifications import kinds
from hejie.notifications.services import send_direct

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
    if invitation.business.status != Business.Status.ACTIVE:
        raise Conflict(_("该商户当前不能认领，请联系当地消委"), code="wrong_state")
    return invitation


def claim_code_send(*, token: str, ip: str | None = None) -> str:
    """Send the claim code to the invitation's phone; returns the number masked (the page says where)."""
    invitation = invitation_from_link(token)
    if not invitation.phone:
        raise Conflict(_("该商户没有登记手机号，请联系当地消委认领"), code="unreachable")
    phone_code_send(phone=invitation.phone, ip=ip, purpose="claim")
    return mask_phone(invitation.phone)


def claim_errors(invitation: ClaimInvitation, *, credit_code: str, username: str, password: str) -> dict[str, str]:
    """Every field's problem at once (before the code is spent)."""
    errors = {}
    try:
        code = validate_credit_code(credit_code)
    except DomainError as exc:
        errors["credit_code"] = exc.message
    else:
        if code != invitation.business.credit_code:
            errors["credit_code"] = _("统一社会信用代码与该商户登记的不一致")
    errors.update(account_errors(username, password))
    return errors


def claim_account(*, invitation: ClaimInvitation, username: str, password: str, display_name: str = "",
                  now: dt.datetime) -> User:
    """Create the business's admin account and close the invitation. Call inside the transaction
    that spends the claim code (``hejie.complaints.services.intake.business_claim``)."""
    locked = ClaimInvitation.objects.select_for_update().select_related("business").get(pk=invitation.pk)
    if locked.claimed_at is not None:
        raise Conflict(_("该商户已被认领，请使用用户名和密码登录"), code="claimed")
    user = user_create(username=username, password=password, role=access.Role.BUSINESS,
                       business_credit_code=locked.business.credit_code, is_business_admin=True,
                       display_name=(display_name or "").strip()[:60], mobile=locked.phone, email=locked.email)
    locked.claimed_at, locked.claimed_by = now, user
    locked.save(update_fields=["claimed_at", "claimed_by"])
    return user
