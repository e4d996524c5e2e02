"""The daily digest: once per person and local day, from HEJIE_DIGEST_HOUR (Asia/Shanghai), to
each staff member with something to report; exactly once even with two sweeps at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import translation

from hejie.complaints import services as svc
from hejie.core import clock
from hejie.core.i18n import pick
from hejie.notifications.backends import MemoryBackend
from hejie.notifications.models import Delivery, DigestRun, Notification
from hejie.notifications.services import channel_settings_save
from hejie.ops.sweep import sweep
from hejie.oversight.digest import digest_for, digests_send_due
from tests.concurrency import race
from tests.conftest import T0


def local(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """A moment of March 2026, Asia/Shanghai."""
    return dt.datetime(2026, 3, day, hour, minute, second, tzinfo=clock.SHANGHAI)


@pytest.fixture
def outbox(outbox, settings):
    settings.HEJIE_DIGEST_HOUR = 8
    return outbox


def file(consumer, business, **extra):
    return svc.complaint_submit(consumer=consumer, business_id=business.pk, problem_type="quality",
                                description="买的热干面里有异物，要求退款。", claim_type="refund",
                                claim_amount="38.00", purchase_amount="38.00", **extra)


def digests(user):
    return list(Notification.objects.filter(user=user, event="digest").order_by("created_at", "id"))


def counts(user, now, since=None):
    digest = digest_for(user, now=now, since=since or now - dt.timedelta(days=1))
    return {line.key: line.count for line in digest.lines}


def half(text, lang):
    with translation.override(lang):
        return pick(text)


# --- when -----------------------------------------------------------------------------------


def test_nothing_before_the_hour_the_digest_at_the_hour_once_a_day(
        traveller, django_capture_on_commit_callbacks, outbox, make_user, business):
    staff = make_user("business", business=business, email="boss@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        file(make_user(), business)
    outbox.clear()

    traveller.move_to(local(16, 7, 59, 59))
    with django_capture_on_commit_callbacks(execute=True):
        report = sweep()
    assert report.digests_sent == 0 and digests(staff) == [] and not DigestRun.objects.exists()

    traveller.move_to(local(16, 8))
    with django_capture_on_commit_callbacks(execute=True):
        report = sweep()
    assert report.digests_sent == 1 and "digests sent 1" in str(report)
    [notice] = digests(staff)
    assert notice.created_at == local(16, 8) and half(notice.title, "zh-hans") == "每日摘要 2026-03-16"
    [mail] = [m for m in outbox if m.kind == "digest"]
    assert mail.channel == "email" and mail.to == "boss@example.com" and mail.title == "每日摘要 2026-03-16"

    for moment in (local(16, 8, 1), local(16, 23, 59, 59)):  # later the same day: nothing again
        traveller.move_to(moment)
        with django_capture_on_commit_callbacks(execute=True):
            assert sweep().digests_sent == 0
    assert len(digests(staff)) == 1 and len([m for m in outbox if m.kind == "digest"]) == 1

    traveller.move_to(local(17, 7, 59, 59))
    assert sweep().digests_sent == 0
    traveller.move_to(local(17, 8))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep().digests_sent == 1  # the next day, again (the order is still waiting)
    assert [half(n.title, "zh-hans") for n in digests(staff)] == ["每日摘要 2026-03-16", "每日摘要 2026-03-17"]
    assert list(DigestRun.objects.filter(user=staff).values_list("day", flat=True).order_by("day")) == [
        dt.date(2026, 3, 16), dt.date(2026, 3, 17)]


def test_a_pass_costs_nothing_before_the_hour_and_one_query_once_everyone_is_examined(
        traveller, outbox, make_user, business):
    from django.test.utils import CaptureQueriesContext

    make_user("business", business=business)
    file(make_user(), business)
    traveller.move_to(local(16, 7, 59, 59))
    with CaptureQueriesContext(connection) as before:
        assert digests_send_due() == 0
    traveller.move_to(local(16, 8))
    assert digests_send_due() == 1
    with CaptureQueriesContext(connection) as after:
        assert digests_send_due() == 0
    assert len(before.captured_queries) == 0 and len(after.captured_queries) == 1


def test_the_hour_is_a_setting_and_off_sends_none(traveller, outbox, settings, make_user, business):
    staff = make_user("business", business=business)
    file(make_user(), business)
    settings.HEJIE_DIGEST_HOUR = 11
    traveller.move_to(local(16, 10, 59, 59))
    assert digests_send_due() == 0
    settings.HEJIE_DIGEST_HOUR = None
    traveller.move_to(local(16, 12))
    assert digests_send_due() == 0
    settings.HEJIE_DIGEST_HOUR = 11
    assert digests_send_due() == 1 and len(digests(staff)) == 1


# --- what: business staff -------------------------------------------------------------------


def test_business_counts_new_waiting_overdue_at_the_exact_deadline_urged_and_answered(
        traveller, outbox, make_user, make_business, business, council):
    staff = make_user("business", business=business)
    traveller.move_to(local(15, 8))
    assert digests_send_due() == 0  # nothing yet: examined, no notice; "new" is counted from here
    assert DigestRun.objects.get(user=staff).notification is None

    traveller.move_to(local(15, 9, 59, 59))
    over = file(make_user(), business)  # first answer due 16th 09:59:59
    traveller.move_to(local(15, 10))
    edge = file(make_user(), business)  # first answer due 16th 10:00:00
    traveller.move_to(local(15, 11))
    answered = file(make_user(), business)
    traveller.move_to(local(15, 11, 30))
    offer = svc.proposal_make(actor=staff, complaint=answered, terms="退款 38 元", amount="38")
    traveller.move_to(local(15, 12))
    new = file(make_user(), business)
    traveller.move_to(local(15, 12, 30))
    svc.proposal_make(actor=staff, complaint=new, terms="退款 20 元", amount="20")  # pending: not ours to move
    traveller.move_to(local(15, 13))
    svc.proposal_reject(actor=answered.consumer, complaint=answered, proposal_id=offer.pk, reason="太少")
    traveller.move_to(local(15, 14))
    svc.complaint_urge(actor=council, complaint=new, note="请尽快处理")
    file(make_user(), make_business())  # another business's order: never in this digest

    # the 16th at 10:00:00 exactly: one order's first-answer deadline has just passed, the other's is now
    traveller.move_to(local(16, 10))
    assert digests_send_due() == 2  # the business's staff, and Wuhan's council (orders to urge)
    [notice] = digests(staff)
    body = half(notice.body, "zh-hans")
    lines = body.splitlines()
    assert lines[0] == "今天需要你关注的："

    def section(label):
        i = next(i for i, line in enumerate(lines) if line.startswith(label + "："))
        return lines[i], lines[i + 1].strip().split(", "), lines[i + 2].strip()

    head, numbers, link = section("新投诉")
    assert head == "新投诉：4 件" and numbers == [new.number, answered.number, edge.number, over.number]
    assert link.endswith("/complaints/?view=open")
    head, numbers, link = section("等待你方处理")
    assert head == "等待你方处理：3 件" and numbers == [answered.number, edge.number, over.number]
    assert link.endswith("/complaints/?view=waiting")
    head, numbers, link = section("已超期")
    assert head == "已超期：1 件" and numbers == [over.number] and link.endswith("/complaints/?view=overdue")
    head, numbers, link = section("被催办未确认")
    assert head == "被催办未确认：1 件" and numbers == [new.number] and link.endswith("/complaints/?view=urged")
    head, numbers, link = section("消费者已答复的方案")
    assert head == "消费者已答复的方案：1 件" and numbers == [answered.number]
    english = half(notice.body, "en")
    assert "Overdue: 1" in english and "New complaints: 4" in english and "Urged, not acknowledged: 1" in english

    # a microsecond later the other order is overdue too; the next day nothing is new any more
    assert counts(staff, local(16, 10) + dt.timedelta(microseconds=1), since=local(16, 10))["overdue"] == 2
    assert counts(staff, local(16, 10), since=local(16, 10))["new"] == 0


def test_at_most_five_order_numbers_a_line(traveller, outbox, make_user, business):
    staff = make_user("business", business=business)
    orders = [file(make_user(), business) for _ in range(6)]
    traveller.move_to(local(16, 8))
    assert digests_send_due() == 1
    body = half(digests(staff)[0].body, "zh-hans").splitlines()
    i = body.index("新投诉：6 件")
    newest = [o.number for o in reversed(orders)][:5]
    assert body[i + 1] == "  " + ", ".join(newest) + ", …"


# --- what: council and partner staff --------------------------------------------------------


def test_a_council_member_is_told_only_of_their_jurisdiction(
        traveller, outbox, make_user, make_business, business, council, partner):
    yichang = make_business("宜昌烧烤", region="420502")
    imported = make_business("宜昌小龙虾", region="420502", partner=partner, contact_phone="13912345678")
    yichang_council = make_user("council", region="420500")
    make_user("business", business=business)
    make_user("business", business=yichang)
    file(make_user(), business)  # Wuhan: to urge by tomorrow
    file(make_user(), yichang)  # Yichang: to urge by tomorrow
    waiting = file(make_user(), imported)  # Yichang: waits for its business to claim it (review)
    assert waiting.state == "pending_review"

    now = local(16, 10, 0, 1)  # both first answers overdue
    traveller.move_to(now)
    assert counts(council, now) == {"review": 0, "urge": 1, "mediation": 0, "failed": 0}
    assert counts(yichang_council, now) == {"review": 1, "urge": 1, "mediation": 0, "failed": 0}

    assert digests_send_due() == 4  # the two councils and the two businesses' staff
    wuhan = half(digests(council)[0].body, "zh-hans").splitlines()
    assert len(wuhan) == 3 and wuhan[1] == "超期待催办：1 件" and wuhan[2].endswith("/council/orders/?queue=urge")
    other = half(digests(yichang_council)[0].body, "zh-hans").splitlines()
    assert other[1] == "待审核：1 件" and other[2].endswith("/council/orders/?queue=review")
    assert other[3] == "超期待催办：1 件" and other[4].endswith("/council/orders/?queue=urge")


def test_a_partner_is_told_of_its_merchants_waiting_for_a_claim_and_overdue(
        traveller, outbox, make_user, make_business, partner):
    from hejie.partners.models import Partner

    contact = make_user("partner", partner=partner)
    unclaimed = make_business("江城小龙虾", partner=partner, contact_phone="13912345678")
    claimed = make_business("江城烧烤", partner=partner)
    make_user("business", business=claimed)
    elsewhere = make_business("别家商户", partner=Partner.objects.create(
        name="另一平台", kind="platform", region_id="420000", status="active", onboard_status="active"))
    make_business("别家小店", partner=elsewhere.partner, contact_phone="13912345679")
    file(make_user(), unclaimed)
    file(make_user(), unclaimed)
    file(make_user(), claimed)
    file(make_user(), elsewhere)

    traveller.move_to(local(16, 9, 59, 59))  # the claimed merchant's first answer is not yet overdue
    assert counts(contact, clock.now()) == {"waiting_claim": 1, "overdue": 0}
    traveller.move_to(local(16, 10, 0, 1))
    digest = digest_for(contact, now=clock.now(), since=T0)
    assert [(line.key, line.count, line.orders) for line in digest.lines] == [
        ("waiting_claim", 1, 2), ("overdue", 1, 1)]
    assert digests_send_due() == 2  # the partner's contact and the claimed merchant's staff
    body = half(digests(contact)[0].body, "zh-hans").splitlines()
    assert body[1] == "有投诉等待认领的商户：1 家，投诉 2 件" and body[2].endswith("/partners/businesses/?waiting=1")
    assert body[3] == "有超期投诉的商户：1 家，投诉 1 件" and body[4].endswith("/partners/businesses/")


# --- to whom, and how -----------------------------------------------------------------------


def test_nobody_with_nothing_to_report_gets_a_digest(traveller, outbox, make_user, business, council, partner):
    staff = make_user("business", business=business)
    quiet = [staff, council, make_user("partner", partner=partner)]
    make_user("consumer")
    make_user("operator")
    make_user("business", business=business, is_active=False)
    traveller.move_to(local(16, 8))
    assert digests_send_due() == 0
    assert not Notification.objects.filter(event="digest").exists() and not outbox
    runs = list(DigestRun.objects.all())
    assert sorted(r.user_id for r in runs) == sorted(u.pk for u in quiet)  # examined once today, no notice
    assert all(r.notification_id is None and r.day == dt.date(2026, 3, 16) for r in runs)

    traveller.move_to(local(16, 9))
    order = file(make_user(), business)  # news later the same day wait for tomorrow's digest
    assert digests_send_due() == 0
    traveller.move_to(local(17, 8))
    assert digests_send_due() == 1  # the business's staff; the council has nothing to urge yet
    assert [n.user_id for n in Notification.objects.filter(event="digest")] == [staff.pk]
    assert order.number in digests(staff)[0].body


def test_the_digest_goes_by_the_channels_each_person_chose_in_their_language(
        traveller, django_capture_on_commit_callbacks, outbox, make_user, business):
    default = make_user("business", business=business, email="default@example.com")
    off = make_user("business", business=business, email="off@example.com")
    english = make_user("business", business=business, email="english@example.com")
    channel_settings_save(user=off, choices={"digest": []}, quiet_hours=False)
    channel_settings_save(user=english, choices={"digest": ["email"]}, quiet_hours=False, language="en")
    order = file(make_user(), business)
    outbox.clear()

    traveller.move_to(local(16, 8))
    with django_capture_on_commit_callbacks(execute=True):
        assert digests_send_due() == 3
    # turned off: the in-app notice only (kept for everyone), no message
    assert len(digests(off)) == 1 and not Delivery.objects.filter(user=off).exists()
    mails = {m.to: m for m in outbox if m.kind == "digest"}
    assert set(mails) == {"default@example.com", "english@example.com"}
    assert {m.channel for m in mails.values()} == {"email"}
    zh, en = mails["default@example.com"], mails["english@example.com"]
    assert zh.title == "每日摘要 2026-03-16" and "新投诉：1 件" in zh.body and order.number in zh.body
    assert "Daily digest" not in zh.body + zh.title
    assert en.title == "Daily digest 2026-03-16" and "New complaints: 1" in en.body and order.number in en.body
    assert "新投诉" not in en.body and en.data["lang"] == "en"
    assert zh.url == "/complaints/" and "/complaints/?view=waiting" in zh.body
    # the notice keeps both languages; the notices page shows the reader's half
    notice = digests(default)[0]
    assert half(notice.title, "zh-hans") == "每日摘要 2026-03-16"
    assert half(notice.title, "en") == "Daily digest 2026-03-16"


def test_the_notices_page_shows_the_digest_in_the_readers_language(
        traveller, client, outbox, make_user, business):
    staff = make_user("business", business=business)
    file(make_user(), business)
    traveller.move_to(local(16, 8))
    assert digests_send_due() == 1
    client.force_login(staff)
    page = client.get("/notices/").content.decode()
    assert "每日摘要 2026-03-16" in page and "新投诉：1 件" in page and "Daily digest" not in page
    page = client.get("/notices/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Daily digest 2026-03-16" in page and "New complaints: 1" in page and "新投诉：1 件" not in page


# --- exactly once, even with two passes at once ----------------------------------------------


@pytest.mark.pg_only
def test_two_passes_at_once_send_one_digest(reference_data, make_user, make_business, settings, monkeypatch):
    """Two real connections on PostgreSQL run the day's pass at the same moment: both find the
    person not yet examined and both make the digest; the unique claim lets one write it."""
    if connection.vendor != "postgresql":
        pytest.skip("two connections at once need PostgreSQL")
    import threading

    import time_machine

    from hejie.oversight import digest as module

    settings.HEJIE_DIGEST_HOUR = 8
    settings.HEJIE_NOTIFICATION_BACKENDS = {c: "hejie.notifications.backends.MemoryBackend"
                                            for c in ("sms", "wechat", "email")}
    business = make_business()
    staff = make_user("business", business=business, email="boss@example.com")
    with time_machine.travel(T0, tick=False) as t:
        file(make_user(), business)
        t.move_to(local(16, 8))
        both_made_it = threading.Barrier(2)
        made = module.digest_for

        def digest_for_then_wait(*args, **kwargs):
            out = made(*args, **kwargs)
            both_made_it.wait(10)  # both passes hold a digest before either claims it
            return out

        monkeypatch.setattr(module, "digest_for", digest_for_then_wait)
        MemoryBackend.outbox.clear()
        results = race(digests_send_due, digests_send_due)
    assert sorted(results) == [0, 1], results
    assert DigestRun.objects.filter(user=staff).count() == 1
    assert Notification.objects.filter(user=staff, event="digest").count() == 1
    assert Delivery.objects.filter(user=staff, event="digest").count() == 1
    assert len([m for m in MemoryBackend.outbox if m.kind == "digest"]) == 1
    MemoryBackend.outbox.clear()
