"""A visitor at a phone's size, without signing in: finds a business by its
pinyin initials, reads its profile, the black list and the red list, the open
figures, and downloads the open-data CSV (real chromium, live server)."""

from __future__ import annotations

import datetime as dt

from hejie.complaints import services as svc
from hejie.core import clock
from hejie.oversight import open_data
from hejie.ratings import lists
from hejie.ratings.models import BlacklistEntry
from tests.web.conftest import browser_marks

pytestmark = browser_marks


def _file(make_user, biz, ref, **extra):
    data = dict(problem_type="quality", claim_type="refund", claim_amount="38.00",
                description="我叫王小明，电话13912345678，热干面里有异物，要求退款。")
    data.update(extra)
    return svc.complaint_submit(consumer=make_user("consumer"), business_id=biz.pk, order_ref=ref, **data)


def _settle(order, staff):
    p = svc.proposal_make(actor=staff, complaint=order, terms="全额退款", amount="38.00")
    svc.proposal_accept(actor=order.consumer, complaint=order, proposal_id=p.pk)


def test_a_visitor_looks_up_businesses_the_lists_and_the_open_data(reference_data, live_server, phone_page, shoot,
                                                                  make_business, make_user, tmp_path):
    good = make_business("武汉热干面馆", industry="catering")
    good.name_initials = "whrgmg"
    good.save(update_fields=["name_initials"])
    make_business("黄鹤楼酒家", industry="catering")
    bad = make_business("汉正街鞋城", region="420103", industry="retail")
    council = make_user("council", region="420100")
    good_staff = make_user("business", business=good)
    bad_staff = make_user("business", business=bad)
    for i in range(10):
        _settle(_file(make_user, good, f"G{i}"), good_staff)
    for i in range(3):
        svc.complaint_refuse(actor=bad_staff, complaint=_file(make_user, bad, f"B{i}", problem_type="return"),
                             reason="不退")
    lists.blacklist_publish(actor=council, entry=BlacklistEntry.objects.get(business=bad),
                            reason="三次拒绝和解，整改前公示")
    lists.redlist_confirm(actor=council, business=good, reason="处理投诉快，消费者满意")

    page = phone_page()
    page.goto(live_server.url + "/businesses/")
    page.get_by_label("商家名称或拼音首字母").fill("whrg")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**/businesses/?q=whrg*")
    assert page.get_by_role("link", name="武汉热干面馆").is_visible()
    assert page.get_by_text("黄鹤楼酒家").count() == 0
    shoot(page, "public-01-directory")
    page.get_by_role("link", name="武汉热干面馆").click()
    assert page.get_by_role("heading", level=1).inner_text() == "武汉热干面馆"
    assert page.get_by_role("heading", name="信用指数怎么算").is_visible()
    assert "13912345678" not in page.content() and "王小明" not in page.content()
    shoot(page, "public-02-profile")

    page.get_by_role("navigation", name="公开信息").get_by_role("link", name="黑榜").click()
    assert page.get_by_role("heading", level=1).inner_text() == "黑榜"
    assert page.get_by_text("三次拒绝和解，整改前公示").is_visible()
    shoot(page, "public-03-blacklist")
    page.get_by_role("link", name="汉正街鞋城").click()
    assert page.get_by_role("heading", name="相关案件").is_visible()
    assert page.locator(".pub-num").count() == 3
    shoot(page, "public-04-blacklist-entry")

    page.get_by_role("navigation", name="公开信息").get_by_role("link", name="红榜").click()
    assert page.get_by_text("处理投诉快，消费者满意").is_visible()
    shoot(page, "public-05-redlist")

    page.get_by_role("navigation", name="公开信息").get_by_role("link", name="公开数据").click()
    assert page.get_by_role("heading", level=1).inner_text() == "公开数据"
    shoot(page, "public-06-open-data")
    with page.expect_download() as info:
        page.get_by_role("link", name="下载 CSV").click()
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert download.suggested_filename.endswith(".csv")
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == ",".join(open_data.COLUMNS)
    assert len(lines) == 1 + 13
    assert "13912345678" not in target.read_text(encoding="utf-8-sig")

    # a removed entry answers 410 in the site's style; something that never existed, 404
    entry = BlacklistEntry.objects.get(business=bad)
    lists.blacklist_remove(actor=council, entry=entry, reason="已整改")
    response = page.goto(live_server.url + f"/blacklist/{entry.pk}/")
    assert response.status == 410
    shoot(page, "public-07-gone")
    response = page.goto(live_server.url + "/businesses/999999/")
    assert response.status == 404
    shoot(page, "public-08-not-found")

    english = phone_page(locale="en-US")
    english.goto(live_server.url + "/open-data/?from=" + (clock.local_date() - dt.timedelta(days=6)).isoformat())
    assert english.get_by_role("heading", level=1).inner_text() == "Open data"
    shoot(english, "public-09-open-data-en")
    english.goto(live_server.url + f"/businesses/{good.pk}/")
    shoot(english, "public-10-profile-en")
