"""One order's story (``Case``): its steps (file, reply, offer, reject with a
counter, urge, refuse, mediate …), each a call of the real service at a moment
in the past, queued on the ``Demo`` that runs all stories in time order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from hejie.businesses.models import Store
from hejie.complaints.evidence import evidence_add
from hejie.complaints.models import Urge
from hejie.complaints.services import (
    complaint_forward,
    complaint_rate,
    complaint_refuse,
    complaint_reject,
    complaint_submit,
    complaint_urge,
    complaint_withdraw,
    fulfilment_confirm,
    fulfilment_mark,
    mediation_record_outcome,
    mediation_request,
    message_post,
    proposal_accept,
    proposal_make,
    proposal_reject,
    urge_acknowledge,
)
from hejie.core import clock
from hejie.ops.demo.base import D, DemoError
from hejie.ops.demo.businesses import BUSINESSES
from hejie.ops.demo.evidence import evidence_image, evidence_pdf
from hejie.ops.demo.texts import (
    BIZ_FIRST_REPLIES,
    BIZ_FOLLOWUPS,
    CONSUMER_FOLLOWUPS,
    OUTSIDERS,
    RATING_COMMENTS,
    REFUSE_REASONS,
    REJECT_REASONS,
    REJECT_REVIEW_REASONS,
    URGE_NOTES,
    WITHDRAW_REASONS,
    Text,
    compose,
    money,
)

if TYPE_CHECKING:
    from hejie.ops.demo.script import Demo


class Case:
    """One order's story: steps at increasing moments, run later in global time order."""

    def __init__(self, demo: Demo, story: str, expect: str, *, business: int | None, consumer: int,
                 filed: dt.datetime, problem: str | None, outsider: int | None, store: bool | None):
        self.d = demo
        self.story = story
        self.expect = expect
        self.business_n = business
        self.consumer_i = consumer
        self.outsider = outsider
        self.t = filed
        self.delivered = filed  # moved by forward()
        self.cut = False  # an optional step fell past now: the rest of the optional ones are skipped
        self.complaint = None
        self.offer_id = None
        self.last_amount: Decimal | None = None
        self.index = len(demo.cases) + 1
        rng = demo.rng
        if outsider is None:
            spec = BUSINESSES[business - 1]
            self.text = compose(rng, spec.industry, filed, problem=problem)
            has_stores = bool(spec.stores or spec.later_stores)
            self.use_store = has_stores and (rng.random() < 0.6 if store is None else store)
            self.ref = demo.order_ref(spec.industry) if rng.random() < 0.8 else ""
            same = [k for k in demo.cases if (k.consumer_i, k.business_n, k.text.problem, k.ref)
                    == (consumer, business, self.text.problem, "")]
            if not self.ref and same:  # one open complaint per consumer and matter: keep them apart
                self.ref = demo.order_ref(spec.industry)
        else:
            name, region, problem_, claim, desc, amount = OUTSIDERS[outsider]
            amount = Decimal(amount) if amount else None
            self.text = Text(problem_, claim, desc, amount, amount, None)
            self.use_store = False
            self.ref = ""
        self.claim = self.text.claim_amount

    # ---- plumbing

    @property
    def consumer(self):
        return self.d.consumers[self.consumer_i]

    @property
    def staff(self):
        user = self.d.staff_by_pk.get(self.complaint.business_id)
        if user is None:
            raise DemoError(f"demo script error: the business of story {self.story!r} has no staff account")
        return user

    @property
    def council(self):
        return self.d.council_for(self.complaint)

    def _step(self, delay: dt.timedelta, what: str, fn: Callable[[], None], *, optional: bool = False) -> Case:
        if self.cut:
            return self
        when = self.t + delay
        if optional and when >= self.d.limit:
            self.cut = True
            return self
        self.t = when
        self.d.at(when, f"order {self.index} ({self.story}): {what}", fn)
        return self

    def until(self, moment: dt.datetime) -> Case:
        """Let time pass (the sweep acts meanwhile)."""
        self.t = max(self.t, moment)
        return self

    def _amount(self, share: float | None) -> Decimal | None:
        if self.claim is None or share is None:
            return None
        return money(self.claim * Decimal(str(share)))

    # ---- intake

    def file(self) -> Case:
        def run():
            t = self.text
            kwargs = {}
            if self.outsider is not None:
                name, region = OUTSIDERS[self.outsider][:2]
                kwargs.update(business_name=name, region_code=region)
            else:
                business = self.d.biz[self.business_n]
                kwargs["business_id"] = business.pk
                if self.use_store:
                    stores = list(Store.objects.filter(business=business, is_active=True).order_by("pk"))
                    if stores:
                        kwargs["store_id"] = self.d.rng.choice(stores).pk
            self.complaint = complaint_submit(
                consumer=self.consumer, problem_type=t.problem, description=t.description, claim_type=t.claim,
                claim_amount=t.claim_amount, purchase_amount=t.purchase, purchase_date=t.purchase_date,
                order_ref=self.ref, **kwargs,
            )

        self._step(dt.timedelta(0), "file", run)
        if self.d.rng.random() < 0.35 and self.outsider is None:
            self.evidence(self.d.hours(0.05, 0.5), optional=True)
        return self

    def evidence(self, delay, *, who: str = "consumer", optional: bool = False) -> Case:
        seed = self.d.rng.randrange(10**9)
        pdf = self.text.problem == "safety" and who == "consumer"

        def run():
            c = self.complaint
            amount = f"{self.text.purchase:.2f}" if self.text.purchase else "-"
            lines = ["HEJIE DEMO  *  RECEIPT / XIAOPIAO", f"Order {c.number}", f"Ref   {c.order_ref or '-'}",
                     f"Date  {c.created_at.astimezone(clock.SHANGHAI):%Y-%m-%d %H:%M}", f"Total CNY {amount}",
                     "Thank you"]
            if pdf:
                data, name = evidence_pdf(["OUTPATIENT INVOICE (MENZHEN FAPIAO)", *lines[1:4],
                                            f"Medical CNY {self.claim or '-'}"], seed), "门诊发票.pdf"
            elif who == "business":
                data, name = evidence_image(["CCTV STILL / JIANKONG JIETU", *lines[1:4]], seed), "监控截图.png"
            else:
                name = self.d.rng.choice(["小票.png", "订单截图.png", "现场照片.png"])
                data = evidence_image(lines, seed)
            actor = self.consumer if who == "consumer" else self.staff
            evidence = evidence_add(actor=actor, complaint=c.pk, name=name, data=data)
            c.refresh_from_db(fields=["state"])
            if c.state != "pending_review":
                body = ("已上传消费凭证，请核实。" if who == "consumer"
                        else "附上当天的监控截图，顾客用餐时并未提出异议。")
                message_post(actor=actor, complaint=c.pk, body=body, evidence_id=evidence.pk)

        return self._step(delay, f"evidence by {who}", run, optional=optional)

    def forward(self, delay, business_n: int, note: str) -> Case:
        def run():
            complaint_forward(actor=self.council, complaint=self.complaint.pk, business_id=self.d.biz[business_n].pk,
                              note=note)
            self.complaint.refresh_from_db()

        self._step(delay, "forward to the business", run)
        self.delivered = self.t
        self.business_n = business_n
        return self

    def forward_external(self, delay, to: str, note: str) -> Case:
        def run():
            complaint_forward(actor=self.council, complaint=self.complaint.pk, external=to, note=note)

        return self._step(delay, "forward elsewhere", run)

    def reject_review(self, delay) -> Case:
        reason = self.d.rng.choice(REJECT_REVIEW_REASONS)

        def run():
            complaint_reject(actor=self.council, complaint=self.complaint.pk, reason=reason)

        return self._step(delay, "council rejects", run)

    def approve_business(self, delay) -> Case:
        self.t += delay
        self.d._approve(self.business_n, self.t)
        return self

    # ---- negotiation

    def respond(self, delay, body: str | None = None) -> Case:
        body = body or self.d.rng.choice(BIZ_FIRST_REPLIES)
        return self.biz_msg(delay, body)

    def biz_msg(self, delay, body: str, *, optional: bool = False) -> Case:
        def run():
            message_post(actor=self.staff, complaint=self.complaint.pk, body=body)

        return self._step(delay, "business message", run, optional=optional)

    def con_msg(self, delay, body: str, *, optional: bool = False) -> Case:
        def run():
            message_post(actor=self.consumer, complaint=self.complaint.pk, body=body)

        return self._step(delay, "consumer message", run, optional=optional)

    def council_msg(self, delay, body: str | None = None, *, optional: bool = False) -> Case:
        def run():
            council = self.council
            mediator = council.display_name.split()[-1]
            text = body or (f"您好，我是{council.region.name}消委调解员{mediator}，已受理本案调解申请。"
                            "请双方在三日内补充提交相关证据，我们将组织线上三方调解。")
            message_post(actor=council, complaint=self.complaint.pk, body=text)

        return self._step(delay, "council message", run, optional=optional)

    def offer(self, delay, *, share: float | None = None, amount=None, terms: str | None = None) -> Case:
        rng = self.d.rng
        if amount is None:
            amount = self._amount(share)
        if terms is None:
            if self.text.claim == "apology" or amount is None:
                terms = "店长已对当班员工进行批评教育，现向您郑重道歉，并赠送一张100元代金券，欢迎您再次监督。"
            elif self.claim is not None and amount >= self.claim:
                terms = f"同意您的诉求，全额退还{amount}元，三个工作日内原路退回，对给您带来的不便深表歉意。"
            else:
                terms = rng.choice([
                    f"经核实，愿意退还{amount}元，另赠送价值50元的代金券一张，三个工作日内原路退回。",
                    f"愿意一次性补偿{amount}元，款项三个工作日内转入您的账户。",
                    f"考虑到实际情况，我们可以退还{amount}元，希望您能理解。",
                ])
        self.last_amount = amount

        def run():
            self.offer_id = proposal_make(actor=self.staff, complaint=self.complaint.pk, terms=terms,
                                          amount=amount).pk

        return self._step(delay, "offer", run)

    def reject(self, delay, *, counter: bool) -> Case:
        rng = self.d.rng
        reason = rng.choice(REJECT_REASONS)
        counter_terms = counter_amount = ""
        if counter:
            if self.claim is not None:
                counter_amount = self.claim
                counter_terms = f"请按我的实际损失退还{self.claim}元，可以不要代金券。"
            else:
                counter_terms = "希望店长当面道歉，并保证以后不再发生类似情况。"

        def run():
            proposal_reject(actor=self.consumer, complaint=self.complaint.pk, proposal_id=self.offer_id,
                            reason=reason, counter_terms=counter_terms, counter_amount=counter_amount or None)

        return self._step(delay, "reject the offer" + (" with a counter" if counter else ""), run)

    def accept(self, delay) -> Case:
        def run():
            proposal_accept(actor=self.consumer, complaint=self.complaint.pk, proposal_id=self.offer_id)

        return self._step(delay, "accept", run)

    def settle(self, tier: int) -> Case:
        """Talk and settle so that the case scores ``tier`` stars."""
        hours, days = self.d.hours, self.d.days
        if tier == 5:  # within 24 h
            self.respond(hours(0.2, 3))
            if self.d.rng.random() < 0.4:
                self.con_msg(hours(0.2, 2), self.d.rng.choice(CONSUMER_FOLLOWUPS))
            self.offer(hours(0.5, 4), share=1.0).accept(hours(0.5, 8))
        elif tier == 4:  # within 3 days
            self.respond(hours(3, 20)).offer(hours(8, 16), share=0.6)
            self.reject(hours(4, 12), counter=True).offer(hours(4, 10), share=1.0).accept(hours(6, 10))
        elif tier == 3:  # within 7 days
            self.respond(hours(30, 40)).offer(days(1, 1.5), share=0.5).reject(hours(5, 20), counter=True)
            self.biz_msg(hours(5, 20), self.d.rng.choice(BIZ_FOLLOWUPS)).offer(hours(5, 20), share=0.9)
            self.accept(hours(4, 20))
        else:  # within 14 days, after the day-7 urges
            self.respond(days(1.1, 2)).offer(days(0.5, 1), share=0.3).reject(hours(5, 20), counter=True)
            self.until(self.delivered + 7 * D + hours(1, 12)).urge(hours(0.5, 4)).ack(hours(1, 10))
            self.offer(days(0.5, 1.5), share=0.8).accept(days(0.5, 2))
        return self

    def aftercare(self, tier: int) -> Case:
        """Fulfil, confirm and rate, as far as there is time for it."""
        rng = self.d.rng
        r = rng.random()
        if r < 0.75:
            self.fulfil(self.d.days(0.2, 2), optional=True)
            if r < 0.55:
                self.confirm(self.d.days(0.2, 1.5), optional=True)
                stars = max(1, min(5, tier + rng.choice([-1, 0, 0, 1]) - (1 if tier == 2 else 0)))
                self.maybe_rate(self.d.hours(0.1, 12), stars, p=0.75)
        elif r < 0.85:
            self.maybe_rate(self.d.days(0.2, 2), max(1, tier - 1), p=1)
        return self

    def refuse(self, delay, reason: str | None = None) -> Case:
        reason = reason or self.d.rng.choice(REFUSE_REASONS)

        def run():
            complaint_refuse(actor=self.staff, complaint=self.complaint.pk, reason=reason)

        return self._step(delay, "refuse", run)

    def expire(self) -> Case:
        """Let the 14 days pass: the sweep ends the reconciliation."""
        return self.until(self.delivered + 14 * D + self.d.hours(0.5, 3))

    def withdraw(self, delay) -> Case:
        reason = self.d.rng.choice(WITHDRAW_REASONS)

        def run():
            complaint_withdraw(actor=self.consumer, complaint=self.complaint.pk, reason=reason)

        return self._step(delay, "withdraw", run)

    # ---- urging

    def urge(self, delay) -> Case:
        note = self.d.rng.choice(URGE_NOTES)

        def run():
            complaint_urge(actor=self.council, complaint=self.complaint.pk, note=note)

        return self._step(delay, "council urges", run)

    def ack(self, delay) -> Case:
        def run():
            for pk in Urge.objects.filter(complaint_id=self.complaint.pk, acknowledged_at__isnull=True).values_list(
                    "pk", flat=True):
                urge_acknowledge(actor=self.staff, urge_id=pk)

        return self._step(delay, "business acknowledges urges", run)

    # ---- after the outcome

    def mediate(self, delay, *, by: str = "consumer", reason: str = "") -> Case:
        def run():
            actor = self.consumer if by == "consumer" else self.council
            mediation_request(actor=actor, complaint=self.complaint.pk, reason=reason)

        return self._step(delay, f"mediation requested by {by}", run)

    def mediation_end(self, delay, outcome: str) -> Case:
        amount = self._amount(0.8) if outcome == "settled" else None
        if outcome == "settled":
            terms = (f"经消委调解，双方自愿达成协议：经营者于五个工作日内向消费者退还{amount}元，消费者不再就此事追究。"
                     if amount is not None else "经消委调解，经营者向消费者书面道歉，并承诺加强员工培训。")
        else:
            terms = "双方分歧较大，经营者不同意退款，调解未能达成一致。"

        def run():
            mediation_record_outcome(actor=self.council, complaint=self.complaint.pk, outcome=outcome, terms=terms,
                                     amount=amount)

        return self._step(delay, f"mediation {outcome}", run)

    def fulfil(self, delay, *, optional: bool = False) -> Case:
        def run():
            fulfilment_mark(actor=self.staff, complaint=self.complaint.pk)

        return self._step(delay, "business fulfils", run, optional=optional)

    def confirm(self, delay, *, ok: bool = True, note: str = "", optional: bool = False) -> Case:
        def run():
            fulfilment_confirm(actor=self.consumer, complaint=self.complaint.pk, fulfilled=ok,
                               note=note or ("款项已收到。" if ok else ""))

        return self._step(delay, "consumer confirms fulfilment" if ok else "consumer says not fulfilled", run,
                          optional=optional)

    def maybe_rate(self, delay, stars: int, *, p: float) -> Case:
        if self.d.rng.random() >= p:
            return self
        comment = self.d.rng.choice(RATING_COMMENTS[stars])

        def run():
            complaint_rate(actor=self.consumer, complaint=self.complaint.pk, satisfaction=stars, comment=comment)

        return self._step(delay, "rate", run, optional=True)

