"""The black list's appeals (a text and files, decided by the council) and its
end by rule after 180 days without a failed case, at the exact boundary."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from hejie.core import clock
from hejie.core.errors import Conflict, NotAllowed, NotFound, UnsupportedMedia
from hejie.notifications.models import Notification
from hejie.ops.sweep import sweep
from hejie.ratings import lists
from hejie.ratings.models import AppealFile, BlacklistAppeal, BlacklistEntry, ListDecision
from tests.api.test_lists import fail_three, file

D = dt.timedelta(days=1)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def published(traveller, make_user, business, staff, council):
    fail_three(make_user, business, staff)
    entry = BlacklistEntry.objects.get(business=business)
    lists.blacklist_publish(actor=council, entry=entry, reason="三次拒绝和解，整改前公示")
    entry.refresh_from_db()
    return entry


# --------------------------------------------------------------------------- appeals


def test_the_business_appeals_with_files_and_the_council_upholds_it(published, staff, council, stored_files):
    appeal = lists.blacklist_appeal(actor=staff, entry=published, text="三件均已补偿消费者，附凭证。",
                                    files=[("收据.png", png())])
    assert appeal.status == "pending"
    [attached] = appeal.files.all()
    assert attached.original_name == "收据.png" and attached.content_type == "image/png"
    assert stored_files.names() == [attached.file.name]  # on local disk, or in the bucket
    assert stored_files.read(attached.file.name)[:8] == b"\x89PNG\r\n\x1a\n"
    for who in (staff, council):
        assert lists.appeal_file_open_for(who, appeal.pk, attached.pk) == attached
    assert Notification.objects.filter(user=council, event="blacklist_appealed").exists()

    decided = lists.blacklist_appeal_decide(actor=council, appeal=appeal, upheld=True, reason="已整改并补偿")
    published.refresh_from_db()
    assert decided.status == "upheld" and decided.decided_by == council and decided.decision_reason == "已整改并补偿"
    assert published.status == "removed"
    last = ListDecision.objects.filter(blacklist_entry=published).last()
    assert last.action == "remove" and last.actor == council and "申诉成立" in last.reason
    assert Notification.objects.filter(user=staff, event="blacklist_appeal_decided").exists()


def test_a_rejected_appeal_leaves_the_entry_and_a_new_appeal_may_follow(published, staff, council):
    appeal = lists.blacklist_appeal(actor=staff, entry=published, text="我们认为不应列入。")
    with pytest.raises(Conflict):  # one waits at a time
        lists.blacklist_appeal(actor=staff, entry=published, text="再次申诉。")
    lists.blacklist_appeal_decide(actor=council, appeal=appeal, upheld=False, reason="未见整改证据")
    published.refresh_from_db()
    assert published.status == "published"
    with pytest.raises(Conflict):  # decided once
        lists.blacklist_appeal_decide(actor=council, appeal=appeal, upheld=True, reason="改判")
    assert lists.blacklist_appeal(actor=staff, entry=published, text="补充整改证据。").status == "pending"


def test_only_the_listed_business_appeals(published, make_user, make_business):
    other = make_user("business", business=make_business("别家店"))
    with pytest.raises(NotAllowed):
        lists.blacklist_appeal(actor=other, entry=published, text="我替他们申诉。")
    with pytest.raises(NotAllowed):
        lists.blacklist_appeal(actor=make_user("consumer"), entry=published, text="我替他们申诉。")
    assert not BlacklistAppeal.objects.exists()


def test_a_candidate_cannot_be_appealed_and_outsiders_do_not_learn_of_it(traveller, make_user, business, staff,
                                                                         make_business):
    fail_three(make_user, business, staff)
    entry = BlacklistEntry.objects.get(business=business)
    with pytest.raises(Conflict):
        lists.blacklist_appeal(actor=staff, entry=entry, text="还没公布就申诉。")
    with pytest.raises(NotFound):
        lists.blacklist_appeal(actor=make_user("business", business=make_business("别家店")), entry=entry,
                               text="别家的候选记录。")


def test_a_bad_file_refuses_the_whole_appeal_and_writes_nothing(published, staff, stored_files):
    with pytest.raises(UnsupportedMedia) as caught:
        lists.blacklist_appeal(actor=staff, entry=published, text="附件有问题。",
                               files=[("好的.png", png()), ("坏的.jpg", b"not an image at all")])
    assert "坏的.jpg" in caught.value.message
    assert not BlacklistAppeal.objects.exists() and not AppealFile.objects.exists()
    assert stored_files.names() == [] and stored_files.local_names() == []


def test_council_outside_the_jurisdiction_cannot_decide(published, staff, make_user):
    appeal = lists.blacklist_appeal(actor=staff, entry=published, text="请求移出。")
    yichang = make_user("council", region="420500")
    with pytest.raises(NotFound):
        lists.blacklist_appeal_decide(actor=yichang, appeal=appeal, upheld=True, reason="越权")
    with pytest.raises(NotFound):
        lists.blacklist_appeal_decide(actor=staff, appeal=appeal, upheld=True, reason="自己批准")
    appeal.refresh_from_db()
    assert appeal.status == "pending"


# --------------------------------------------------------------------------- 180 days clean


def test_an_entry_ends_by_rule_after_exactly_180_days_without_a_failed_case(published, traveller, staff):
    last_failure = max(published.cases.values_list("scored_at", flat=True))
    assert last_failure <= published.published_at
    traveller.move_to(published.published_at + lists.BLACKLIST_CLEAN_DAYS * D - dt.timedelta(seconds=1))
    assert sweep().blacklist_removed == 0
    published.refresh_from_db()
    assert published.status == "published"

    traveller.move_to(published.published_at + lists.BLACKLIST_CLEAN_DAYS * D)
    report = sweep()
    assert report.blacklist_removed == 1
    published.refresh_from_db()
    assert published.status == "removed" and published.decided_by is None
    decision = ListDecision.objects.filter(blacklist_entry=published).last()
    assert decision.action == "remove" and decision.actor is None and "180" in decision.reason
    assert Notification.objects.filter(user=staff, event="blacklist_removed").exists()
    assert sweep().blacklist_removed == 0  # idempotent


def test_a_failed_case_while_listed_restarts_the_180_days(published, traveller, make_user, business, staff):
    traveller.move_to(published.published_at + 100 * D)
    failed = file(make_user, business, "late")
    from hejie.complaints import services as svc

    svc.complaint_refuse(actor=staff, complaint=failed, reason="不同意")
    failed.refresh_from_db()
    assert failed.stars == 0
    traveller.move_to(published.published_at + lists.BLACKLIST_CLEAN_DAYS * D + D)
    assert sweep().blacklist_removed == 0
    traveller.move_to(failed.scored_at + lists.BLACKLIST_CLEAN_DAYS * D)
    assert clock.now() == failed.scored_at + lists.BLACKLIST_CLEAN_DAYS * D
    assert sweep().blacklist_removed == 1
