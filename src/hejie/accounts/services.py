"""Account writes: SMS one-time-code sign-in, SMS codes proving a phone for another purpose
(joining: ``phone_code_*``), password sign-in, API tokens, user creation.

Every service takes keyword-only arguments and runs in one transaction; the sign-ins also
commit their attempt counts on their own (wrong SMS codes and wrong passwords:
see ``hejie.accounts.throttle``).
Secrets are never stored: one-time codes are kept as an HMAC, API keys as a SHA-256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import math
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from hejie.accounts import access, throttle
from hejie.accounts.models import ApiToken, CodeFailure, OneTimeCode, PasswordFailure, User
from hejie.accounts.phones import mask_phone, normalize_phone
from hejie.core import clock
from hejie.core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotAllowed,
    NotFound,
    RateLimited,
    Unauthenticated,
    invalid,
)
from hejie.core.validation import clean_email
from hejie.notifications import kinds
from hejie.notifications.services import send_direct
from hejie.regions.selectors import region_get

# --- one-time codes -----------------------------------------------------------

OTP_DIGITS = 6
OTP_TTL = dt.timedelta(minutes=5)
# (how many codes, within how long) — a new code is refused once a window holds that many.
Limits = tuple[tuple[int, dt.timedelta], ...]
OTP_PHONE_LIMITS: Limits = ((1, dt.timedelta(seconds=60)), (5, dt.timedelta(hours=1)))
OTP_IP_LIMITS: Limits = ((20, dt.timedelta(hours=1)),)
_OTP_HMAC_SALT = "hejie.accounts.otp"
_PRUNE_BATCH = 100  # failure rows deleted at most per new one
_MSG_EXPIRED = gettext_lazy("验证码已过期，请重新获取")
_MSG_LOCKED = gettext_lazy("验证码错误次数过多，已失效，请重新获取")


def _otp_hash(phone: str, code: str, secret: str | bytes | None = None) -> str:
    """HMAC-SHA256 of phone and code, keyed by SECRET_KEY (or ``secret``)."""
    return salted_hmac(_OTP_HMAC_SALT, f"{phone}:{code}", secret, algorithm="sha256").hexdigest()


def _otp_matches(otp: OneTimeCode, code: str) -> bool:
    secrets_to_try = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    found = False
    for secret in secrets_to_try:  # no early exit: the same work for right and wrong codes
        found |= hmac.compare_digest(_otp_hash(otp.phone, code, secret), otp.code_hash)
    return found


def _serialise_on(*keys: str) -> None:
    """Serialise concurrent transactions that touch the same keys (until commit).

    PostgreSQL: transaction-scoped advisory locks. SQLite: the settings open every
    transaction with BEGIN IMMEDIATE, which already serialises writers.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in keys:
            lock_id = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])


def _retry_after(times: list[dt.datetime], limit: int, window: dt.timedelta, now: dt.datetime) -> int | None:
    """Seconds until a window holding ``times`` (ascending, all inside it) has room for one more; None if it has."""
    if len(times) < limit:
        return None
    leaves_at = times[len(times) - limit] + window
    return max(1, math.ceil((leaves_at - now).total_seconds()))


def _check_rate(qs: QuerySet[OneTimeCode], limits: Limits, now: dt.datetime) -> tuple[int, int, dt.timedelta] | None:
    longest = max(window for _, window in limits)
    times = sorted(qs.filter(created_at__gt=now - longest).values_list("created_at", flat=True))
    for limit, window in limits:
        inside = [t for t in times if t > now - window]
        wait = _retry_after(inside, limit, window, now)
        if wait is not None:
            return wait, limit, window
    return None


def _describe(window: dt.timedelta) -> str:
    """A limit's window in words, in the active language ("1小时", "per hour")."""
    seconds = int(window.total_seconds())
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("%(n)d小时", "%(n)d小时", hours) % {"n": hours}
    if seconds % 60 == 0 and seconds >= 120:
        return ngettext("%(n)d分钟", "%(n)d分钟", seconds // 60) % {"n": seconds // 60}
    return ngettext("%(n)d秒", "%(n)d秒", seconds) % {"n": seconds}


def _clean_ip(ip: str | None) -> str | None:
    if ip is None or str(ip).strip() == "":
        return None
    try:
        return str(ipaddress.ip_address(str(ip).strip()))
    except ValueError:
        raise invalid("ip", _("无效的IP地址 %(ip)s") % {"ip": repr(ip)}) from None


def _issue_code(*, phone: str, ip: str | None, purpose: str, title: str, event: str) -> None:
    """Store a new code for ``phone`` and ``purpose`` and send it by SMS (after commit), within the
    limits. The limits count every stored code of the number (or address), whatever its purpose:
    they are about how many messages a number gets. Call inside ``transaction.atomic()``."""
    _serialise_on(f"otp:phone:{phone}", *([f"otp:ip:{ip}"] if ip else []))
    now = clock.now()
    checks = [(OneTimeCode.objects.filter(phone=phone), OTP_PHONE_LIMITS,
               gettext_lazy("验证码发送过于频繁：每个手机号%(window)s内最多%(limit)d条，请%(wait)d秒后再试"))]
    if ip is not None:
        checks.append((OneTimeCode.objects.filter(ip=ip), OTP_IP_LIMITS,
                       gettext_lazy("验证码发送过于频繁：此网络%(window)s内最多%(limit)d条，请%(wait)d秒后再试")))
    for codes, limits, message in checks:
        hit = _check_rate(codes, limits, now)
        if hit is not None:
            wait, limit, window = hit
            raise RateLimited(str(message) % {"window": _describe(window), "limit": limit, "wait": wait},
                              retry_after=wait)
    code = f"{secrets.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"
    OneTimeCode.objects.create(
        phone=phone, code_hash=_otp_hash(phone, code), ip=ip, purpose=purpose, created_at=now,
        expires_at=now + OTP_TTL,
    )
    minutes = int(OTP_TTL.total_seconds() // 60)
    send_direct(channel=kinds.SMS, to=phone, kind=kinds.OTP, title=title,
                body=_("验证码 %(code)s，%(minutes)d分钟内有效，请勿告诉他人。") % {"code": code, "minutes": minutes},
                params={"code": code, "minutes": str(minutes)})


def otp_send(*, phone: str, ip: str | None = None) -> None:
    """Send a 6-digit sign-in code to ``phone`` by SMS (after commit).

    Limits, counted on stored codes so they hold across processes: per phone one
    code per 60 s and five per hour; per IP twenty per hour. Over a limit raises
    RateLimited with ``retry_after`` in seconds. A number that belongs to a staff
    (non-consumer) account gets no code: staff sign in with a password.
    """
    phone = normalize_phone(phone)
    ip = _clean_ip(ip)
    with transaction.atomic():
        owner = User.objects.filter(phone=phone).only("role").first()
        if access.is_staff_account(owner):
            raise NotAllowed(
                _("该手机号属于工作人员账号，请使用用户名和密码登录"),
                code="staff_phone",
            )
        _issue_code(phone=phone, ip=ip, purpose=OneTimeCode.Purpose.SIGNIN,
                    title=_("和解平台登录验证码"), event="otp")


def otp_resend_wait(*, phone: str) -> int:
    """Seconds before ``phone`` may be sent a new code (0: now), by the per-number limits."""
    phone = normalize_phone(phone)
    hit = _check_rate(OneTimeCode.objects.filter(phone=phone), OTP_PHONE_LIMITS, clock.now())
    return hit[0] if hit is not None else 0


def _clean_code(code: object, field: str = "code") -> str:
    value = str(code or "").strip()
    if not (len(value) == OTP_DIGITS and value.isdigit()):
        raise invalid(field, _("验证码应为%(n)d位数字") % {"n": OTP_DIGITS})
    return value


def _throttle_wait(failures: type[CodeFailure] | type[PasswordFailure], *, ip: str | None, now: dt.datetime,
                   base: str, **who: str) -> tuple[str, int] | None:
    """The one throttle rule over a table of failures: ``("pair", seconds)`` while ``who`` from this
    address cools off (``throttle.cooloff_wait`` from ``rule()[base]``), ``("address", seconds)``
    while the address has used up its wrong tries in the window, else None."""
    rule = throttle.rule()
    pair = (failures.objects.filter(_same_address(ip), cleared_at__isnull=True, at__gt=now - throttle.horizon(),
                                    **who).order_by("at").values_list("at", flat=True))
    wait = throttle.cooloff_wait(list(pair), base=rule[base], now=now)
    if wait is not None:
        return "pair", wait
    if ip is None:
        return None
    window = dt.timedelta(seconds=rule["ip_window"])
    times = sorted(failures.objects.filter(ip=ip, at__gt=now - window).values_list("at", flat=True))
    wait = throttle.window_wait(times, limit=rule["ip_failures"], window=window, now=now)
    return ("address", wait) if wait is not None else None


def _address_limit_words(wait: int) -> dict[str, object]:
    window = dt.timedelta(seconds=throttle.rule()["ip_window"])
    return {"window": _describe(window), "limit": throttle.rule()["ip_failures"], "wait": _in_words(wait)}


def _code_locked(*, phone: str, ip: str | None, now: dt.datetime, field: str) -> None:
    """Raise RateLimited if the (phone, address) pair is cooling off after wrong codes, or the address
    has used up its wrong codes (whatever the phones). The phone itself is never locked: its owner
    tries from their own address."""
    found = _throttle_wait(CodeFailure, ip=ip, now=now, base="code_cooloff", phone=phone)
    if found is None:
        return
    which, wait = found
    if which == "pair":
        message = _("此网络验证码错误次数过多，请%(wait)s后再试") % {"wait": _in_words(wait)}
    else:
        text = _("此网络验证码错误次数过多：%(window)s内最多%(limit)d次，请%(wait)s后再试")
        message = text % _address_limit_words(wait)
    raise RateLimited(message, code="code_throttled", retry_after=wait, fields={field: message})


def _code_failed(*, otp: OneTimeCode, ip: str | None, now: dt.datetime, field: str) -> DomainError:
    """Count a wrong code (on the code, and as a failure of the pair and the address) and say what
    now: how many tries are left from here, the pair's cool-off, or the code dead."""
    OneTimeCode.objects.filter(pk=otp.pk).update(attempts=F("attempts") + 1)
    old = list(CodeFailure.objects.select_for_update(skip_locked=True)
               .filter(at__lt=now - throttle.horizon()).values_list("pk", flat=True)[:_PRUNE_BATCH])
    if old:
        CodeFailure.objects.filter(pk__in=old).delete()
    CodeFailure.objects.create(phone=otp.phone, purpose=otp.purpose, ip=ip, at=now)
    rule = throttle.rule()
    if otp.attempts + 1 >= rule["code_failures"]:
        return invalid(field, str(_MSG_LOCKED), code="code_locked")
    counted = CodeFailure.objects.filter(_same_address(ip), phone=otp.phone, cleared_at__isnull=True,
                                         at__gt=now - throttle.horizon()).count()
    cooloff = throttle.cooloff_seconds(counted, base=rule["code_cooloff"])
    if cooloff:
        message = _("验证码错误次数过多，请%(wait)s后再试") % {"wait": _in_words(cooloff)}
        return RateLimited(message, code="code_throttled", retry_after=cooloff, fields={field: message})
    left = min(rule["failures"] - counted, rule["code_failures"] - otp.attempts - 1)
    message = ngettext("验证码错误，还可尝试%(n)d次", "验证码错误，还可尝试%(n)d次", left) % {"n": left}
    return invalid(field, message, code="code_wrong")


def _take_code(*, phone: str, code: str, purpose: str, field: str,
               ip: str | None) -> tuple[OneTimeCode | None, DomainError | None]:
    """Lock the latest unused code of ``phone`` for ``purpose`` and check ``code`` against it, for the
    client at ``ip`` (the key the throttle counts on, ``_ip_key``).

    Returns the code row when it matches (not yet spent; the pair's earlier failures are cleared),
    or the error to raise. A wrong code is counted here (on the code, and as a ``CodeFailure`` of the
    phone and the address), in the caller's transaction: the caller commits before raising. Missing,
    expired and dead codes, and a cooling-off address, raise at once (nothing to count). Call inside
    ``transaction.atomic()``.
    """
    _serialise_on(f"otp:verify:phone:{phone}", *([f"otp:verify:ip:{ip}"] if ip else []))
    otp = (
        OneTimeCode.objects.select_for_update()
        .filter(phone=phone, purpose=purpose, used_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
    if otp is None:
        raise invalid(
            field, _("请先获取验证码"), code="code_missing"
        )
    now = clock.now()
    if now > otp.expires_at:
        raise invalid(field, str(_MSG_EXPIRED), code="code_expired")
    _code_locked(phone=phone, ip=ip, now=now, field=field)
    if otp.attempts >= throttle.rule()["code_failures"]:
        raise invalid(field, str(_MSG_LOCKED), code="code_locked")
    if _otp_matches(otp, code):
        CodeFailure.objects.filter(_same_address(ip), phone=phone, cleared_at__isnull=True).update(cleared_at=now)
        return otp, None
    return None, _code_failed(otp=otp, ip=ip, now=now, field=field)


def _spend_codes(*, phone: str, purpose: str) -> None:
    OneTimeCode.objects.filter(phone=phone, purpose=purpose, used_at__isnull=True).update(used_at=clock.now())


def otp_verify(*, phone: str, code: str, ip: str | None = None) -> User:
    """Sign a consumer in with the code sent to ``phone``; creates the consumer on first sign-in.

    Checks the latest unused sign-in code for the number (a code sent for another purpose,
    such as joining, does not sign in). Wrong codes are throttled per (phone, client address ``ip``)
    and per address (``hejie.accounts.throttle``): five wrong from one address cool that address
    off for the number (RateLimited, even for the right digits), while the owner signs in from
    theirs; a code that took 30 wrong tries from everyone is dead. Expired codes fail with
    their own message. On success every outstanding sign-in code for the number is spent.

    Wrong tries are committed before the error is raised, so call this outside any
    wider transaction (an outer rollback would undo the attempt count).
    """
    phone = normalize_phone(phone)
    code = _clean_code(code)
    with transaction.atomic():
        otp, failure = _take_code(phone=phone, code=code, purpose=OneTimeCode.Purpose.SIGNIN, field="code",
                                  ip=_ip_key(ip))
        if otp is not None:
            user = consumer_get_or_create(phone=phone)
            refuse_closed(user)
            if not user.is_active:
                raise NotAllowed(_("账号已停用"), code="inactive")
            _spend_codes(phone=phone, purpose=OneTimeCode.Purpose.SIGNIN)
    if failure is not None:
        raise failure  # after commit: the attempt is counted
    return user


# --- codes for other purposes (joining: the contact phone is checked) --------------

PHONE_CODE_FIELD = "phone_code"
_PURPOSE_TITLES = {
    "join": gettext_lazy("和解平台商家入驻验证码"),
    "mobile": gettext_lazy("和解平台手机号验证码"),
    "claim": gettext_lazy("和解平台商户认领验证码"),
    "partner": gettext_lazy("和解平台合作方申请验证码"),
    "close": gettext_lazy("和解平台注销账号验证码"),
}


def _purpose(purpose: str) -> str:
    if purpose not in _PURPOSE_TITLES:
        raise ValueError(f"unknown phone code purpose {purpose!r}")
    return purpose


def phone_code_send(*, phone: str, ip: str | None = None, purpose: str = "join") -> str:
    """Send a 6-digit code to ``phone`` to prove it is the sender's (for ``purpose``; not for signing in).

    Any valid mainland mobile number gets one, staff numbers included; the limits are those of
    sign-in codes (``otp_send``), counted together with them. Returns the number, normalised.
    """
    purpose = _purpose(purpose)
    phone = normalize_phone(phone)
    ip = _clean_ip(ip)
    with transaction.atomic():
        _issue_code(phone=phone, ip=ip, purpose=purpose, title=str(_PURPOSE_TITLES[purpose]),
                    event=f"phone_code_{purpose}")
    return phone


def _phone_code_take(*, phone: str, code: str | None, purpose: str, spend: bool, ip: str | None) -> None:
    purpose = _purpose(purpose)
    code = _clean_code(code, PHONE_CODE_FIELD)
    with transaction.atomic():
        otp, failure = _take_code(phone=phone, code=code, purpose=purpose, field=PHONE_CODE_FIELD, ip=_ip_key(ip))
        if otp is not None and spend:
            _spend_codes(phone=phone, purpose=purpose)
    if failure is not None:
        raise failure  # after this transaction's commit: the attempt is counted


def phone_code_check(*, phone: str, code: str | None, purpose: str = "join", ip: str | None = None) -> None:
    """Check the code sent to ``phone`` for ``purpose``; on success it is spent (with every other
    outstanding code of the number for that purpose).

    Raises InvalidInput on the field ``phone_code``: not 6 digits, none sent, expired, wrong
    (the try is counted) or dead; RateLimited when the client address ``ip`` is cooling off
    (the throttle of ``otp_verify``). A wrong try is committed before
    the error is raised, so call this outside any wider transaction; to spend the code inside
    your own transaction, use ``phone_code_spent``. ``phone`` is expected valid (``normalize_phone``).
    """
    _phone_code_take(phone=normalize_phone(phone), code=code, purpose=purpose, spend=True, ip=ip)


@contextmanager
def phone_code_spent(*, phone: str, code: str | None, purpose: str = "join",
                     ip: str | None = None) -> Iterator[None]:
    """``with phone_code_spent(phone=…, code=…):`` — the code is checked first in a transaction of
    its own (a wrong try is counted and committed, then the error raised; the block does not run),
    then the block runs in a transaction that also spends the code: should the block fail and roll
    back, the code stays usable. Use outside any wider transaction, as ``phone_code_check``.
    """
    phone = normalize_phone(phone)
    _phone_code_take(phone=phone, code=code, purpose=purpose, spend=False, ip=ip)
    with transaction.atomic():
        # again, under lock: a concurrent use of the same code finds it spent
        _phone_code_take(phone=phone, code=code, purpose=purpose, spend=True, ip=ip)
        yield


# --- a staff member's channels: the mobile that gets their SMS, their email, being on duty -----


def _staff_only(user: User) -> None:
    if not access.is_staff_account(user):
        raise NotAllowed(_("消费者的短信发送到登录手机号，无需另设"), code="consumer")


def mobile_code_send(*, user: User, mobile: str, ip: str | None = None) -> str:
    """Send a code to the mobile a staff member wants their SMS on; returns it normalised."""
    _staff_only(user)
    return phone_code_send(phone=normalize_phone(mobile, field="mobile"), ip=ip, purpose="mobile")


def mobile_confirm(*, user: User, mobile: str, code: str | None, ip: str | None = None) -> User:
    """With the right code the number becomes the staff member's confirmed mobile."""
    _staff_only(user)
    mobile = normalize_phone(mobile, field="mobile")
    with phone_code_spent(phone=mobile, code=code, purpose="mobile", ip=ip):
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.mobile, locked.mobile_verified_at = mobile, clock.now()
        locked.save(update_fields=["mobile", "mobile_verified_at"])
    user.mobile, user.mobile_verified_at = locked.mobile, locked.mobile_verified_at
    return user


def mobile_remove(*, user: User) -> User:
    _staff_only(user)
    User.objects.filter(pk=user.pk).update(mobile="", mobile_verified_at=None)
    user.mobile, user.mobile_verified_at = "", None
    return user


def contact_update(*, user: User, email: str | None = None, on_duty: bool | None = None) -> User:
    """A staff member's email ("" removes it) and, for business staff, whether they are on duty
    (on duty: new orders and urges reach them by SMS and WeChat)."""
    _staff_only(user)
    fields = []
    if email is not None:
        email = clean_email(email)
        user.email = email
        fields.append("email")
    if on_duty is not None:
        if not access.is_business_staff(user):
            raise invalid("on_duty", _("只有商户员工有值班设置"))
        user.on_duty = bool(on_duty)
        fields.append("on_duty")
    if fields:
        user.save(update_fields=fields)
    return user


# --- WeChat: the openid a person's WeChat messages go to, and signs a consumer in ------------

_OPENID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _clean_openid(openid: object) -> str:
    value = str(openid or "").strip()
    if not value or len(value) > _max_length("wechat_openid") or not set(value) <= _OPENID_CHARS:
        raise invalid("wechat_openid", _("微信身份无效，请重新用微信授权"), code="wechat_openid")
    return value


def wechat_bind(*, user: User, openid: str) -> User:
    """Bind the WeChat ``openid`` (from the Official Account's web sign-in) to ``user``: their
    WeChat messages go to it and, for a consumer, it signs them in. One openid per person (a new
    one replaces the old); an openid bound to someone else is refused (Conflict)."""
    openid = _clean_openid(openid)
    if not user.is_active:
        raise NotAllowed(_("账号已停用"), code="inactive")
    taken = _("这个微信已绑定另一个账号，请先在那个账号中解除绑定")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if User.objects.filter(wechat_openid=openid).exclude(pk=user.pk).exists():
            raise Conflict(taken, code="wechat_taken")
        if locked.wechat_openid != openid:
            locked.wechat_openid = openid
            try:
                with transaction.atomic():
                    locked.save(update_fields=["wechat_openid"])
            except IntegrityError:  # bound to another account meanwhile
                raise Conflict(taken, code="wechat_taken") from None
    user.wechat_openid = openid
    return user


def wechat_unbind(*, user: User) -> User:
    """No more WeChat for ``user``: no messages by WeChat, no sign-in with it."""
    User.objects.filter(pk=user.pk).update(wechat_openid=None)
    user.wechat_openid = None
    return user


def wechat_signin(*, openid: str) -> User | None:
    """The consumer bound to ``openid``, to sign in; None when no one is (the person then proves
    their phone by SMS code and the openid is bound to them). A staff account bound to it is
    refused: staff sign in with their password, WeChat only carries their messages."""
    openid = _clean_openid(openid)
    user = User.objects.filter(wechat_openid=openid).first()
    if user is None:
        return None
    if access.is_staff_account(user):
        raise NotAllowed(_("这个微信绑定的是工作人员账号，请使用用户名和密码登录"), code="staff_wechat")
    refuse_closed(user)
    if not user.is_active:
        raise NotAllowed(_("账号已停用"), code="inactive")
    return user


def refuse_closed(user: User) -> None:
    """Raise NotAllowed (``account_closed``) for an account its owner closed: signing in with its
    phone says so, rather than making a new account or calling it disabled."""
    if user.closed_at is not None:
        day = clock.local_date(user.closed_at).isoformat()
        raise NotAllowed(_("此账号已于%(day)s注销，不能再登录") % {"day": day}, code="account_closed")


def account_closed_mark(*, user: User, now: dt.datetime) -> None:
    """Mark ``user`` closed (call inside the closing's transaction, ``complaints.rights``): inactive,
    no password, no name, e-mail, WeChat or staff mobile, every API token revoked, outstanding codes
    spent. The phone stays (a consumer's sign-in key) until ``closed_accounts_release``."""
    User.objects.filter(pk=user.pk).update(
        closed_at=now, is_active=False, password=make_password(None), display_name="", first_name="",
        last_name="", email="", wechat_openid=None, mobile="", mobile_verified_at=None,
    )
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    if user.phone:
        OneTimeCode.objects.filter(phone=user.phone, used_at__isnull=True).update(used_at=now)
    user.refresh_from_db()


def closed_accounts_release(*, closed_before: dt.datetime, dry_run: bool = False) -> int:
    """Replace the phone of accounts closed before ``closed_before`` by a pseudonym (``x`` and the id,
    never a mobile number): the number may then make a new account. Returns how many."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat, LPad

    due = User.objects.filter(closed_at__lt=closed_before).exclude(phone__startswith="x")
    if dry_run:
        return due.count()
    return due.update(phone=Concat(Value("x"), LPad(Cast("id", CharField()), 10, Value("0"))))


def codes_purge(*, older_than: dt.datetime, batch: int = 1000, dry_run: bool = False) -> dict[str, int]:
    """Delete one-time codes created before ``older_than`` and sign-in throttle rows (wrong codes,
    wrong passwords) older than that, a batch at a time. The throttle's rows are never deleted while
    they still count (``throttle.horizon()``). Returns how many of each."""
    now = clock.now()
    throttle_before = min(older_than, now - throttle.horizon())
    tables: list[tuple[str, QuerySet[Any]]] = [
        ("codes", OneTimeCode.objects.filter(created_at__lt=older_than)),
        ("code_failures", CodeFailure.objects.filter(at__lt=throttle_before)),
        ("password_failures", PasswordFailure.objects.filter(at__lt=throttle_before)),
    ]
    counts: dict[str, int] = {}
    for name, qs in tables:
        if dry_run:
            counts[name] = qs.count()
            continue
        counts[name] = 0
        while True:
            ids = list(qs.order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                break
            counts[name] += qs.model.objects.filter(pk__in=ids).delete()[0]
    return counts


def consumer_get_or_create(*, phone: str) -> User:
    """The consumer with this number, created (role consumer, no usable password) if new.

    A number that belongs to a staff account is refused: it must not become a consumer sign-in.
    """
    phone = normalize_phone(phone)
    with transaction.atomic():
        user = User.objects.filter(phone=phone).first()
        if user is None:
            try:
                with transaction.atomic():
                    user = User.objects.create(
                        username=f"c{phone}", phone=phone, role=User.Role.CONSUMER, password=make_password(None)
                    )
            except IntegrityError:
                # Created meanwhile by a concurrent sign-in, or the username is taken by someone else.
                user = User.objects.filter(phone=phone).first()
                if user is None:
                    user = User.objects.create(
                        username=f"c{phone}-{secrets.token_hex(3)}",
                        phone=phone,
                        role=User.Role.CONSUMER,
                        password=make_password(None),
                    )
        if access.is_staff_account(user):
            raise NotAllowed(
                _("手机号 %(phone)s 属于工作人员账号，不能作为消费者登录") % {"phone": mask_phone(phone)},
                code="staff_phone",
            )
        return user


# --- password sign-in ---------------------------------------------------------

PASSWORD_FAILURE_KEEP = dt.timedelta(days=1)
"""The guess limit on passwords (staff sign-in on the pages, the API and the admin, and the current
password when changing it): the rule of ``hejie.accounts.throttle``, counted on ``PasswordFailure`` rows
so it holds across processes:

- at most 5 wrong passwords per (username, client address), then that pair cools off for 15 minutes
  from the last failure, doubling with every further failure (30 min, 1 h, … at most 12 h); the
  username from any other address is not affected, so a guesser cannot lock the owner out;
- at most 30 wrong passwords per client address (an IPv6 client's /64 network) in a rolling
  15 minutes, whatever the usernames;
- over a limit every further attempt is refused with RateLimited (429, with ``retry_after``),
  before the password is looked at, so even the right password is refused until then; refused
  attempts are not counted;
- unknown usernames count like known ones (same message, same limit: no enumeration);
- a success clears that (username, address)'s failures; they still count for the address;
- an empty username or password is refused at once and counts for nothing (no guess);
- rows older than ``throttle.horizon()`` (a day) are deleted, a batch at a time, as new ones are written.
"""


def _same_address(ip: str | None) -> Q:
    """Rows of the client address ``ip`` (None: rows with no address)."""
    return Q(ip=ip) if ip is not None else Q(ip__isnull=True)


def _username_key(username: str) -> str:
    return (username or "").strip().lower()[:150]


def _ip_key(ip: str | None) -> str | None:
    """The address the limit counts on: as given for IPv4, the /64 network for IPv6 (one client
    easily holds a whole /64). An address that does not parse counts as none: a sign-in is never
    refused for the server's view of the client."""
    try:
        ip = _clean_ip(ip)
    except InvalidInput:
        return None
    if ip is None:
        return None
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False).network_address)
    return ip


def _in_words(seconds: int) -> str:
    """A wait in words, in the active language."""
    if seconds < 60:
        return ngettext("%(n)d秒", "%(n)d秒", seconds) % {"n": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(n)d分钟", "%(n)d分钟", minutes) % {"n": minutes}


def _password_locked(*, key: str, ip: str | None, now: dt.datetime, fields: tuple[str, ...]) -> None:
    """Raise RateLimited if the (username, address) pair is cooling off or the address has used up its
    wrong passwords."""
    found = _throttle_wait(PasswordFailure, ip=ip, now=now, base="cooloff", username=key)
    if found is None:
        return
    which, wait = found
    if which == "pair":
        message = _("该账号在此网络的密码错误次数过多，请%(wait)s后再试") % {"wait": _in_words(wait)}
    else:
        text = _("此网络密码错误次数过多：%(window)s内最多%(limit)d次，请%(wait)s后再试")
        message = text % _address_limit_words(wait)
    raise RateLimited(message, retry_after=wait, fields=dict.fromkeys(fields, message))


def _password_attempt(*, username: str, ip: str | None, fields: tuple[str, ...] = ()) -> int:
    """Take one guess from the limit before a password is checked: refuse (RateLimited) if none is
    left, else write a failure row, committed at once, and return its id for ``_password_passed``.
    Call it outside any wider transaction: an outer rollback would give the guess back."""
    key = _username_key(username)
    with transaction.atomic():
        _serialise_on(f"password:user:{key}", *([f"password:ip:{ip}"] if ip else []))
        now = clock.now()
        _password_locked(key=key, ip=ip, now=now, fields=fields)
        old = list(PasswordFailure.objects.select_for_update(skip_locked=True)
                   .filter(at__lt=now - throttle.horizon()).values_list("pk", flat=True)[:_PRUNE_BATCH])
        if old:  # at most a batch per new row: the table keeps about a day of failures
            PasswordFailure.objects.filter(pk__in=old).delete()
        return PasswordFailure.objects.create(username=key, ip=ip, at=now).pk


def _password_passed(attempt_id: int) -> None:
    """The password checked by ``attempt_id`` was right: that was no failure, and the earlier failures
    of the same username from the same address are cleared (they still count for the address)."""
    with transaction.atomic():
        attempt = PasswordFailure.objects.filter(pk=attempt_id).first()
        if attempt is None:
            return
        attempt.delete()
        PasswordFailure.objects.filter(_same_address(attempt.ip), username=attempt.username,
                                       cleared_at__isnull=True).update(cleared_at=clock.now())


def password_unlock(*, username: str) -> int:
    """Clear the username's counted failures (they still count for their addresses): its password was
    just reset by someone entitled to, so the guesses at the old one no longer matter. Returns how many."""
    return PasswordFailure.objects.filter(username=_username_key(username),
                                          cleared_at__isnull=True).update(cleared_at=clock.now())


def password_authenticate(*, username: str, password: str, ip: str | None = None,
                          request: HttpRequest | None = None) -> User:
    """Staff sign-in. One message for an unknown user, a wrong password and a disabled account.

    Guesses are limited per (username, client address ``ip``) and per address (the rule under
    PASSWORD_FAILURE_KEEP): over
    the limit, RateLimited before the password is checked. A wrong password is counted in a
    transaction of its own, so call this outside any wider transaction.
    """
    username = (username or "").strip()
    bad = Unauthenticated(_("用户名或密码错误"), code="bad_credentials")
    if not username or not password:
        raise bad
    attempt = _password_attempt(username=username, ip=_ip_key(ip))
    user = authenticate(request, username=username, password=password)
    if user is None:  # ModelBackend also returns None for inactive users
        raise bad  # the failure row stays
    _password_passed(attempt)
    return user


# --- API tokens ---------------------------------------------------------------

TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=1)


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_create(*, user: User, label: str = "") -> str:
    """A new API key for ``user``. The raw key is returned once and never stored."""
    if not user.is_active:
        raise NotAllowed(_("账号已停用"), code="inactive")
    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        ApiToken.objects.create(
            user=user, key_hash=_token_hash(raw), prefix=raw[:8], label=(label or "")[:100], created_at=clock.now()
        )
    return raw


def token_authenticate(raw: str | None) -> User | None:
    """The active user a bearer key belongs to, or None (unknown, revoked, or user disabled).

    ``last_used_at`` is written at most once a minute per token, by a conditional update.
    """
    if not raw or not isinstance(raw, str) or len(raw) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=_token_hash(raw)).first()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_TOUCH_INTERVAL:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - TOKEN_TOUCH_INTERVAL)
        ).update(last_used_at=now)
    return token.user


def token_revoke(*, user: User, raw: str | None = None, token_id: int | None = None) -> ApiToken:
    """Revoke one of ``user``'s tokens, named by its raw key or its id. Revoking twice is harmless."""
    if (raw is None) == (token_id is None):
        raise invalid("token", _("请指定要吊销的令牌（密钥或编号二选一）"))
    lookup = Q(key_hash=_token_hash(raw)) if raw is not None else Q(pk=token_id)
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(user=user).filter(lookup).first()
        if token is None:
            raise NotFound(_("找不到该令牌"))
        if token.revoked_at is None:
            token.revoked_at = clock.now()
            token.save(update_fields=["revoked_at"])
        return token


def token_revoke_all(*, user: User) -> int:
    """Revoke every live API key of ``user``, in the caller's transaction: a changed or reset
    password must not leave old keys working. Returns how many were revoked."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=clock.now())


# --- users --------------------------------------------------------------------


def _max_length(field: str) -> int:
    """The ``max_length`` of one of ``User``'s text fields."""
    length: int | None = getattr(User._meta.get_field(field), "max_length", None)
    if length is None:
        raise ValueError(f"User.{field} has no max_length")
    return length


def user_create(
    *,
    username: str,
    password: str | None,
    role: str,
    business_credit_code: str | None = None,
    region_code: str | None = None,
    phone: str | None = None,
    display_name: str = "",
    is_business_admin: bool = False,
    mobile: str | None = None,
    email: str = "",
) -> User:
    """Create an account of any role (operators' tool: CLI, admin, seeding).

    business staff need ``business_credit_code``; council staff need ``region_code``;
    consumers need ``phone`` and may go without a password (they sign in by SMS).
    Operators get Django admin rights (is_staff, is_superuser). ``mobile`` is a staff member's
    number for notices, already confirmed by the caller (the joining contact phone).
    """
    role = (role or "").strip().lower()
    if role not in User.Role.values:
        raise invalid("role", _("未知的角色 %(role)s，可选 %(choices)s") % {"role": repr(role),
                                                                        "choices": ", ".join(User.Role.values)})

    username = (username or "").strip()
    if not username:
        raise invalid("username", _("请填写用户名"))
    try:
        User.username_validator(username)
    except ValidationError:
        raise invalid("username", _("用户名只能包含字母、数字和 @/./+/-/_")) from None
    if len(username) > _max_length("username"):
        raise invalid("username", _("用户名过长，最多150个字符"))

    business = None
    if role == User.Role.BUSINESS:
        credit_code = (business_credit_code or "").strip().upper()
        if not credit_code:
            raise invalid(
                "business", _("经营者员工必须指定所属经营者的统一社会信用代码")
            )
        # through the account's foreign key: accounts sits below businesses and does not import it
        business_model = User._meta.get_field("business").related_model  # the Business class
        business = business_model.objects.filter(credit_code=credit_code).first()  # type: ignore[union-attr]
        if business is None:
            raise invalid(
                "business", _("未找到统一社会信用代码为 %(code)s 的经营者") % {"code": credit_code}
            )
    elif business_credit_code:
        raise invalid("business", _("只有经营者员工可以关联经营者"))
    if is_business_admin and role != User.Role.BUSINESS:
        raise invalid(
            "is_business_admin", _("只有经营者员工可以是经营者管理员")
        )

    region = None
    if role == User.Role.COUNCIL:
        if not (region_code or "").strip():
            raise invalid("region", _("消委工作人员必须指定辖区地区代码"))
        region = region_get(region_code, field="region")
    elif region_code:
        raise invalid("region", _("只有消委工作人员可以指定辖区"))

    if phone is not None and str(phone).strip():
        phone = normalize_phone(phone)
    else:
        phone = None
    if role == User.Role.CONSUMER and phone is None:
        raise invalid("phone", _("消费者账号必须有手机号"))

    if len(display_name or "") > _max_length("display_name"):
        raise invalid("display_name", _("显示名称过长"))

    if mobile:
        mobile = normalize_phone(mobile, field="mobile")
        if role == User.Role.CONSUMER:
            raise invalid("mobile", _("消费者的短信发送到登录手机号，无需另设"))
    email = clean_email(email)

    user = User(
        username=username,
        role=role,
        phone=phone,
        mobile=mobile or "",
        mobile_verified_at=clock.now() if mobile else None,
        email=email,
        display_name=display_name or "",
        business=business,
        is_business_admin=bool(is_business_admin),
        region=region,
        is_staff=role == User.Role.OPERATOR,
        is_superuser=role == User.Role.OPERATOR,
    )
    if password:
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            detail = " ".join(str(m) for m in exc.messages)
            message = _("密码不符合要求：%(detail)s") % {"detail": detail}
            raise InvalidInput(message, fields={"password": detail}) from None
        user.set_password(password)
    elif role == User.Role.CONSUMER:
        user.set_unusable_password()
    else:
        raise invalid("password", _("工作人员账号必须设置密码"))

    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise Conflict(_("用户名 %(username)s 已被使用") % {"username": username}, fields={"username": "taken"})
        if phone is not None and User.objects.filter(phone=phone).exists():
            message = _("手机号 %(phone)s 已被使用") % {"phone": mask_phone(phone)}
            raise Conflict(message, fields={"phone": "taken"})
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise Conflict(_("用户名或手机号已被使用")) from None
    return user


def account_errors(username: str, password: str, *, check_taken: bool) -> dict[str, str]:
    """A new staff account's username and password, checked without writing anything, so
    that a join form (a business's, a partner's) shows their errors with the others;
    ``user_create`` checks again when it runs. Field → message; empty when both are fine.

    ``check_taken``: whether to say that the username is already used. A form open to anyone
    must not (it would tell a stranger which accounts exist): the business join passes False and
    says it only once the person has proved their phone (``username_taken``)."""
    errors: dict[str, str] = {}
    username = (username or "").strip()
    if not username:
        errors["username"] = _("请填写用户名")
    else:
        try:
            User.username_validator(username)
        except ValidationError:
            errors["username"] = _("用户名只能包含字母、数字和 @/./+/-/_")
        else:
            if len(username) > _max_length("username"):
                errors["username"] = _("用户名过长，最多150个字符")
            elif check_taken and (taken := username_taken(username)):
                errors["username"] = taken
    problem = _password_problem(password, User(username=username))
    if problem:
        errors["password"] = problem
    return errors


def username_taken(username: str) -> str | None:
    """The message saying ``username`` is used (compared without case), or None if it is free."""
    username = (username or "").strip()
    if User.objects.filter(username__iexact=username).exists():
        return _("用户名 %(username)s 已被使用") % {"username": username}
    return None


def _password_problem(password: str, user: User) -> str | None:
    """What is wrong with ``password`` as ``user``'s new password (the site's validators), or None."""
    if not password:
        return _("请设置密码")  # noqa: S105 - a message
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        detail = " ".join(str(m) for m in exc.messages)  # Django's words, in the active language
        return _("密码不符合要求：%(detail)s") % {"detail": detail}
    return None


PASSWORD_FIELDS_MESSAGE = gettext_lazy("请修改标出的项目")  # noqa: S105 - a message


def password_change(*, user: User, current_password: str, new_password: str, new_password_again: str,
                    ip: str | None = None) -> tuple[User, int]:
    """A signed-in staff member changes their own password: the current one must be right, the
    new one typed twice alike, differ from the current one and pass the same rules as a new
    account's (``account_errors``). Every error comes at once, beside its field. Accounts
    without a password (consumers sign in by SMS) have none to change. The caller keeps its
    own session signed in (``update_session_auth_hash``); the account's other sessions end,
    and every API key of the account is revoked in the same transaction. Returns the user and
    how many keys were revoked.

    A wrong current password is a wrong password of the username, under the sign-in's guess
    limit (``password_authenticate``; client address ``ip``): over it, RateLimited beside
    ``current_password`` before anything is checked. Call this outside any wider transaction."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise Unauthenticated(_("请先登录"))
    if not access.may_change_password(user):
        raise NotAllowed(_("该账号没有密码，通过短信验证码登录"),
                         code="no_password")
    attempt = None
    if current_password:
        attempt = _password_attempt(username=user.username, ip=_ip_key(ip), fields=("current_password",))
    current_right = False
    errors: dict[str, str] = {}
    try:
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            if not current_password:
                errors["current_password"] = _("请填写当前密码")  # noqa: S105 - a message
            elif not locked.check_password(current_password):
                errors["current_password"] = _("当前密码不正确")  # noqa: S105 - a message
            else:
                current_right = True
            problem = _password_problem(new_password, locked)
            if problem:
                errors["new_password"] = problem
            elif current_password and new_password == current_password:
                errors["new_password"] = _("新密码不能与当前密码相同")  # noqa: S105
            if not errors.get("new_password") and new_password != new_password_again:
                errors["new_password_again"] = _("两次输入的新密码不一致")  # noqa: S105
            if errors:
                raise InvalidInput(str(PASSWORD_FIELDS_MESSAGE), fields=errors)
            locked.set_password(new_password)
            locked.save(update_fields=["password"])
            revoked = token_revoke_all(user=locked)
    finally:
        if attempt is not None and current_right:  # a right current password is no failure, whatever else
            _password_passed(attempt)
    user.password = locked.password
    return user, revoked
