"""Who is told of each event on an order, and what: the one table of it (``NOTICES``).

The consumer of stage NOTICES (``hejie.complaints.events``) runs over each batch of
events and, for every event whose type has an entry here, stores an in-app notice for
each recipient and hands the message to the channels after commit
(``hejie.notifications.services.notify``). An event type without an entry tells no one
(a first response, a rating, an uploaded file, an acknowledged urge).

Recipients are parties of the order: the consumer, the business's active staff, the
council members whose jurisdiction holds the order's region. Each entry yields
``Notice(parties, kind, title, body)``; ``kind`` is what the notice is about as the
notice pages name it (``hejie.web`` labels), which is not always the event type
(a delivered order is a "delivered" notice to the business and a "submitted" one to the
consumer).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hejie.accounts import access, privacy
from hejie.complaints import events
from hejie.complaints.events import EventType
from hejie.complaints.models import Complaint, ComplaintEvent
from hejie.complaints.policy import get_policy
from hejie.complaints.services.mediation import MEDIATION_ROUTES
from hejie.complaints.states import Side
from hejie.core import clock
from hejie.notifications.services import notify

if TYPE_CHECKING:
    from hejie.accounts.models import User


class Party(enum.Enum):
    CONSUMER = "consumer"
    BUSINESS = "business"
    COUNCIL = "council"


@dataclass(frozen=True)
class Notice:
    parties: tuple[Party, ...]
    kind: str
    title: str
    body: str = ""


C, B, K = Party.CONSUMER, Party.BUSINESS, Party.COUNCIL


_NUMBERISH = re.compile(r"[\dXx+() .-]")
_TRAILING_NUMBER = re.compile(r"[\dXx+() .-]+$")


def _cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, never inside a number: a cut through a phone or ID
    number would leave a piece that ``privacy.scrub`` no longer recognises (and so shows)."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    if _NUMBERISH.match(text[limit]):
        head = _TRAILING_NUMBER.sub("", head)
    return head + "…"


def _at(moment: dt.datetime | None) -> str:
    if moment is None:  # the deadlines told are those of a delivered order, which has them
        raise ValueError("no deadline to tell")
    return f"{moment.astimezone(clock.SHANGHAI):%m-%d %H:%M}"


def _delivered(order: Complaint) -> Notice:
    return Notice((B,), "delivered", f"新投诉 {order.number}",
                  f"请在{_at(order.respond_by)}前首次回复，{_at(order.settle_by)}前完成和解。")


def _submitted(event: ComplaintEvent, order: Complaint, batch: events.Batch) -> Iterator[Notice]:
    if event.payload.get("routed") == "deliver":
        yield _delivered(order)
    else:
        yield Notice((K,), "queued", f"待审核投诉 {order.number}", order.business_display_name)
    yield Notice((C,), "submitted", f"投诉已提交 {order.number}")


def _forward(event: ComplaintEvent, order: Complaint, batch: events.Batch) -> Iterator[Notice]:
    yield _delivered(order)
    yield Notice((C,), "forwarded", f"您的投诉 {order.number} 已转交 {order.business_display_name}")  # its business


def _forward_external(event: ComplaintEvent, order: Complaint, batch: events.Batch) -> Iterator[Notice]:
    p = event.payload
    yield Notice((C,), "forwarded", f"您的投诉 {order.number} 已转交 {p['to']}", p.get("note", ""))


def _reject(event: ComplaintEvent, order: Complaint, batch: events.Batch) -> Iterator[Notice]:
    yield Notice((C,), "rejected", f"您的投诉 {order.number} 不予受理", event.payload["reason"])


def _message(event: ComplaintEvent, order: Complaint, batch: events.Batch) -> Iterator[Notice]:
    others: dict[str, tuple[Party, ...]] = {Side.CONSUMER: (B,), Side.BUSINESS: (C,), Side.COUNCIL: (C, B)}
    yield Notice(others[event.side], "message", f"{order.number} 有新消息", _cut(event.context["message"].body, 140))


def _proposal(event: ComplaintEvent, order: Complaint, batch: events.Batch) -> Iterator[Notice]:
    offer = event.context["proposal"]
    amount = f"（金额 {offer.amount} 元）" if offer.amount is not None else ""
    yield Notice((C,), "proposal", f"{order.business_display_name} 提出和解方案", f"{_cut(offer.terms, 120)}{amount}")


def _proposal_rejected(event: ComplaintEvent, order: Complaint, batch: events.Batch) -> Iterator[Notice]:
    counter = event.context.get("counter")
    body = f"还价：{_cut(counter.terms, 120)}" if counter is not None else _cut(event.payload.get("reason", ""), 140)
    yield Notice((B,), "proposal_rejected", f"{order.number} 消费者拒绝了方案", body)


def _accept(event: ComplaintEvent, order: Complaint, batch: events.Batch) -> Iterator[Notice]:
    yield Notice((B,), "settled", f"{order.number} 和解成功", f"消费者已接受方案，请按约履行。评分 {order.stars} 星")
    yield Notice((C,), "settled", f"{order.number} 和解成功", "商户履行后请确认。")


def _failed(event: ComplaintEvent, order: Complaint, batch: events.Batch) -> Iterator[Notice]:
    reason = event.payload["reason"]
    days = (batch.policy or get_policy()).mediation_request_days
    yield Notice((C,), "failed", f"{order.number} 和解终止", f"{reason} 您可以在{days}天内申请消委调解。")
    yield Notice((B,), "failed", f"{order.number} 和解终止，记失败一次", reason)


def _withdraw(event: ComplaintEvent, order: Complaint, batch: events.Batch) -> Iterator[Notice]:
    yield Notice((B,), "withdrawn", f"{order.number} 消费者已撤回投诉")


def _urge(event: ComplaintEvent, order: Complaint, batch: events.Batch) -> Iterator[Notice]:
    urge = event.context["urge"]
    if event.side == Side.SYSTEM:
        yield Notice((B,), "urge", f"平台自动催办 {order.number}", urge.note)
    else:
        yield Notice((B,), "urge", f"消委催办 {order.number}", urge.note or "请尽快处理并确认收到催办。")


def _close_unresponsive(event: ComplaintEvent, order: Complaint, batch: events.Batch) -> Iterator[Notice]:
    yield Notice((C, B), "unresponsive", f"{order.number} 因消费者未回复已结案", order.closing_reason)


def _consumer_reminded(event: ComplaintEvent, order: Complaint, batch: events.Batch) -> Iterator[Notice]:
    offer = event.context["proposal"]
    yield Notice((C,), "reminder", f"请回复 {order.business_display_name} 的和解方案",
                 f"请在{_at(offer.reply_by)}前接受或拒绝，逾期将结案。")


def _request_mediation(event: ComplaintEvent, order: Complaint, batch: events.Batch) -> Iterator[Notice]:
    yield Notice((K, B, C), "mediation", f"{order.number} 进入消委调解")


def _mediation_settle(event: ComplaintEvent, order: Complaint, batch: events.Batch) -> Iterator[Notice]:
    yield Notice((C, B), "mediation_settled", f"{order.number} 调解成功", event.payload.get("terms") or "")


def _mediation_fail(event: ComplaintEvent, order: Complaint, batch: events.Batch) -> Iterator[Notice]:
    yield Notice((C, B), "mediation_failed", f"{order.number} 调解未成功",
                 f"调解未能达成一致。您还可以通过：{MEDIATION_ROUTES}")


def _mediation_extended(event: ComplaintEvent, order: Complaint, batch: events.Batch) -> Iterator[Notice]:
    until = dt.datetime.fromisoformat(event.payload["decide_by"]) - dt.timedelta(seconds=1)
    yield Notice((C, B), "mediation_extended", f"{order.number} 调解期限已延长",
                 f"消委决定延长调解期限至{_at(until)}。理由：{_cut(event.payload['reason'], 120)}")


def _fulfilment_claimed(event: ComplaintEvent, order: Complaint, batch: events.Batch) -> Iterator[Notice]:
    yield Notice((C,), "fulfilment_claimed", f"{order.number} 商户称已履行", "请确认是否已收到。")


def _fulfilment_answered(event: ComplaintEvent, order: Complaint, batch: events.Batch) -> Iterator[Notice]:
    said = "确认已履行" if event.type == EventType.FULFILMENT_CONFIRMED else "称未履行"
    yield Notice((B,), "fulfilment", f"{order.number} 消费者{said}", event.payload.get("note", ""))


Entry = Callable[[ComplaintEvent, Complaint, events.Batch], Iterator[Notice]]

NOTICES: dict[str, Entry] = {
    EventType.SUBMITTED: _submitted,
    EventType.FORWARD: _forward,
    EventType.FORWARD_EXTERNAL: _forward_external,
    EventType.REJECT: _reject,
    EventType.MESSAGE: _message,
    EventType.PROPOSAL: _proposal,
    EventType.PROPOSAL_REJECTED: _proposal_rejected,
    EventType.ACCEPT: _accept,
    EventType.REFUSE: _failed,
    EventType.EXPIRE: _failed,
    EventType.WITHDRAW: _withdraw,
    EventType.URGE: _urge,
    EventType.CLOSE_UNRESPONSIVE: _close_unresponsive,
    EventType.CONSUMER_REMINDED: _consumer_reminded,
    EventType.REQUEST_MEDIATION: _request_mediation,
    EventType.MEDIATION_SETTLE: _mediation_settle,
    EventType.MEDIATION_FAIL: _mediation_fail,
    EventType.MEDIATION_EXTENDED: _mediation_extended,
    EventType.FULFILMENT_CLAIMED: _fulfilment_claimed,
    EventType.FULFILMENT_CONFIRMED: _fulfilment_answered,
    EventType.FULFILMENT_DISPUTED: _fulfilment_answered,
}


def notices_for(event: ComplaintEvent, batch: events.Batch) -> Iterator[Notice]:
    entry = NOTICES.get(event.type)
    return iter(()) if entry is None else entry(event, event.complaint, batch)


class _Recipients:
    """The people of each party, read once per batch: a sweep batch that fails 500 orders of
    one business reads its staff once, not 500 times."""

    def __init__(self) -> None:
        self._staff: dict[int, list[User]] = {}
        self._councils: dict[tuple[str | None, ...], list[User]] = {}

    def of(self, party: Party, order: Complaint) -> list[User]:
        if party is Party.CONSUMER:
            return [order.consumer]
        if party is Party.BUSINESS:
            if not order.business_id:
                return []
            if order.business_id not in self._staff:
                self._staff[order.business_id] = list(access.business_staff(order.business_id))
            return self._staff[order.business_id]
        codes = (order.region_l1, order.region_l2, order.region_l3)
        if codes not in self._councils:
            self._councils[codes] = list(access.council_covering(order))
        return self._councils[codes]


def consume(batch: events.Batch) -> None:
    """The event consumer (stage NOTICES). A notice whose text holds personal data (a message
    quoting a phone number) reaches whoever does not hold the right on the order (a suspended
    business's staff, council staff without it) through ``privacy.scrub``."""
    people = _Recipients()
    for event in batch.events:
        order = event.complaint
        for notice in notices_for(event, batch):
            users = [u for party in notice.parties for u in people.of(party, order)]
            title, body = privacy.scrub(notice.title), privacy.scrub(notice.body)
            if (title, body) != (notice.title, notice.body):
                refused = [u for u in users if not access.may_see_personal_data_on(u, order)]
                if refused:
                    notify(users=refused, event=notice.kind, complaint=order, title=title, body=body)
                    users = [u for u in users if u not in refused]
            if users:
                notify(users=users, event=notice.kind, complaint=order, title=notice.title, body=notice.body)
