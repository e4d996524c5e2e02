"""The demo's script (``Demo``): the people, the businesses' own steps (apply,
approve, stores, suspension) and every order's story, run in one global time
order, each step under ``clock.travel(moment)``, with the sweep run at every
deadline that falls due in between (see the package's docstring)."""

# ruff: noqa: S311 - the demo wants a seeded, repeatable generator, not a secret one

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Min

from hejie.accounts.services import consumer_get_or_create, user_create
from hejie.businesses import services as biz_services
from hejie.businesses.models import Business
from hejie.businesses.names import initials_for
from hejie.businesses.services import business_suspend
from hejie.complaints.models import Complaint
from hejie.complaints.services import complaint_submit
from hejie.core import clock
from hejie.core.errors import DomainError
from hejie.ops.demo.base import MIN, SEED, D, DemoError, H
from hejie.ops.demo.businesses import (
    BUSINESSES,
    DEMO_ASSOCIATION,
    DEMO_PLATFORM,
    DEMO_STANDARDS,
    LATE_FARM,
    NAMED,
    POOL,
    PREPAID_KTV,
    SILENT_NETCAFE,
    STAFFED,
    SURGE_GRILL,
    UNCLAIMED,
    contact_phone_for,
    council_mobile,
    credit_codes,
    staff_mobile,
)
from hejie.ops.demo.evidence import evidence_pdf
from hejie.ops.demo.orders import Case
from hejie.ops.demo.people import ADMIN_PASSWORD, ADMIN_USERNAME, CONSUMER_PHONES, COUNCILS, STAFF_PASSWORD
from hejie.ops.demo.texts import BIZ_FOLLOWUPS, CONSUMER_FOLLOWUPS, EXTERNAL, REFUSE_REASONS
from hejie.ops.sweep import sweep
from hejie.partners.services import partner_apply, partner_approve
from hejie.ratings import lists
from hejie.ratings.models import BlacklistEntry
from hejie.standards import services as std


@dataclass
class Step:
    when: dt.datetime
    label: str
    fn: Callable[[], None]


class Demo:
    def __init__(self, now: dt.datetime | None = None, *, seed: int = SEED):
        self.now = now or clock.now()
        self.limit = self.now - 2 * MIN  # every scripted step happens before this
        self.rng = random.Random(seed)
        self._queue: list[tuple[dt.datetime, int, Step]] = []
        self._seq = itertools.count()
        self.codes = credit_codes()
        self.biz: dict[int, object] = {}
        self.staff: dict[int, object] = {}
        self.staff_by_pk: dict[int, object] = {}
        self.council: dict[str, object] = {}
        self.consumers: list = []
        self.admin = None
        self.cases: list[Case] = []
        self.failures: Counter = Counter()  # planned failed cases per business (black-list rule)
        self.refs: set[str] = set()
        self.sweeps = 0

    # --------------------------------------------------------------- scheduling

    def at(self, when: dt.datetime, label: str, fn: Callable[[], None]) -> None:
        if when >= self.limit:
            raise DemoError(f"demo script error: step {label!r} would happen in the future ({when.isoformat()})")
        heapq.heappush(self._queue, (when, next(self._seq), Step(when, label, fn)))

    def _sweep_until(self, moment: dt.datetime) -> None:
        """Run the sweep at every deadline that falls due up to ``moment``, at that deadline."""
        while True:
            due = Complaint.objects.filter(next_deadline_at__lte=moment).aggregate(m=Min("next_deadline_at"))["m"]
            if due is None:
                return
            with clock.travel(due):
                report = sweep(due)
            self.sweeps += 1
            if report.errors:
                raise DemoError(f"the sweep failed on {report.errors} order(s) at {due.isoformat()}; see the log")

    def _run(self) -> None:
        while self._queue:
            when, _, step = heapq.heappop(self._queue)
            self._sweep_until(when)
            with clock.travel(when):
                try:
                    step.fn()
                except DomainError as exc:
                    raise DemoError(
                        f"a service refused demo step {step.label!r} at {when.isoformat()}: {exc.message}"
                    ) from exc
        self._sweep_until(self.now)
        report = sweep()  # at the real now
        if report.errors:
            raise DemoError(f"the final sweep failed on {report.errors} order(s); see the log")

    # --------------------------------------------------------------- helpers for stories

    def ago(self, lo: float, hi: float) -> dt.datetime:
        """A moment between ``hi`` and ``lo`` days ago; in the daytime (Shanghai) unless it is within a day."""
        moment = self.now - dt.timedelta(days=self.rng.uniform(lo, hi))
        if lo < 1 or hi - lo < 1.2:
            return moment.replace(microsecond=0)
        local = moment.astimezone(clock.SHANGHAI).replace(
            hour=self.rng.randint(8, 21), minute=self.rng.randint(0, 59), second=self.rng.randint(0, 59),
            microsecond=0,
        )
        if self.now - local < dt.timedelta(days=lo):
            local -= D
        elif self.now - local > dt.timedelta(days=hi):
            local += D
        return local.astimezone(dt.UTC)

    def hours(self, lo: float, hi: float) -> dt.timedelta:
        return dt.timedelta(minutes=round(self.rng.uniform(lo, hi) * 60))

    def days(self, lo: float, hi: float) -> dt.timedelta:
        return dt.timedelta(minutes=round(self.rng.uniform(lo, hi) * 1440))

    def pick_consumer(self) -> int:
        weights = [8, 5, 4, 3] + [2] * 6 + [1] * 10
        return self.rng.choices(range(len(CONSUMER_PHONES)), weights=weights)[0]

    def pick_business(self, *, failing: bool = False) -> int:
        keys = list(POOL)
        if failing:  # at most two failures per ordinary business: only the two rule-breakers are candidates
            keys = [k for k in keys if self.failures[k] < 2]
        n = self.rng.choices(keys, weights=[POOL[k] for k in keys])[0]
        if failing:
            self.failures[n] += 1
        return n

    def order_ref(self, industry: str) -> str:
        while True:
            prefix = {"catering": "MT", "lodging": "XC", "tourism": "TK", "entertainment": "DY"}.get(industry, "NO")
            ref = f"{prefix}{self.rng.randrange(10**15, 10**16)}"
            if ref not in self.refs:
                self.refs.add(ref)
                return ref

    def council_for(self, complaint) -> object:
        if complaint.region_l3 == "420106":
            return self.council["council_wuchang"]
        if complaint.region_l2 == "420100":
            return self.council["council_wuhan"]
        if complaint.region_l2 == "420500":
            return self.council["council_yichang"]
        return self.council["council_hubei"]

    def case(self, story: str, expect: str, *, business: int | None = None, consumer: int | None = None,
             filed: dt.datetime, problem: str | None = None, outsider: int | None = None,
             store: bool | None = None) -> Case:
        case = Case(self, story, expect, business=business,
                    consumer=self.pick_consumer() if consumer is None else consumer,
                    filed=filed, problem=problem, outsider=outsider, store=store)
        self.cases.append(case)
        return case

    # --------------------------------------------------------------- setup

    def _users(self) -> None:
        self.admin = user_create(username=ADMIN_USERNAME, password=ADMIN_PASSWORD, role="operator",
                                 display_name="平台运营")
        for i, (username, region, name) in enumerate(COUNCILS):
            self.council[username] = user_create(username=username, password=STAFF_PASSWORD, role="council",
                                                 region_code=region, display_name=name,
                                                 mobile=council_mobile(i), email=f"{username}@example.com")
        self.consumers = [consumer_get_or_create(phone=phone) for phone in CONSUMER_PHONES]

    def _plan_businesses(self) -> None:
        rng = random.Random(f"{SEED}-businesses")
        for spec in BUSINESSES:
            days_ago = {"applied": (3, 12), "approve_later": (14, 20)}.get(spec.plan, (95, 130))
            applied_at = self.now - dt.timedelta(days=rng.uniform(*days_ago))
            contact_phone = contact_phone_for(rng, spec.region)

            def apply(spec=spec, contact_phone=contact_phone):
                self.biz[spec.n] = biz_services.business_apply(
                    applicant=self.admin, name=spec.name, credit_code=self.codes[spec.n], industry=spec.industry,
                    region_code=spec.region, address=spec.address, contact_name=spec.contact,
                    contact_phone=contact_phone, contact_email=f"kefu.{initials_for(spec.name)}@example.com",
                    stores=[{"name": n, "region_code": r, "address": a} for n, r, a in spec.stores],
                )
                if spec.n in STAFFED:
                    self.staff[spec.n] = self.staff_by_pk[self.biz[spec.n].pk] = user_create(
                        username=f"biz_{spec.n}", password=STAFF_PASSWORD, role="business",
                        business_credit_code=self.codes[spec.n], display_name=f"{spec.name} {spec.contact}",
                        is_business_admin=True, mobile=staff_mobile(spec.n),
                        email=f"kefu.{initials_for(spec.name)}@example.com",
                    )

            self.at(applied_at, f"business {spec.n} applies", apply)
            if spec.plan in ("applied",):
                continue
            if spec.plan == "approve_later":
                approve_at = self.now - dt.timedelta(days=4.5) if spec.n != LATE_FARM else None
            else:
                approve_at = applied_at + dt.timedelta(hours=rng.uniform(4, 72))
            if approve_at is not None:
                self._approve(spec.n, approve_at)
            for i, (name, region, address) in enumerate(spec.later_stores):

                def add_store(spec=spec, name=name, region=region, address=address):
                    # the business's own admin where it has one, otherwise the operator
                    actor = self.staff.get(spec.n, self.admin)
                    biz_services.store_add(actor=actor, business=self.biz[spec.n], name=name, region_code=region,
                                           address=address)

                self.at((approve_at or applied_at) + dt.timedelta(days=3 + 7 * i), f"business {spec.n} adds a store",
                        add_store)

    def _approve(self, n: int, when: dt.datetime) -> None:
        spec = BUSINESSES[n - 1]

        def approve():
            actor = self.admin if spec.approver == "admin" else self.council[spec.approver]
            biz_services.business_approve(actor=actor, business=self.biz[n])

        self.at(when, f"business {n} approved", approve)

    # --------------------------------------------------------------- the stories

    def _plan_stories(self) -> None:
        rng = self.rng
        # ---- settled, in every star tier
        for tier, count, lo in ((5, 16, 1.5), (4, 12, 4), (3, 9, 8.5), (2, 6, 15)):
            for _ in range(count):
                c = self.case(f"settled {tier}★", "settled", business=self.pick_business(), filed=self.ago(lo, 58))
                c.file().settle(tier).aftercare(tier)
        # ---- settled, then not fulfilled: mediation
        c = self.case("settled, not fulfilled, mediating", "mediating", business=self.pick_business(),
                      filed=self.ago(12, 40))
        c.file().settle(4).fulfil(self.days(1, 2)).confirm(self.days(1, 3), ok=False,
                                                           note="商家说已退款，但至今没有收到，银行流水里也没有。")
        c.mediate(self.days(0.2, 1), reason="和解方案约定的退款一直没有到账，申请消委调解。")
        c.council_msg(self.hours(3, 20))

        # ---- failed: the business refuses
        for _ in range(4):
            c = self.case("failed: refused", "failed", business=self.pick_business(failing=True),
                          filed=self.ago(4.5, 55))
            c.file().respond(self.hours(1, 8))
            if rng.random() < 0.5:
                c.offer(self.hours(2, 20), share=0.3).reject(self.hours(2, 20), counter=True)
            else:
                c.evidence(self.hours(1, 5), who="business")
            c.refuse(self.days(0.5, 2)).maybe_rate(self.days(0.2, 2), rng.choice([1, 1, 2]), p=0.6)
        # ---- failed: 14 days pass without a settlement (the business did answer)
        for _ in range(4):
            c = self.case("failed: 14 days", "failed", business=self.pick_business(failing=True),
                          filed=self.ago(16, 58))
            c.file().respond(self.hours(2, 20)).offer(self.days(0.5, 1.5), share=0.4)
            c.reject(self.hours(6, 30), counter=True).biz_msg(self.days(1, 2), rng.choice(BIZ_FOLLOWUPS))
            c.con_msg(self.days(1, 3), rng.choice(CONSUMER_FOLLOWUPS)).expire().maybe_rate(self.days(0.1, 2), 1, p=0.5)

        # ---- the prepaid-card KTV that closed: three failures in 90 days, candidate, suspended
        ktv = PREPAID_KTV
        c = self.case("KTV closes: refused", "failed", business=ktv, filed=self.ago(50, 52), problem="prepaid_card")
        c.file().respond(self.hours(3, 10), "门店正在装修，暂停营业，卡内余额可以转到我们的合作门店继续使用。")
        c.con_msg(self.hours(1, 5), "合作门店离我家二十多公里，我要求退款。").refuse(self.days(1, 2), REFUSE_REASONS[1])
        c.maybe_rate(self.days(0.5, 1), 1, p=1)
        c = self.case("KTV closes: mediation failed", "mediation_failed", business=ktv, filed=self.ago(44, 45.5),
                      problem="prepaid_card")
        c.file().respond(self.hours(4, 12)).offer(self.hours(5, 20), amount=0, terms="卡内余额转入合作门店会员卡，"
                                                  "另赠送欢唱时长2小时。")
        c.reject(self.hours(2, 8), counter=True).refuse(self.days(1, 2), REFUSE_REASONS[1])
        c.mediate(self.days(0.5, 1), reason="门店已经停业，多名会员的余额都退不了，请消委介入。")
        c.council_msg(self.hours(4, 20)).mediation_end(self.days(5, 7), "failed")
        c.maybe_rate(self.days(0.2, 1), 1, p=1)
        c = self.case("KTV closes: 14 days", "failed", business=ktv, filed=self.ago(40, 41), problem="prepaid_card")
        c.file().respond(self.hours(20, 23), "已登记，等总部统一处理。").con_msg(self.days(2, 3), CONSUMER_FOLLOWUPS[1])
        c.expire()
        self.failures[ktv] = 3

        def suspend():
            business_suspend(actor=self.council["council_wuhan"], business=self.biz[ktv],
                             reason="门店已停业，多名消费者预付卡余额无法退还，14天内三次和解失败，暂停入驻待核查。")

        self.at(self.now - dt.timedelta(days=23, hours=5), "business 54 suspended", suspend)

        def publish_ktv():  # the council publishes the candidate; the KTV appeals later
            entry = BlacklistEntry.objects.get(business=self.biz[ktv], status="candidate")
            lists.blacklist_publish(actor=self.council["council_wuhan"], entry=entry,
                                    reason="预付卡门店停业，三起投诉和解失败，多名会员余额无法退还。整改前公示。")

        def appeal_ktv():
            entry = BlacklistEntry.objects.get(business=self.biz[ktv], status="published")
            lists.blacklist_appeal(
                actor=self.staff[ktv], entry=entry,
                text="我店已与新址合作门店签订协议，会员可凭卡全额退还余额，三位投诉的消费者均已联系退款。"
                     "附退款凭证，申请移出黑榜。",
                files=[("退款凭证.pdf", evidence_pdf(["退款凭证", "会员卡余额退还三笔", "已全部到账"], 54))])

        self.at(self.now - dt.timedelta(days=22, hours=3), "KTV published on the black list", publish_ktv)
        self.at(self.now - dt.timedelta(days=2, hours=6), "the KTV appeals", appeal_ktv)
        c = self.case("KTV suspended: queued", "pending_review", business=ktv, filed=self.ago(2, 6),
                      problem="prepaid_card")
        c.file()

        # ---- the net café that never answers: black-list candidate
        c = self.case("never taken up", "failed", business=SILENT_NETCAFE, filed=self.ago(30, 38))
        c.file().evidence(self.hours(0.1, 0.5)).expire().maybe_rate(self.days(0.5, 2), 1, p=1)
        c = self.case("never taken up, council mediates", "mediating", business=SILENT_NETCAFE,
                      filed=self.ago(16, 22))
        c.file().con_msg(self.days(2, 4), "已经好几天了，商家一直没有回复。").expire()
        c.mediate(self.days(0.5, 1.5), by="council", reason="经营者送达后14天未受理，消委主动介入调解。")

        # ---- mediation after a failure: in progress, succeeded, failed
        for _ in range(2):
            c = self.case("refused, mediating", "mediating", business=self.pick_business(failing=True),
                          filed=self.ago(6, 28))
            c.file().respond(self.hours(1, 10)).refuse(self.days(0.5, 2)).mediate(
                self.days(0.5, 3), reason="商家拒绝和解，申请消委调解。").council_msg(self.hours(2, 24), optional=True)
        c = self.case("14 days, mediating", "mediating", business=self.pick_business(failing=True),
                      filed=self.ago(20, 40))
        c.file().respond(self.hours(3, 20)).offer(self.days(1, 2), share=0.3).reject(self.hours(3, 30), counter=True)
        c.expire().mediate(self.days(1, 5), reason="14天内没有谈拢，申请消委调解。")
        for i in range(4):
            c = self.case("mediated", "mediated", business=self.pick_business(failing=True),
                          filed=self.ago(14 if i < 2 else 27, 58))
            c.file().respond(self.hours(1, 10))
            if i < 2:
                c.refuse(self.days(0.5, 2))
            else:
                c.offer(self.days(0.5, 1), share=0.3).reject(self.hours(3, 20), counter=True).expire()
            c.mediate(self.days(0.3, 3), reason="申请消委组织三方调解。").council_msg(self.hours(2, 20))
            c.biz_msg(self.hours(3, 30), "我们愿意配合调解，可以再让一步。")
            c.mediation_end(self.days(2, 6), "settled")
            c.fulfil(self.days(1, 3), optional=True).confirm(self.days(0.5, 2), optional=True)
            c.maybe_rate(self.days(0.1, 1), rng.choice([3, 4, 4, 5]), p=0.7)
        for _ in range(2):
            c = self.case("mediation failed", "mediation_failed", business=self.pick_business(failing=True),
                          filed=self.ago(13, 58))
            c.file().respond(self.hours(1, 10)).refuse(self.days(0.5, 2))
            c.mediate(self.days(0.3, 3), reason="商家拒绝和解，申请消委调解。").council_msg(self.hours(2, 20))
            c.mediation_end(self.days(2, 6), "failed").maybe_rate(self.days(0.1, 1), rng.choice([1, 2]), p=0.5)

        # ---- withdrawn
        c = self.case("queued, withdrawn", "withdrawn", outsider=9, filed=self.ago(4, 30))
        c.file().withdraw(self.days(0.5, 2))
        for _ in range(2):
            c = self.case("delivered, withdrawn", "withdrawn", business=self.pick_business(), filed=self.ago(1, 50))
            c.file().withdraw(self.hours(1, 20))
        for _ in range(2):
            c = self.case("negotiating, withdrawn", "withdrawn", business=self.pick_business(), filed=self.ago(3, 50))
            c.file().respond(self.hours(1, 10)).con_msg(self.hours(1, 10), rng.choice(CONSUMER_FOLLOWUPS))
            c.withdraw(self.days(0.5, 2))

        # ---- consumer unresponsive: an offer waits 7 days
        for _ in range(4):
            c = self.case("unresponsive", "unresponsive", business=self.pick_business(), filed=self.ago(10, 50))
            c.file().respond(self.hours(1, 10)).offer(self.hours(3, 36), share=rng.choice([0.7, 1.0]))
            c.until(c.t + 7 * D + H)

        # ---- negotiating now
        for _ in range(5):  # talking, no offer yet
            c = self.case("negotiating: messages", "negotiating", business=self.pick_business(),
                          filed=self.ago(1.2, 5))
            c.file().respond(self.hours(0.5, 18)).con_msg(self.hours(0.5, 6), rng.choice(CONSUMER_FOLLOWUPS))
            c.biz_msg(self.hours(1, 8), rng.choice(BIZ_FOLLOWUPS), optional=True)
        for _ in range(4):  # an offer waits on the consumer
            c = self.case("negotiating: offer pending", "negotiating", business=self.pick_business(),
                          filed=self.ago(1.5, 5.5))
            c.file().respond(self.hours(0.5, 10)).offer(self.hours(2, 20), share=rng.choice([0.5, 0.8]))
        for _ in range(4):  # the consumer rejected it with a counter-offer; the business has not answered yet
            c = self.case("negotiating: counter-offer", "negotiating", business=self.pick_business(),
                          filed=self.ago(3, 8))
            c.file().respond(self.hours(1, 12)).offer(self.hours(2, 24), share=0.5)
            c.reject(self.hours(1, 24), counter=True)
        for _ in range(3):  # …and the business has made a new offer
            c = self.case("negotiating: new offer after counter", "negotiating", business=self.pick_business(),
                          filed=self.ago(3.5, 6.5))
            c.file().respond(self.hours(1, 12)).offer(self.hours(2, 20), share=0.4)
            c.reject(self.hours(1, 20), counter=True).offer(self.hours(3, 24), share=0.8)
        for i in range(2):  # slow ones: automatic urge at day 7, a council urge, acknowledged
            c = self.case("negotiating: urged", "negotiating", business=self.pick_business(), filed=self.ago(9, 12.5))
            c.file().respond(self.hours(20, 23)).offer(self.days(1, 2), share=0.3)
            c.reject(self.hours(5, 30), counter=True)
            c.until(c.delivered + 7 * D + self.hours(2, 10)).urge(self.hours(1, 6))
            if i == 0:
                c.ack(self.hours(1, 8))

        # ---- delivered, no reply yet
        for _ in range(7):  # fresh: within the first 24 hours
            c = self.case("delivered: fresh", "delivered", business=self.pick_business(), filed=self.ago(0.04, 0.9))
            c.file()
            if rng.random() < 0.5:
                c.evidence(self.hours(0.05, 0.3), optional=True)
        for i in range(5):  # overdue: past 24 hours, urged automatically; some by the council too
            lo, hi = ((7.2, 9) if i == 4 else (1.5, 3))
            c = self.case("delivered: overdue", "delivered", business=self.pick_business(), filed=self.ago(lo, hi))
            c.file()
            if i in (1, 2, 4):
                c.until(c.delivered + self.hours(26, 28)).urge(self.hours(0, 1))
            if i in (2, 4):
                c.ack(self.hours(0.5, 3))

        # ---- a surge: a food-poisoning night at a quiet grill house, six complaints within a day
        for _ in range(6):
            c = self.case("surge: food safety", "delivered", business=SURGE_GRILL, filed=self.ago(0.05, 0.9),
                          problem="safety")
            c.file()

        # ---- the council's queue: not on the platform, applying, suspended
        for i, outsider in enumerate((0, 1, 8)):
            self.case("queued: not on the platform", "pending_review", outsider=outsider,
                      filed=self.ago(0.2, 0.9) if i else self.ago(1, 4)).file()
        self.case("queued: business applying", "pending_review", business=13, filed=self.ago(0.5, 2)).file()
        self.case("queued: business applying", "pending_review", business=35, filed=self.ago(0.3, 2)).file()
        for outsider in (5, 6, 10, 11):
            c = self.case("rejected", "rejected", outsider=outsider, filed=self.ago(3, 50))
            c.file().reject_review(self.days(0.3, 2))
        for outsider, ext in ((3, 0), (2, 1), (4, 2)):
            c = self.case("forwarded elsewhere", "rejected", outsider=outsider, filed=self.ago(3, 50))
            c.file().forward_external(self.days(0.3, 2), *EXTERNAL[ext])
        # forwarded to a business on the platform under another name
        c = self.case("forwarded to the business, settled", "settled", outsider=7, filed=self.ago(20, 40))
        c.file().forward(self.hours(5, 30), 1, "消费者所称“老通城豆皮（大智路）”即平台商户汉口老通城豆皮馆，转交处理。")
        c.settle(4).aftercare(4)
        # filed while the farm was applying; approved; forwarded
        c = self.case("forwarded after approval", "negotiating", business=LATE_FARM, filed=self.ago(6, 6.8))
        c.file().approve_business(self.days(1.5, 2))
        c.forward(self.hours(1, 5), LATE_FARM, "商户已通过入驻审核，转交处理。")
        c.respond(self.hours(1, 8)).offer(self.hours(2, 12), share=0.7)

    # --------------------------------------------------------------- run

    def load(self) -> None:
        self._users()
        self._plan_businesses()
        self._plan_stories()
        self._unclaimed_merchant()
        self._run()
        self._partners_and_standards()

    def _unclaimed_merchant(self) -> None:
        """A merchant the platform brought that has no account yet: a consumer's complaint waits for
        it in the council's queue (its clock not started) and the claim invitation went by SMS to its
        registered mobile (in the log); ``hejie demo`` prints the claim link."""
        spec = UNCLAIMED

        def arrive() -> None:
            business = biz_services.business_apply(
                applicant=self.admin, name=spec["name"], credit_code=spec["credit_code"], industry="catering",
                region_code=spec["region"], address=spec["address"], contact_name=spec["contact"],
                contact_phone=spec["mobile"], stores=[])
            biz_services.business_approve(actor=self.council["council_wuhan"], business=business)

        def complain() -> None:
            business = Business.objects.get(credit_code=spec["credit_code"])
            complaint_submit(consumer=self.consumers[0], business_id=business.pk, problem_type="quality",
                             description="点的小龙虾不新鲜，吃完肠胃不适，商家电话打不通。", claim_type="refund",
                             claim_amount="168.00", purchase_amount="168.00", order_ref="MT-20261130-8841")

        def name_a_shop() -> None:
            complaint_submit(consumer=self.consumers[1], business_name=NAMED["name"], region_code=NAMED["region"],
                             business_phone=NAMED["mobile"], problem_type="safety",
                             description="夜市买的烤串没烤熟，吃完上吐下泻，摊主不承认。", claim_type="compensation",
                             claim_amount="200.00", purchase_amount="45.00")

        self.at(self.now - dt.timedelta(days=3), "an imported merchant arrives", arrive)
        self.at(self.now - dt.timedelta(hours=30), "a complaint waits for the merchant to claim", complain)
        self.at(self.now - dt.timedelta(hours=20), "a consumer names a shop not on the platform", name_a_shop)

    def _partners_and_standards(self) -> None:
        """The Hubei launch: a delivery platform brought the 55 businesses (and the unclaimed merchant); an
        industry association published the service standards of the four industries."""
        approver = self.council["council_hubei"]
        platform = partner_apply(applicant=None, name=DEMO_PLATFORM, kind="platform", region_code="420000")
        partner_approve(actor=approver, partner=platform, onboard_status="active")
        # The 55 joined through the platform's campaign (their stories above start from their applications).
        Business.objects.filter(credit_code__in=[*self.codes.values(), UNCLAIMED["credit_code"]]).update(
            partner=platform)
        association = partner_apply(applicant=None, name=DEMO_ASSOCIATION, kind="association", region_code="420000",
                                    industries=[industry for industry, _, _ in DEMO_STANDARDS])
        partner_approve(actor=approver, partner=association)
        for industry, title, clauses in DEMO_STANDARDS:
            standard = std.standard_create(actor=self.admin, industry=industry, title=title,
                                           publisher_name=association.name, publisher=association)
            version = std.version_draft(actor=self.admin, standard=standard)
            for number, text in clauses:
                std.clause_set(actor=self.admin, standard=standard, version=version.version, number=number, text=text)
            std.version_publish(actor=self.admin, standard=standard, version=version.version)

    def mismatches(self) -> list[str]:
        out = []
        for case in self.cases:
            case.complaint.refresh_from_db(fields=["state"])
            if case.complaint.state != case.expect:
                out.append(f"{case.complaint.number} ({case.story}): expected {case.expect}, "
                           f"got {case.complaint.state}")
        return out

