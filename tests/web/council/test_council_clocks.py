"""The council's queue clocks in the console (issue 17, item 2): the queues by time left with the overdue
first and 剩余/超期 N 个工作日; the parent council's dashboard with its children's overdue counts; the
review deadline on the order page; the mediation's extend form; refused to everyone else."""

from __future__ import annotations

import datetime as dt

import pytest

from hejie.complaints import services
from hejie.complaints.models import Mediation
from hejie.core.clock import SHANGHAI
from tests.web.council import test_council as console
from tests.web.council.test_council import html

world, member = console.world, console.member  # the console's fixtures

pytestmark = pytest.mark.django_db


def sh(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def queue_more(world, name, region="420102"):
    return services.complaint_submit(consumer=world["consumer"], business_name=name, region_code=region,
                                     problem_type="price", description="价格与标价不符，要求退差价。",
                                     claim_type="refund", claim_amount="5")


def test_the_review_queue_by_time_left_with_the_overdue_first(member, world, traveller):
    traveller.move_to(sh(2026, 3, 20, 9, 0))
    later = queue_more(world, "后来的小店")
    traveller.move_to(sh(2026, 3, 25, 9, 0))  # the first order's limit (Tuesday 24th) has passed
    page = html(member.get("/council/queues/review/"))
    first, second = world["queued"].number, later.number
    assert page.index(first) < page.index(second)
    assert "超期 1 个工作日" in page and "剩余 4 个工作日" in page and "2026-03-24" in page
    assert member.get("/council/queues/").status_code == 200
    assert member.get("/council/queues/nonsense/").status_code == 404


def test_on_the_last_day_it_reads_due_today(member, world, traveller):
    traveller.move_to(sh(2026, 3, 24, 23, 59, 59))
    assert "今日到期" in html(member.get("/council/queues/review/"))


def test_the_order_page_shows_the_review_deadline(member, world, traveller):
    page = html(member.get(f"/council/orders/{world['queued'].pk}/"))
    assert 'id="council-clock"' in page and "审核期限" in page and "剩余 7 个工作日" in page
    assert "截止 2026-03-24 当天结束" in page
    assert 'id="council-clock"' not in html(member.get(f"/council/orders/{world['fresh'].pk}/"))


def test_the_mediation_is_extended_once_from_its_page(member, world, traveller):
    c = world["failed"]
    member.post(f"/council/orders/{c.pk}/mediate/", {"mediate_reason": "消委主动调解"})
    page = html(member.get(f"/council/orders/{c.pk}/"))
    assert "调解期限" in page and "延长调解期限" in page and "剩余 45 个工作日" in page
    bad = member.post(f"/council/orders/{c.pk}/extend/", {"extend_workdays": "46", "extend_reason": "案情复杂"})
    assert bad.status_code == 422 and 'id="extend_workdays-error"' in html(bad)
    bad = member.post(f"/council/orders/{c.pk}/extend/", {"extend_workdays": "5", "extend_reason": ""})
    assert bad.status_code == 422 and 'id="extend_reason-error"' in html(bad)
    done = member.post(f"/council/orders/{c.pk}/extend/", {"extend_workdays": "5", "extend_reason": "等待检测报告"})
    assert done.status_code == 302
    mediation = Mediation.objects.get(complaint=c)
    assert mediation.extension_workdays == 5 and mediation.extension_reason == "等待检测报告"
    page = html(member.get(f"/council/orders/{c.pk}/"))
    assert "剩余 50 个工作日" in page and "等待检测报告" in page and 'name="extend_workdays"' not in page
    again = member.post(f"/council/orders/{c.pk}/extend/", {"extend_workdays": "5", "extend_reason": "再延长"})
    assert again.status_code == 409


def test_the_parent_council_sees_its_children_s_overdue(client, world, make_user, traveller):
    queue_more(world, "宜昌的店", region="420502")
    province = make_user("council", region="420000")
    client.force_login(province)
    traveller.move_to(sh(2026, 3, 25, 0, 0))
    page = html(client.get("/council/"))
    assert 'id="children-overdue"' in page
    table = page[page.index('id="children-overdue"'):]
    table = table[:table.index("</table>")]
    assert "武汉市" in table and "宜昌市" in table and "黄石市" not in table
    traveller.move_to(sh(2026, 3, 24, 12, 0))
    assert "下级地区没有超期的待办" in html(client.get("/council/"))


def test_the_queues_are_refused_to_others_and_scoped(client, world, make_user):
    for who in (world["consumer"], world["wuhan_staff"]):
        client.force_login(who)
        assert client.get("/council/queues/review/").status_code == 404
        c = world["failed"]
        assert client.post(f"/council/orders/{c.pk}/extend/", {"extend_workdays": "5",
                                                                "extend_reason": "想延长"}).status_code == 404
    client.force_login(make_user("council", region="420200"))  # 黄石市
    page = html(client.get("/council/queues/review/"))
    assert world["queued"].number not in page
    assert client.get("/council/queues/review/?region=420100").status_code == 404
    client.logout()
    assert client.get("/council/queues/review/").status_code == 302
