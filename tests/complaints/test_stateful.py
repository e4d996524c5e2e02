"""Random sequences of actions and clock moves, checking the invariants after
every step: one outcome per order, a complete timeline, consistent deadlines,
scores from the tiers, ratings equal to a recomputation from scratch."""

import datetime as dt
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from hejie.businesses.models import Business
from hejie.complaints import services as svc
from hejie.complaints.models import Complaint, Policy, Proposal
from hejie.complaints.policy import score_for
from hejie.complaints.services import JUST_AFTER
from hejie.complaints.states import NEW, OUTCOMES, RECONCILING, TABLE
from hejie.core import clock
from hejie.core.errors import DomainError
from hejie.ops.sweep import sweep
from tests.conftest import T0

S, H, D = dt.timedelta(seconds=1), dt.timedelta(hours=1), dt.timedelta(days=1)
# Steps that land on and just past the rules' boundaries as well as ordinary gaps.
STEPS = st.sampled_from([S, 59 * S, H, 23 * H, 24 * H, 24 * H + S, 2 * D, 3 * D, 7 * D, 7 * D + S, 14 * D,
                         14 * D + S, 30 * D, 200 * D])
REACHED: Counter = Counter()  # states reached over all examples: proof the test explores
ENDINGS = {"accept", "refuse", "expire", "close_unresponsive", "withdraw", "reject", "forward_external"}


class Lifecycle(RuleBasedStateMachine):
    def __init__(self, world):
        super().__init__()
        self.w = world
        self.sid = transaction.savepoint()
        self.traveller = time_machine.travel(T0, tick=False)
        self.t = self.traveller.start()
        self.orders: list[int] = []
        self.counter = 0

    def teardown(self):
        REACHED.update(Complaint.objects.filter(pk__in=self.orders).values_list("state", flat=True))
        transaction.savepoint_rollback(self.sid)
        self.traveller.stop()

    def _try(self, fn, **kwargs):
        try:
            fn(**kwargs)
        except DomainError:
            pass  # refused: allowed; anything else fails the test

    def _order(self, i):
        return self.orders[i % len(self.orders)]

    @rule(who=st.integers(0, 1), active=st.booleans(), same_matter=st.booleans())
    def file(self, who, active, same_matter):
        self.counter += 1
        biz = self.w["active"] if active else self.w["applied"]
        self._try(lambda **k: self.orders.append(svc.complaint_submit(**k).pk),
                  consumer=self.w["consumers"][who], business_id=biz.pk, problem_type="quality",
                  description="随机测试的投诉描述内容。", claim_type="refund", claim_amount="12.50",
                  order_ref="same" if same_matter else f"r{self.counter}")

    @initialize()
    def first_orders(self):
        for who in (0, 1):
            self.file(who=who, active=True, same_matter=False)

    @rule(step=STEPS)
    def wait(self, step):
        self.t.shift(step)

    @rule()
    def run_sweep(self):
        sweep()
        now = clock.now()
        assert not Complaint.objects.filter(next_deadline_at__lte=now).exists()

    @precondition(lambda self: self.orders)
    @rule(i=st.integers(0, 50), kind=st.sampled_from(["message", "propose", "refuse", "fulfil"]))
    def business_acts(self, i, kind):
        staff, c = self.w["staff"], self._order(i)
        if kind == "message":
            self._try(svc.message_post, actor=staff, complaint=c, body="您好")
        elif kind == "propose":
            self._try(svc.proposal_make, actor=staff, complaint=c, terms="退款", amount="12.50")
        elif kind == "refuse":
            self._try(svc.complaint_refuse, actor=staff, complaint=c, reason="不同意")
        else:
            self._try(svc.fulfilment_mark, actor=staff, complaint=c)

    @precondition(lambda self: self.orders)
    @rule(i=st.integers(0, 50), kind=st.sampled_from(["accept", "reject", "counter", "withdraw", "mediation",
                                                      "rate", "confirm", "dispute"]))
    def consumer_acts(self, i, kind):
        pk = self._order(i)
        c = Complaint.objects.get(pk=pk)
        who = c.consumer
        pending = Proposal.objects.filter(complaint_id=pk, status="pending").first()
        pid = pending.pk if pending else 10**9
        if kind == "accept":
            self._try(svc.proposal_accept, actor=who, complaint=pk, proposal_id=pid)
        elif kind == "reject":
            self._try(svc.proposal_reject, actor=who, complaint=pk, proposal_id=pid)
        elif kind == "counter":
            self._try(svc.proposal_reject, actor=who, complaint=pk, proposal_id=pid, counter_terms="全额",
                      counter_amount=20)
        elif kind == "withdraw":
            self._try(svc.complaint_withdraw, actor=who, complaint=pk)
        elif kind == "mediation":
            self._try(svc.mediation_request, actor=who, complaint=pk)
        elif kind == "rate":
            self._try(svc.complaint_rate, actor=who, complaint=pk, satisfaction=4)
        else:
            self._try(svc.fulfilment_confirm, actor=who, complaint=pk, fulfilled=kind == "confirm")

    @precondition(lambda self: self.orders)
    @rule(i=st.integers(0, 50), gap=STEPS)
    def offer_then_accept(self, i, gap):
        """The common happy path as one step, so random walks reach settlement often."""
        pk = self._order(i)
        try:
            p = svc.proposal_make(actor=self.w["staff"], complaint=pk, terms="退款", amount="12.50")
        except DomainError:
            return
        self.t.shift(gap)
        c = Complaint.objects.get(pk=pk)
        self._try(svc.proposal_accept, actor=c.consumer, complaint=pk, proposal_id=p.pk)

    @precondition(lambda self: self.orders)
    @rule(i=st.integers(0, 50), kind=st.sampled_from(["urge", "reject", "forward", "settle", "fail", "mediate"]))
    def council_acts(self, i, kind):
        council, pk = self.w["council"], self._order(i)
        if kind == "urge":
            self._try(svc.complaint_urge, actor=council, complaint=pk)
        elif kind == "reject":
            self._try(svc.complaint_reject, actor=council, complaint=pk, reason="不属于受理范围")
        elif kind == "forward":
            self._try(svc.complaint_forward, actor=council, complaint=pk, business_id=self.w["active"].pk)
        elif kind == "mediate":
            self._try(svc.mediation_request, actor=council, complaint=pk)
        else:
            outcome = "settled" if kind == "settle" else "failed"
            self._try(svc.mediation_record_outcome, actor=council, complaint=pk, outcome=outcome, terms="调解协议")

    @invariant()
    def timelines_are_complete_and_one_outcome(self):
        for c in Complaint.objects.filter(pk__in=self.orders).prefetch_related("events"):
            moves = [e for e in c.events.all() if e.state_from]
            assert moves[0].state_from == NEW
            for a, b in zip(moves, moves[1:], strict=False):
                assert b.state_from == a.state_to, (c.number, a.type, b.type)
                assert TABLE[b.type].to == b.state_to if b.type in TABLE else True
            assert moves[-1].state_to == c.state
            assert sum(e.type in ENDINGS for e in moves) <= 1

    @invariant()
    def deadlines_are_consistent(self):
        now = clock.now()
        for c in Complaint.objects.filter(pk__in=self.orders):
            if c.state in RECONCILING:
                assert c.delivered_at is not None and c.settle_by == c.delivered_at + 14 * D
                assert c.next_deadline_at is not None and c.next_deadline_at <= c.settle_by + JUST_AFTER
                # an overdue order is always visible to the sweep
                if now > c.settle_by:
                    assert c.next_deadline_at <= now
            else:
                assert c.next_deadline_at is None

    @invariant()
    def scores_follow_the_tiers(self):
        policy = Policy.objects.get(pk=1)
        for c in Complaint.objects.filter(pk__in=self.orders, scored_at__isnull=False):
            if c.settled_at:
                expected = score_for(c.settled_at - c.delivered_at, policy)
                assert (c.stars, c.credit_points) == (expected.stars, expected.points)
                assert Proposal.objects.filter(complaint=c, status="accepted", side="business").count() == 1
            else:
                assert (c.stars, c.credit_points) == (0, 0)
        for c in Complaint.objects.filter(pk__in=self.orders, state__in=["withdrawn", "unresponsive", "rejected"]):
            assert c.scored_at is None
        for c in Complaint.objects.filter(pk__in=self.orders, satisfaction__isnull=False):
            assert c.events.filter(state_to__in=OUTCOMES).exists()

    @invariant()
    def ratings_equal_a_recomputation(self):
        now = clock.now()
        b = Business.objects.get(pk=self.w["active"].pk)
        if b.rating_expires_at is not None and b.rating_expires_at <= now:
            return  # the sweep has not caught up with the window yet
        scored = [c for c in Complaint.objects.filter(business=b, scored_at__isnull=False)
                  if c.scored_at > now - 365 * D]
        if not scored:
            assert b.credit_index is None
            return
        expected = ((Decimal(6) * 5 + sum(c.credit_points for c in scored)) / (5 + len(scored))).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert b.credit_index == expected and b.rated_cases == len(scored)


@pytest.mark.django_db
def test_random_lifecycles_keep_the_invariants(make_business, make_user):
    active = make_business()
    world = {
        "active": active,
        "applied": make_business(status="applied"),
        "staff": make_user("business", business=active),
        "council": make_user("council", region="420000"),
        "consumers": [make_user("consumer"), make_user("consumer")],
    }
    run_state_machine_as_test(
        lambda: Lifecycle(world),
        # derandomize: the same walks every run, so CI is stable; change the seed to explore anew
        settings=settings(max_examples=40, stateful_step_count=30, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck)),
    )
    # the random walks really reach the outcomes, not only refusals
    for state in ("delivered", "settled", "failed", "pending_review"):
        assert REACHED[state] > 0, REACHED
    assert len(REACHED) >= 6, REACHED  # and a good spread of the other outcomes
