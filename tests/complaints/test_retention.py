"""The privacy lifecycle's purge (complaints.retention): closed orders past retention are
pseudonymised, figures and records kept; drafts, codes and throttle rows deleted; idempotent."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hejie.accounts.models import CodeFailure, OneTimeCode, PasswordFailure
from hejie.complaints import drafts, figures, retention, services
from hejie.complaints.evidence import evidence_add, evidence_open_for
from hejie.complaints.models import Complaint, ComplaintDraft, ComplaintEvent, Evidence, Message, Policy, Proposal
from hejie.complaints.states import State
from hejie.complaints.tasks import privacy_purge_task
from hejie.core.errors import NotFound
from tests.complaints.test_evidence import png

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 15, 2, 0, tzinfo=dt.UTC)
PHONE = "13912345678"
ID_CARD = "420102199001011234"


@pytest.fixture(autouse=True)
def media(local_storage):
    return local_storage


def _closed_order(file_complaint, consumer, staff, *, evidence=True):
    """An order filed at T0 with personal data in its free text, settled at T0 + 1 day."""
    order = file_complaint(description=f"面里有异物，请联系我 {PHONE}，身份证 {ID_CARD}。",
                           order_ref="WX20260315001")
    if evidence:
        evidence_add(actor=consumer, complaint=order, name=f"张三-{PHONE}.png", data=png())
    services.message_post(actor=consumer, complaint=order, body=f"我的邮箱 zhangsan@example.com，电话 {PHONE}")
    services.message_post(actor=staff, complaint=order, body="已收到，我们今天处理。")
    proposal = services.proposal_make(actor=staff, complaint=order, terms=f"退款38元到尾号卡，联系 {PHONE}",
                                      amount="38.00")
    services.proposal_accept(actor=consumer, complaint=order, proposal_id=proposal.pk)
    return Complaint.objects.get(pk=order.pk)


def test_a_closed_order_is_pseudonymised_exactly_after_retention_and_its_figures_stay(
        file_complaint, consumer, staff, media):
    with time_machine.travel(T0, tick=False) as t:
        order = _closed_order(file_complaint, consumer, staff)
        assert order.state == State.SETTLED
        closed = order.outcome_at
        stored = Evidence.objects.get(complaint=order).file.name
        assert media.local_names() == [stored]
        kept = Complaint.objects.filter(pk=order.pk).values(
            "business_id", "region_id", "problem_type", "claim_type", "claim_amount", "state", "created_at",
            "outcome_at", "settled_at", "stars", "credit_points").get()
        figures_before = figures.differences()
        assert figures_before == []

        t.move_to(closed + dt.timedelta(days=1095))  # exactly at the limit: not yet
        assert retention.privacy_purge().orders == 0
        assert Complaint.objects.get(pk=order.pk).pseudonymised_at is None

        t.move_to(closed + dt.timedelta(days=1095, seconds=1))
        report = retention.privacy_purge()
        assert (report.orders, report.evidence_files, report.batches) == (1, 1, 1)

    order = Complaint.objects.get(pk=order.pk)
    assert order.pseudonymised_at == closed + dt.timedelta(days=1095, seconds=1)
    assert PHONE not in order.description and ID_CARD not in order.description
    assert "139****5678" in order.description and "420102" in order.description
    assert "异物" in order.description  # what the reader must read stays
    for body in Message.objects.filter(complaint=order).values_list("body", flat=True):
        assert PHONE not in body and "zhangsan@" not in body
    assert PHONE not in Proposal.objects.get(complaint=order).terms
    for payload in ComplaintEvent.objects.filter(complaint=order).values_list("payload", flat=True):
        assert PHONE not in str(payload) and "zhangsan@" not in str(payload)
    ev = Evidence.objects.get(complaint=order)
    assert ev.removed_at == order.pseudonymised_at and not ev.file and PHONE not in ev.original_name
    assert ev.size > 0 and ev.sha256  # the stub says what there was
    assert media.local_names() == []  # the file is gone from storage
    with pytest.raises(NotFound) as refused:
        evidence_open_for(consumer, order.pk, ev.pk)
    assert refused.value.code == "evidence_removed"
    # what the figures, ratings and lists read is untouched
    assert Complaint.objects.filter(pk=order.pk).values(*kept).get() == kept
    assert figures.differences() == []
    # the timeline's hash chain still verifies: the purge rewrote payloads, never a digest or a hash
    from hejie.complaints.chain import verify_events

    assert list(verify_events()) == []
    Complaint.objects.filter(pk=order.pk).update(pseudonymised_at=None)  # as if never purged: the digests
    assert len(list(verify_events())) >= 1  # ... then catch the masked payloads


def test_the_purge_is_idempotent_and_resumes_in_batches(file_complaint, consumer, staff, make_user):
    with time_machine.travel(T0, tick=False) as t:
        orders = []
        for _ in range(5):
            who = make_user("consumer")
            order = file_complaint(who=who, description=f"联系 {PHONE} 退款，面里有异物。")
            services.complaint_withdraw(actor=who, complaint=order)
            orders.append(order.pk)
        open_order = file_complaint(description=f"还在处理中 {PHONE}，面里有异物。")
        t.shift(dt.timedelta(days=1096))
        first = retention.orders_purge(batch=2)
        assert (first.orders, first.batches) == (5, 3)
        assert first.longest_batch < 1
        again = retention.privacy_purge()
        assert again.orders == 0 and again.texts == 0 and again.events == 0
    assert Complaint.objects.filter(pk__in=orders, pseudonymised_at__isnull=False).count() == 5
    still = Complaint.objects.get(pk=open_order.pk)
    assert still.pseudonymised_at is None and PHONE in still.description  # an open order is never touched


def test_a_purge_stopped_midway_is_finished_by_the_next(file_complaint, consumer, make_user, monkeypatch):
    with time_machine.travel(T0, tick=False) as t:
        ids = []
        for _ in range(3):
            who = make_user("consumer")
            order = file_complaint(who=who, description=f"联系 {PHONE} 退款，面里有异物。")
            services.complaint_withdraw(actor=who, complaint=order)
            ids.append(order.pk)
        t.shift(dt.timedelta(days=1096))
        real = retention.pseudonymise_orders
        calls = []

        def dies_on_second(order_ids, **kwargs):
            calls.append(order_ids)
            if len(calls) == 2:
                raise RuntimeError("worker lost")
            return real(order_ids, **kwargs)

        monkeypatch.setattr(retention, "pseudonymise_orders", dies_on_second)
        with pytest.raises(RuntimeError):
            retention.orders_purge(batch=1)
        assert Complaint.objects.filter(pseudonymised_at__isnull=False).count() == 1  # the first batch committed
        monkeypatch.setattr(retention, "pseudonymise_orders", real)
        assert retention.orders_purge(batch=1).orders == 2
    assert not Complaint.objects.filter(pk__in=ids, pseudonymised_at__isnull=True).exists()


def test_a_batch_is_a_fixed_number_of_queries(file_complaint, make_user):
    """Whatever the batch holds, the same statements: no query per order."""
    def run(n):
        with time_machine.travel(T0, tick=False) as t:
            for _ in range(n):
                who = make_user("consumer")
                order = file_complaint(who=who, description=f"联系 {PHONE} 退款，面里有异物。")
                services.complaint_withdraw(actor=who, complaint=order, reason=f"电话 {PHONE}")
            t.shift(dt.timedelta(days=1096))
            with CaptureQueriesContext(connection) as queries:
                assert retention.orders_purge(batch=50).orders == n
        return len(queries)

    assert run(2) == run(6)


def test_the_policy_sets_the_periods_and_drafts_codes_and_throttle_rows_go(consumer, make_user):
    Policy.objects.filter(pk=1).update(draft_keep_days=10, code_keep_days=2)
    with time_machine.travel(T0, tick=False) as t:
        drafts.draft_update(consumer=consumer, step="claim", values={"claim_type": "apology"})
        OneTimeCode.objects.create(phone=PHONE, code_hash="x", expires_at=T0)
        CodeFailure.objects.create(phone=PHONE, purpose="signin")
        PasswordFailure.objects.create(username="someone")
        t.shift(dt.timedelta(days=2))
        fresh = OneTimeCode.objects.create(phone=PHONE, code_hash="y", expires_at=T0)
        dry = retention.privacy_purge(dry_run=True)
        assert (dry.drafts, dry.codes["codes"]) == (0, 0)
        t.shift(dt.timedelta(seconds=1))
        dry = retention.privacy_purge(dry_run=True)
        assert dry.codes == {"codes": 1, "code_failures": 1, "password_failures": 1} and dry.drafts == 0
        assert OneTimeCode.objects.count() == 2  # a dry run changes nothing
        report = retention.privacy_purge()
        assert report.codes == {"codes": 1, "code_failures": 1, "password_failures": 1}
        assert list(OneTimeCode.objects.values_list("pk", flat=True)) == [fresh.pk]
        assert not CodeFailure.objects.exists() and not PasswordFailure.objects.exists()
        assert ComplaintDraft.objects.filter(consumer=consumer).exists()
        t.shift(dt.timedelta(days=8))
        assert retention.privacy_purge().drafts == 1
    assert not ComplaintDraft.objects.exists()


def test_throttle_rows_that_still_count_are_kept_whatever_the_policy(settings):
    Policy.objects.filter(pk=1).update(code_keep_days=1)
    settings.HEJIE_SIGNIN_THROTTLE = {**settings.HEJIE_SIGNIN_THROTTLE, "cooloff_max": 3 * 86400}
    with time_machine.travel(T0, tick=False) as t:
        CodeFailure.objects.create(phone=PHONE, purpose="signin")
        t.shift(dt.timedelta(days=2))  # past code_keep_days, inside the throttle's horizon (6 days)
        assert retention.privacy_purge().codes["code_failures"] == 0
    assert CodeFailure.objects.count() == 1


def test_the_command_dry_run_changes_nothing_and_the_task_reports(file_complaint, consumer, staff):
    with time_machine.travel(T0, tick=False) as t:
        order = _closed_order(file_complaint, consumer, staff, evidence=False)
        t.shift(dt.timedelta(days=1100))
        out = io.StringIO()
        call_command("privacy_purge", "--dry-run", stdout=out)
        assert "orders pseudonymised: 1 (would)" in out.getvalue()
        assert Complaint.objects.get(pk=order.pk).pseudonymised_at is None
        result = privacy_purge_task()
        assert result["orders"] == 1
        assert privacy_purge_task()["orders"] == 0  # safe twice
        out = io.StringIO()
        call_command("privacy_purge", stdout=out)
        assert "orders pseudonymised: 0 (did)" in out.getvalue()


def test_retention_shorter_than_the_mediation_window_is_refused():
    from django.core.exceptions import ValidationError

    policy = Policy.objects.get(pk=1)
    policy.retention_days = policy.mediation_request_days
    with pytest.raises(ValidationError) as refused:
        policy.clean()
    assert "retention_days" in refused.value.message_dict
