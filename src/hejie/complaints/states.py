"""The one transition table: which action may move an order from which state
to which, and who may take it. Services consult ``check()`` and nothing else.

Actions with ``to=None`` do not change the state (a message, an offer, a
rating) but are still allowed only in the listed states and to the listed
sides. ``system`` is the platform itself (the sweep).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hejie.core.errors import Conflict, NotAllowed


class State(models.TextChoices):
    PENDING_REVIEW = "pending_review", gettext_lazy("待审核")
    REJECTED = "rejected", gettext_lazy("不予受理")
    DELIVERED = "delivered", gettext_lazy("已送达")
    NEGOTIATING = "negotiating", gettext_lazy("和解中")
    SETTLED = "settled", gettext_lazy("和解成功")
    FAILED = "failed", gettext_lazy("和解终止")
    WITHDRAWN = "withdrawn", gettext_lazy("已撤回")
    UNRESPONSIVE = "unresponsive", gettext_lazy("消费者未回应")
    MEDIATING = "mediating", gettext_lazy("调解中")
    MEDIATED = "mediated", gettext_lazy("调解成功")
    MEDIATION_FAILED = "mediation_failed", gettext_lazy("调解失败")


class Side(models.TextChoices):
    CONSUMER = "consumer", gettext_lazy("消费者")
    BUSINESS = "business", gettext_lazy("经营者")
    COUNCIL = "council", gettext_lazy("消委")
    SYSTEM = "system", gettext_lazy("平台")


S = State
C, B, K, SYS = Side.CONSUMER, Side.BUSINESS, Side.COUNCIL, Side.SYSTEM

# Orders in these states are "open": the duplicate check applies, the
# business (or council) still has something to do.
OPEN_STATES = frozenset({S.PENDING_REVIEW, S.DELIVERED, S.NEGOTIATING, S.MEDIATING})
# Reconciliation running between consumer and business: the clocks tick.
RECONCILING = frozenset({S.DELIVERED, S.NEGOTIATING})
# An outcome has been reached: the consumer may rate it.
OUTCOMES = frozenset({S.SETTLED, S.FAILED, S.UNRESPONSIVE, S.MEDIATED, S.MEDIATION_FAILED})


@dataclass(frozen=True)
class Rule:
    sources: frozenset[str]
    to: str | None
    sides: frozenset[str]


def _r(sources: Iterable[str], to: str | None, sides: Iterable[str]) -> Rule:
    return Rule(frozenset(sources), to, frozenset(sides))


NEW = "new"  # the pseudo-state before an order exists

# The review reason of an order against an active business nobody can sign in for yet: it waits in
# the council's queue, its clock not started, until the business claims its account.
AWAITING_CLAIM = "awaiting_claim"

TABLE: dict[str, Rule] = {
    # intake and routing
    "deliver": _r({NEW}, S.DELIVERED, {C}),
    "queue": _r({NEW}, S.PENDING_REVIEW, {C}),
    "forward": _r({S.PENDING_REVIEW}, S.DELIVERED, {K, SYS}),  # SYS: delivered when its business is claimed
    "forward_external": _r({S.PENDING_REVIEW}, S.REJECTED, {K}),
    "reject": _r({S.PENDING_REVIEW}, S.REJECTED, {K}),
    # negotiation
    "respond": _r({S.DELIVERED}, S.NEGOTIATING, {B}),
    "accept": _r({S.NEGOTIATING}, S.SETTLED, {C}),
    "refuse": _r(RECONCILING, S.FAILED, {B}),
    "expire": _r(RECONCILING, S.FAILED, {SYS}),
    "close_unresponsive": _r({S.NEGOTIATING}, S.UNRESPONSIVE, {SYS}),
    "withdraw": _r({S.PENDING_REVIEW, S.DELIVERED, S.NEGOTIATING}, S.WITHDRAWN, {C}),
    # mediation (after a failure, or a settlement that was not fulfilled)
    "request_mediation": _r({S.FAILED, S.SETTLED}, S.MEDIATING, {C, K}),
    "mediation_settle": _r({S.MEDIATING}, S.MEDIATED, {K}),
    "mediation_fail": _r({S.MEDIATING}, S.MEDIATION_FAILED, {K}),
    "mediation_extend": _r({S.MEDIATING}, None, {K}),  # once, by a recorded decision
    # actions that keep the state
    "message": _r({S.DELIVERED, S.NEGOTIATING, S.MEDIATING, S.SETTLED}, None, {C, B, K}),
    "evidence": _r({S.PENDING_REVIEW, S.DELIVERED, S.NEGOTIATING, S.MEDIATING}, None, {C, B, K}),
    "propose": _r(RECONCILING, None, {B}),
    "reject_proposal": _r({S.NEGOTIATING}, None, {C}),
    "remind_consumer": _r({S.NEGOTIATING}, None, {SYS}),
    "urge": _r(RECONCILING, None, {K, SYS}),
    "acknowledge_urge": _r(RECONCILING | OUTCOMES, None, {B}),
    "mark_fulfilled": _r({S.SETTLED, S.MEDIATED}, None, {B}),
    "confirm_fulfilment": _r({S.SETTLED, S.MEDIATED}, None, {C}),
    "rate": _r(OUTCOMES, None, {C}),
}


def check(action: str, state: str, side: str) -> Rule:
    """Raise unless ``side`` may take ``action`` on an order in ``state``."""
    rule = TABLE[action]
    if side not in rule.sides:
        raise NotAllowed(
            _("%(side)s 不能执行此操作") % {"side": Side(side).label}, code="forbidden_side"
        )
    if state not in rule.sources:
        label = State(state).label if state in State.values else state
        raise Conflict(_("当前状态为「%(state)s」，不能执行此操作") % {"state": label},
                       code="wrong_state")
    return rule


def allowed_actions(state: str, side: str) -> list[str]:
    return [a for a, r in TABLE.items() if side in r.sides and state in r.sources]
