"""A consumer's rights over their personal data (PIPL arts. 45 and 47): a copy of everything held
about them, and closing their account.

``account_data_zip(user)``: a zip of the signed-in person's own data, never anyone else's (there
is no parameter naming another person): ``account.json`` (the account), ``orders.json`` (each
order they filed with its timeline, messages, offers, urges, mediations and the list of its
evidence), ``orders.csv`` (the same orders, one readable line each), ``draft.json`` (a complaint
being written), ``README.txt``, and their own evidence and draft files under ``files/``.

``account_close(...)``: consumers only, re-confirmed by an SMS code sent for the purpose
(``close``) or, for an account that has one, its password. Open orders are **withdrawn** first,
after a warning: without ``withdraw_open`` the closing is refused (``open_orders``, 409) with the
count, so the face can show which orders will be withdrawn and ask again. An order in the
council's mediation cannot be withdrawn by the consumer (the transition table), so closing is
refused while one is (``mediation_open``). Then, in one transaction: the open orders withdrawn
(their businesses told, as for any withdrawal), every closed order pseudonymised at once
(``retention.pseudonymise_orders``: the figures and the businesses' records stay), the draft
discarded, the account marked closed (``accounts.services.account_closed_mark``). Evidence files
are deleted from storage after the commit. Signing in again is refused with a clear message.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import zipfile
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hejie.accounts import access
from hejie.accounts import services as account_services
from hejie.accounts.models import User
from hejie.complaints.models import Complaint, ComplaintDraft, DraftFile, Evidence
from hejie.complaints.retention import pseudonymise_orders
from hejie.complaints.services import complaint_withdraw
from hejie.complaints.states import OPEN_STATES, State
from hejie.core import clock
from hejie.core.errors import Conflict, NotAllowed, Unauthenticated, invalid
from hejie.core.spreadsheets import csv_lines
from hejie.core.storage import open_stream

log = logging.getLogger("hejie.complaints")

CLOSE_PURPOSE = "close"
WITHDRAW_REASON = "消费者注销账号 (the consumer closed their account)"


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)


def _safe_name(name: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)
    return keep.strip("._")[:120] or "file"


def _order_data(order: Complaint, user: User, files: dict[int, str]) -> dict[str, Any]:
    return {
        "number": order.number,
        "state": order.state,
        "state_label": str(State(order.state).label),
        "business": order.business_display_name,
        "region": order.region_id,
        "problem_type": order.problem_type,
        "description": order.description,
        "claim_type": order.claim_type,
        "claim_amount": order.claim_amount,
        "purchase_amount": order.purchase_amount,
        "purchase_date": order.purchase_date,
        "order_ref": order.order_ref,
        "closing_reason": order.closing_reason,
        "created_at": order.created_at,
        "delivered_at": order.delivered_at,
        "outcome_at": order.outcome_at,
        "settled_at": order.settled_at,
        "fulfilment": order.fulfilment,
        "satisfaction": order.satisfaction,
        "satisfaction_comment": order.satisfaction_comment,
        "pseudonymised_at": order.pseudonymised_at,
        "timeline": [
            {"type": e.type, "side": e.side, "by_me": e.actor_id == user.pk, "state_from": e.state_from,
             "state_to": e.state_to, "at": e.created_at, "details": e.payload}
            for e in order.events.all()
        ],
        "messages": [{"side": m.side, "by_me": m.author_id == user.pk, "body": m.body, "at": m.created_at}
                     for m in order.messages.all()],
        "offers": [{"side": p.side, "terms": p.terms, "amount": p.amount, "status": p.status,
                    "reject_reason": p.reject_reason, "at": p.created_at, "decided_at": p.decided_at}
                   for p in order.proposals.all()],
        "urges": [{"kind": u.kind, "note": u.note, "at": u.created_at} for u in order.urges.all()],
        "mediations": [{"reason": m.reason, "outcome": m.outcome, "terms": m.terms, "amount": m.amount,
                        "requested_at": m.requested_at, "decided_at": m.decided_at}
                       for m in order.mediations.all()],
        "evidence": [
            {"side": ev.side, "by_me": ev.uploaded_by_id == user.pk, "name": ev.original_name, "kind": ev.kind,
             "size": ev.size, "sha256": ev.sha256, "at": ev.created_at, "removed_at": ev.removed_at,
             "file_in_zip": files.get(ev.pk)}
            for ev in order.evidence.all()
        ],
    }


README = """Hejie: your personal data / 您在和解平台的个人信息

account.json   your account / 账号
orders.json    every complaint you filed, with its timeline, messages, offers and mediations / 投诉及其全部记录
orders.csv     the same complaints, one line each (opens in a spreadsheet) / 投诉一览表
draft.json     a complaint you were writing, if any / 未提交的投诉草稿
files/         the evidence files you uploaded / 您上传的证据文件
"""


def account_data_zip(user: User) -> bytes:
    """The zip of everything held about ``user`` (the module's docstring). Only ever the caller's
    own data: the faces pass ``request.user``."""
    if not access.signed_in(user):
        raise NotAllowed(_("请先登录"), code="forbidden")
    buffer = io.BytesIO()
    orders = list(Complaint.objects.filter(consumer=user).select_related("business").order_by("created_at", "pk")
                  .prefetch_related("events", "messages", "proposals", "urges", "mediations", "evidence"))
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        files: dict[int, str] = {}
        for order in orders:
            for ev in order.evidence.all():
                if ev.uploaded_by_id != user.pk or ev.removed_at is not None or not ev.file:
                    continue
                path = f"files/{order.number}/{ev.pk}-{_safe_name(ev.original_name)}"
                try:
                    with open_stream(ev.file) as stream:
                        archive.writestr(path, stream.read())
                except OSError:
                    log.warning("data download: evidence %s of %s could not be read", ev.pk, order.number)
                    continue
                files[ev.pk] = path
        account = {
            "id": user.pk, "username": user.username, "role": user.role, "phone": user.phone or "",
            "display_name": user.display_name, "email": user.email, "date_joined": user.date_joined,
            "last_login": user.last_login, "mobile": user.mobile, "wechat_bound": bool(user.wechat_openid),
            "closed_at": user.closed_at,
        }
        archive.writestr("README.txt", README)
        archive.writestr("account.json", _dump(account))
        data = [_order_data(order, user, files) for order in orders]
        archive.writestr("orders.json", _dump(data))
        header = ["number", "state", "business", "problem_type", "claim_type", "claim_amount", "created_at",
                  "outcome_at", "description"]
        rows = [header] + [[o["number"], o["state_label"], o["business"], o["problem_type"], o["claim_type"],
                            str(o["claim_amount"] or ""), _json_default(o["created_at"]),
                            _json_default(o["outcome_at"]) if o["outcome_at"] else "", o["description"]]
                           for o in data]
        archive.writestr("orders.csv", "".join(csv_lines(rows)))
        draft = ComplaintDraft.objects.filter(consumer=user).first()
        draft_data: dict[str, Any] = {}
        if draft is not None:
            draft_data = {"data": draft.data, "created_at": draft.created_at, "updated_at": draft.updated_at,
                          "files": []}
            for item in DraftFile.objects.filter(draft=draft):
                path = f"files/draft/{item.pk}-{_safe_name(item.original_name)}"
                try:
                    with open_stream(item.file) as stream:
                        archive.writestr(path, stream.read())
                except OSError:
                    path = ""
                draft_data["files"].append({"name": item.original_name, "size": item.size, "file_in_zip": path})
        archive.writestr("draft.json", _dump(draft_data))
    return buffer.getvalue()


def open_orders(user: User) -> list[Complaint]:
    return list(Complaint.objects.filter(consumer=user, state__in=sorted(OPEN_STATES)).order_by("created_at"))


def account_close_code_send(*, user: User, ip: str | None = None) -> None:
    """Send the code that confirms closing to the consumer's own phone."""
    _require_consumer(user)
    account_services.phone_code_send(phone=user.phone or "", ip=ip, purpose=CLOSE_PURPOSE)


def _require_consumer(user: User) -> None:
    if not access.is_consumer(user):
        raise NotAllowed(_("只有消费者可以在这里注销账号；工作人员账号由所在单位的管理员或运营停用"),
                         code="consumers_only")


def _check_open(orders: list[Complaint], withdraw_open: bool) -> None:
    mediating = [o.number for o in orders if o.state == State.MEDIATING]
    if mediating:
        raise Conflict(_("投诉 %(numbers)s 正在消委调解中，调解结束后才能注销账号") % {"numbers": "、".join(mediating)},
                       code="mediation_open")
    if orders and not withdraw_open:
        raise Conflict(ngettext("您有%(n)d件投诉仍在处理中。注销账号将先撤回它们，请确认后再提交。",
                                "您有%(n)d件投诉仍在处理中。注销账号将先撤回它们，请确认后再提交。",
                                len(orders)) % {"n": len(orders)}, code="open_orders")


def _close(user: User, orders: list[Complaint]) -> dict[str, int]:
    now = clock.now()
    for order in orders:
        complaint_withdraw(actor=user, complaint=order.pk, reason=WITHDRAW_REASON)
    ids = list(Complaint.objects.select_for_update().filter(consumer=user, pseudonymised_at__isnull=True)
               .values_list("pk", flat=True))
    names = list(Evidence.objects.filter(complaint_id__in=ids, removed_at__isnull=True).exclude(file="")
                 .values_list("file", flat=True))
    done = pseudonymise_orders(ids, now=now)
    storage = Evidence.file.field.storage

    def delete_files() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete_files, robust=True)
    draft = ComplaintDraft.objects.filter(consumer=user).first()
    if draft is not None:
        draft_names = [f.file.name for f in draft.files.all()]
        draft.delete()

        def delete_draft_files() -> None:
            for name in draft_names:
                DraftFile.file.field.storage.delete(name)

        transaction.on_commit(delete_draft_files, robust=True)
    account_services.account_closed_mark(user=user, now=now)
    return {"withdrawn": len(orders), "pseudonymised": done}


def account_close(*, user: User, code: str | None = None, password: str | None = None,
                  withdraw_open: bool = False, ip: str | None = None) -> dict[str, int]:
    """Close the consumer's own account (the module's docstring). Returns how many orders were
    withdrawn and pseudonymised. Call outside any wider transaction (a wrong code is counted)."""
    _require_consumer(user)
    if user.closed_at is not None:
        raise Conflict(_("此账号已注销"), code="account_closed")
    _check_open(open_orders(user), withdraw_open)
    if password:
        if not user.has_usable_password():
            raise invalid("password", _("此账号没有密码，请使用短信验证码确认"), code="no_password")
        try:
            account_services.password_authenticate(username=user.username, password=password, ip=ip)
        except Unauthenticated as exc:  # the caller is signed in: a wrong password is wrong input, not 401
            raise invalid("password", exc.message, code="password_wrong") from None
        with transaction.atomic():
            orders = open_orders(user)
            _check_open(orders, withdraw_open)
            return _close(user, orders)
    if not code:
        raise invalid("code", _("请输入发送到您手机的验证码以确认注销"), code="code_missing")
    with account_services.phone_code_spent(phone=user.phone or "", code=code, purpose=CLOSE_PURPOSE, ip=ip):
        orders = open_orders(user)
        _check_open(orders, withdraw_open)
        return _close(user, orders)
