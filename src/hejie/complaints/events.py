"""Timeline events: their types, and the consumers that follow them.

Every change to an order is told by one typed ``ComplaintEvent`` on its timeline,
written by the service in the transaction that makes the change. The event is
the single fact the rest of Hejie follows: small registered *consumers* keep the
daily figures, the business ratings and the black-list candidates, and tell
people (in-app notices, then SMS/email after commit) and business webhooks.

How it runs:

* A service opens a *unit of work* (``unit()``) inside its transaction, locks the
  orders it changes (``watch`` remembers each as it was when locked), and writes
  its events (``record``). When the unit ends without an error, still inside the
  transaction, the consumers run over the unit's events as one ``Batch``, in the
  fixed order of their ``Stage``. Sending anything outside the database
  (notifications, webhooks) is done by the consumers with ``on_commit``, so
  nothing leaves for a change that was rolled back.
* Consumers take a batch, not one event: the sweep ends hundreds of orders in
  one transaction and hands their events to each consumer once, which writes
  the figures in one statement and refreshes each business's rating once.
* A unit opened inside another joins it. A caller that rolls a savepoint back
  inside a unit calls ``Batch.forget_since`` with the mark it took before, so
  the consumers never see events that were not kept.

Consumers register in their app's ``AppConfig.ready()`` with ``register``. An
app registers only its own consumers, so a lower app (complaints) never imports
a higher one (ratings, webhooks): the higher one plugs in.

Who is told of each event type, and what, is declared once, in
``hejie.complaints.notices.NOTICES``.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from hejie.complaints.models import Complaint, ComplaintEvent, Policy


class EventType(models.TextChoices):
    """What happened to an order. The values of the transitions are the actions of
    the transition table (``hejie.complaints.states.TABLE``)."""

    SUBMITTED = "submitted", _("提交投诉")
    FORWARD = "forward", _("消委转交经营者")
    FORWARD_EXTERNAL = "forward_external", _("消委转交其他部门")
    REJECT = "reject", _("不予受理")
    RESPOND = "respond", _("经营者首次回复")
    MESSAGE = "message", _("留言")
    EVIDENCE_ADDED = "evidence_added", _("上传证据")
    PROPOSAL = "proposal", _("提出和解方案")
    PROPOSAL_REJECTED = "proposal_rejected", _("拒绝和解方案")
    ACCEPT = "accept", _("接受和解方案，和解成功")
    REFUSE = "refuse", _("经营者拒绝和解")
    EXPIRE = "expire", _("14 天未和解，和解终止")
    CLOSE_UNRESPONSIVE = "close_unresponsive", _("消费者未回应，结案")
    WITHDRAW = "withdraw", _("撤回投诉")
    URGE = "urge", _("催办")
    URGE_ACKNOWLEDGED = "urge_acknowledged", _("经营者确认催办")
    CONSUMER_REMINDED = "consumer_reminded", _("提醒消费者回复")
    REQUEST_MEDIATION = "request_mediation", _("申请调解")
    MEDIATION_SETTLE = "mediation_settle", _("调解成功")
    MEDIATION_FAIL = "mediation_fail", _("调解失败")
    MEDIATION_EXTENDED = "mediation_extended", _("延长调解期限")
    FULFILMENT_CLAIMED = "fulfilment_claimed", _("经营者称已履行")
    FULFILMENT_CONFIRMED = "fulfilment_confirmed", _("消费者确认履行情况")
    FULFILMENT_DISPUTED = "fulfilment_disputed", _("消费者称未履行")
    RATED = "rated", _("消费者评价")


# The events that give the case its score, and those that score it as failed.
SCORED = frozenset({EventType.ACCEPT, EventType.REFUSE, EventType.EXPIRE})
FAILED = frozenset({EventType.REFUSE, EventType.EXPIRE})


class Stage(enum.IntEnum):
    """The fixed order in which consumers run over a batch. Counts first (figures,
    ratings, candidates for the lists), then what tells people, so that a notice
    can rely on what the counting wrote."""

    FIGURES = 10
    RATINGS = 20
    LISTS = 30
    NOTICES = 80
    WEBHOOKS = 90


@dataclass(frozen=True)
class Consumer:
    stage: Stage
    name: str
    run: Callable[[Batch], object]  # what it returns is ignored


_consumers: dict[Stage, Consumer] = {}


def register(stage: Stage, run: Callable[[Batch], object]) -> None:
    """Register the consumer of ``stage`` (one per stage; registering it again with the
    same function is a no-op, so a repeated ``ready()`` does no harm)."""
    existing = _consumers.get(stage)
    if existing is not None and existing.run is not run:
        raise RuntimeError(f"stage {stage.name} already has a consumer: {existing.name}")
    _consumers[stage] = Consumer(stage, f"{run.__module__}.{run.__qualname__}", run)


def consumers() -> list[Consumer]:
    """The registered consumers, in the order they run."""
    return [_consumers[stage] for stage in sorted(_consumers)]


@dataclass
class Batch:
    """The events of one unit of work, in the order they were written, with each
    order as it was when the unit first locked it."""

    events: list[ComplaintEvent] = field(default_factory=list)
    policy: Policy | None = None
    _before: dict[int, dict[str, Any] | None] = field(default_factory=dict)

    def watch(self, complaint: Complaint, *, new: bool = False) -> None:
        """Remember ``complaint`` as it is now (``new``: it did not exist before this unit)."""
        if complaint.pk is not None and complaint.pk not in self._before:
            self._before[complaint.pk] = None if new else {
                f.attname: getattr(complaint, f.attname) for f in complaint._meta.concrete_fields}

    def before(self, complaint_id: int) -> dict[str, Any] | None:
        """The order's column values when the unit locked it (attribute names); None when
        the unit created it."""
        try:
            return self._before[complaint_id]
        except KeyError:
            raise RuntimeError(f"order {complaint_id} changed without being watched (events.watch)") from None

    def orders(self) -> dict[int, Complaint]:
        """Each order with an event in the batch, as it is now (the instance the events carry)."""
        out: dict[int, Complaint] = {}
        for event in self.events:
            out[event.complaint_id] = event.complaint
        return out

    def mark(self) -> int:
        return len(self.events)

    def forget_since(self, mark: int) -> None:
        """Drop the events recorded after ``mark`` (their savepoint was rolled back)."""
        del self.events[mark:]


_current: ContextVar[Batch | None] = ContextVar("hejie_event_batch", default=None)


@contextlib.contextmanager
def unit() -> Iterator[Batch]:
    """A unit of work: within the block (inside the caller's transaction) events are
    gathered; at its end, if nothing was raised, the consumers run over them. A unit
    opened inside another is the same unit."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    batch = Batch()
    token = _current.set(batch)
    try:
        yield batch
    finally:
        _current.reset(token)
    # reached only when the block did not raise
    dispatch(batch)


def current() -> Batch:
    batch = _current.get()
    if batch is None:
        raise RuntimeError("no unit of work is open (wrap the change in events.unit())")
    return batch


def watch(complaint: Complaint, *, new: bool = False) -> None:
    current().watch(complaint, new=new)


def record(event: ComplaintEvent, *, context: dict[str, Any] | None = None) -> ComplaintEvent:
    """Add a saved event to the open unit. ``context`` hands the consumers objects the
    writing service already holds (the message, the offer, the urge), so they need not
    be read again; it is not stored."""
    batch = current()
    event.context = context or {}
    batch.events.append(event)
    return event


def dispatch(batch: Batch) -> None:
    """Run every consumer over ``batch`` (nothing happens for an empty one)."""
    if not batch.events:
        return
    for consumer in consumers():
        consumer.run(batch)
