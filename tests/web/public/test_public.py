"""The public face (no sign-in): the directory, a business's profile, the black
and red lists, with honest 404 and 410 answers, and no personal data anywhere."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hejie.businesses.models import Business
from hejie.complaints import services as svc
from hejie.ratings import lists
from hejie.ratings.models import BlacklistEntry, RedListEntry

D = dt.timedelta(days=1)

# What the consumer wrote, and who they are: none of it may reach a public page.
NAME = "王小明"
PHONE_IN_TEXT = "13912345678"
ORDER_REF = "WX-778899-ORDER"
DESCRIPTION = f"我叫{NAME}，电话{PHONE_IN_TEXT}。买的热干面里有异物，要求退款。"
MESSAGE = f"请联系{NAME}的手机 {PHONE_IN_TEXT}"


def english() -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    return client


def html(response) -> str:
    return response.content.decode()


def text_of(response) -> str:
    """The page's visible text, roughly (tags dropped)."""
    return re.sub(r"<[^>]+>", " ", html(response))


def file(consumer, biz, ref="", **extra):
    data = dict(problem_type="quality", description=DESCRIPTION, claim_type="refund", claim_amount="38.00")
    data.update(extra)
    return svc.complaint_submit(consumer=consumer, business_id=biz.pk, order_ref=ref, **data)


def settle(complaint, staff):
    p = svc.proposal_make(actor=staff, complaint=complaint, terms=f"退款给{NAME}", amount="38.00")
    svc.proposal_accept(actor=complaint.consumer, complaint=complaint, proposal_id=p.pk)


def assert_no_personal_data(page: str, *consumers) -> None:
    for secret in (NAME, PHONE_IN_TEXT, ORDER_REF, "买的热干面里有异物", "请联系", "退款给"):
        assert secret not in page, secret
    for c in consumers:
        assert c.phone not in page and c.username not in page
        assert f"{c.phone[:3]}****{c.phone[-4:]}" not in page


@pytest.fixture
def shop(business):
    business.name_initials = "whrgmg"
    business.save(update_fields=["name_initials"])
    return business


@pytest.fixture
def history(traveller, shop, staff, consumer, make_user):
    """武汉热干面馆: one case settled within the hour, one failed by refusal, one
    still open with a message (the consumer's words carry a name and a phone)."""
    fast = file(consumer, shop, ref=ORDER_REF)
    traveller.shift(dt.timedelta(minutes=30))
    svc.message_post(actor=staff, complaint=fast, body="您好，我们核实一下。")
    settle(fast, staff)
    other = make_user("consumer")
    failed = file(other, shop, ref="R-2", problem_type="price")
    svc.complaint_refuse(actor=staff, complaint=failed, reason="不同意")
    third = make_user("consumer")
    open_ = file(third, shop, ref="R-3", problem_type="service")
    svc.message_post(actor=third, complaint=open_, body=MESSAGE)
    shop.refresh_from_db()
    return {"settled": fast, "failed": failed, "open": open_, "consumers": [consumer, other, third]}


# --------------------------------------------------------------------------- the directory


def test_the_directory_finds_a_business_by_pinyin_initials_with_its_figures(zh, history, shop, make_business):
    make_business("黄鹤楼酒家", industry="catering")
    r = zh.get("/businesses/", {"q": "whrg"})
    assert r.status_code == 200
    page = html(r)
    assert "武汉热干面馆" in page and "黄鹤楼酒家" not in page
    card = page[page.index("武汉热干面馆"):]
    # stars and credit index from the business's rating, 3 complaints, 1 of 3 settled
    assert f"{float(shop.star_rating):.1f} 星" in card and f"{shop.credit_index} / 10" in card
    assert re.search(r"<dt>投诉</dt><dd>3</dd>", card) and "33%" in card
    assert f'href="/businesses/{shop.pk}/"' in page
    assert_no_personal_data(page, *history["consumers"])


def test_the_directory_lists_the_public_record_only(zh, make_business):
    make_business("营业中的店", status="active")
    make_business("暂停中的店", status="suspended")
    make_business("申请中的店", status="applied")
    make_business("未通过的店", status="refused")
    page = html(zh.get("/businesses/"))
    assert "营业中的店" in page and "暂停中的店" in page and "已暂停" in page
    assert "申请中的店" not in page and "未通过的店" not in page


def test_the_directory_filters_by_industry_and_region_step_by_step(zh, make_business):
    make_business("江岸面馆", region="420102", industry="catering")
    make_business("江岸商场", region="420102", industry="retail")
    make_business("宜昌面馆", region="420502", industry="catering")
    page = html(zh.get("/businesses/", {"industry": "catering"}))
    assert "江岸面馆" in page and "宜昌面馆" in page and "江岸商场" not in page

    # without JavaScript: the province first, then its cities appear in the next select
    page = html(zh.get("/businesses/", {"province": "420000"}))
    assert 'name="city"' in page and "武汉市" in page and 'name="county"' not in page
    page = html(zh.get("/businesses/", {"province": "420000", "city": "420100", "industry": "catering"}))
    assert 'name="county"' in page and "江岸区" in page
    assert "江岸面馆" in page and "宜昌面馆" not in page and "江岸商场" not in page
    # a city that is not in the province is dropped with what follows
    page = html(zh.get("/businesses/", {"province": "110000", "city": "420100"}))
    assert "江岸面馆" not in page or "宜昌面馆" not in page
    assert 'value="420100" selected' not in page


def test_bad_directory_input_is_a_422_with_the_reason_beside_the_field(zh, make_business):
    r = zh.get("/businesses/", {"industry": "nosuch", "q": "面"})
    assert r.status_code == 422
    page = html(r)
    assert 'id="industry-error"' in page and "未知的行业" in page and 'aria-invalid="true"' in page
    assert 'value="面"' in page  # the rest of the form kept
    r = zh.get("/businesses/", {"q": "长" * 101})
    assert r.status_code == 422 and 'id="q-error"' in html(r)


def test_the_directory_is_paged(zh, make_business):
    for i in range(23):
        make_business(f"商户{i:02d}")
    page1 = html(zh.get("/businesses/"))
    assert "共 23 家商户" in page1 and "第 1 / 2 页" in page1 and "商户00" in page1 and "商户22" not in page1
    page2 = html(zh.get("/businesses/", {"page": 2}))
    assert "商户22" in page2 and "商户00" not in page2


def test_the_directory_page_takes_a_fixed_number_of_queries(zh, traveller, make_business, make_user):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert zh.get("/businesses/", {"province": "420000", "city": "420100"}).status_code == 200
        return len(ctx.captured_queries)

    a = make_business("一号店")
    file(make_user("consumer"), a)
    first = count()
    for i in range(15):
        b = make_business(f"更多商户{i}")
        file(make_user("consumer"), b)
    assert count() == first
    # the picker's three levels and the region filter, the count, the page, the figures, the two
    # lists, the industries
    assert first == 10, first


# --------------------------------------------------------------------------- the profile


def test_the_profile_shows_the_record_and_how_the_index_was_computed(zh, history, shop):
    r = zh.get(f"/businesses/{shop.pk}/")
    assert r.status_code == 200
    page = html(r)
    assert "<h1>武汉热干面馆</h1>" in page
    assert "收到投诉</dt><dd>3</dd>" in page and "和解失败</dt><dd>1</dd>" in page and "33%" in page
    assert "30 分钟" in page  # the median time to settle
    # the formula with this business's numbers, and what each case cost
    assert f"= {shop.credit_index}" in page
    assert history["settled"].number in page and "10 分（扣 0 分）" in page
    assert history["failed"].number in page and "0 分（扣 10 分）" in page
    # recent complaints: number, date, problem type, state; no personal data
    recent = page[page.index("最近的投诉"):]
    for c, problem, state in ((history["open"], "服务", "已送达"), (history["failed"], "价格", "和解终止"),
                              (history["settled"], "质量", "和解成功")):
        card = recent[recent.index(c.number):][:900]
        assert f"<dd>{problem}</dd>" in card and state in card and "2026-03-15" in card
    assert "无合作方报送的订单量" in page  # no partner reported volumes
    assert_no_personal_data(page, *history["consumers"])


def test_the_profile_shows_list_status_with_the_published_reason(zh, traveller, shop, staff, council, make_user):
    for i in range(3):
        c = file(make_user("consumer"), shop, ref=f"x{i}")
        svc.complaint_refuse(actor=staff, complaint=c, reason="不同意")
    entry = BlacklistEntry.objects.get(business=shop)
    page = html(zh.get(f"/businesses/{shop.pk}/"))
    assert "已列入黑榜" not in page  # a candidate is not public
    lists.blacklist_publish(actor=council, entry=entry, reason="三次拒绝和解，整改前公示")
    page = html(zh.get(f"/businesses/{shop.pk}/"))
    assert "已列入黑榜" in page and "三次拒绝和解，整改前公示" in page and "2026-03-15" in page
    assert f"/blacklist/{entry.pk}/" in page


def test_the_profile_query_count_does_not_grow_with_cases(zh, traveller, shop, staff, make_user):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert zh.get(f"/businesses/{shop.pk}/").status_code == 200
        return len(ctx.captured_queries)

    settle(file(make_user("consumer"), shop), staff)
    first = count()
    for i in range(12):
        settle(file(make_user("consumer"), shop, ref=f"m{i}"), staff)
    assert count() == first
    # the business, the policy, the rating (5: ratings.selectors.rating_breakdown), the list flags
    # (2), the list entries (2), the stores, the recent complaints
    assert first == 13, first


def test_a_business_that_never_was_public_is_a_404(zh, make_business):
    applied = make_business("申请中的店", status="applied")
    refused = make_business("未通过的店", status="refused")
    for pk in (applied.pk, refused.pk, 999999):
        r = zh.get(f"/businesses/{pk}/")
        assert r.status_code == 404
        assert "找不到页面" in html(r) and "申请中的店" not in html(r) and "未通过的店" not in html(r)


def test_a_suspended_business_keeps_its_public_record(zh, make_business):
    shop = make_business("暂停中的店", status="active")
    Business.objects.filter(pk=shop.pk).update(status="suspended")
    r = zh.get(f"/businesses/{shop.pk}/")
    assert r.status_code == 200
    assert "目前不能通过本平台向其投诉" in html(r) and "投诉这家商户" not in html(r)


def test_a_removed_listing_is_410_gone(zh, make_business):
    # once on the public record (approved), no longer in a public status
    shop = make_business("撤下的店", status="active")
    Business.objects.filter(pk=shop.pk).update(status="refused")
    r = zh.get(f"/businesses/{shop.pk}/")
    assert r.status_code == 410
    assert "该商户已不在平台公示" in html(r) and "公示已经撤下" in html(r)
    r = english().get(f"/businesses/{shop.pk}/")
    assert r.status_code == 410 and "listing was removed" in html(r)


# --------------------------------------------------------------------------- the black list


@pytest.fixture
def black(traveller, shop, staff, council, make_user):
    """A published black-list entry for 武汉热干面馆 (江岸区, 武汉)."""
    consumers = []
    for i in range(3):
        consumers.append(make_user("consumer"))
        c = file(consumers[-1], shop, ref=f"{ORDER_REF}-{i}")
        svc.message_post(actor=consumers[-1], complaint=c, body=MESSAGE)
        svc.complaint_refuse(actor=staff, complaint=c, reason="不同意")
    entry = BlacklistEntry.objects.get(business=shop)
    lists.blacklist_publish(actor=council, entry=entry, reason="三次拒绝和解，整改前公示")
    return entry, consumers


def test_the_black_list_shows_published_entries_with_reasons_and_dates(zh, black, make_business):
    entry, consumers = black
    page = html(zh.get("/blacklist/"))
    assert "武汉热干面馆" in page and "三次拒绝和解，整改前公示" in page and "2026-03-15" in page
    assert "湖北省武汉市江岸区" in page and f"/blacklist/{entry.pk}/" in page
    assert "窗口期内多次和解失败" in page
    # filtered by region: Yichang has none
    page = html(zh.get("/blacklist/", {"province": "420000", "city": "420500"}))
    assert "武汉热干面馆" not in page and "这里目前没有上榜商户" in page
    page = html(zh.get("/blacklist/", {"region": "420100"}))
    assert "武汉热干面馆" in page
    assert_no_personal_data(page, *consumers)


def test_a_black_list_entry_shows_its_failed_cases_without_personal_data(zh, black):
    entry, consumers = black
    r = zh.get(f"/blacklist/{entry.pk}/")
    assert r.status_code == 200
    page = html(r)
    for c in entry.cases.all():
        assert c.number in page
    assert page.count("和解终止") == 3 and "回复过" in page
    assert "90天内和解失败3件" in page
    assert_no_personal_data(page, *consumers)


def test_a_candidate_or_dismissed_entry_is_a_404(zh, traveller, shop, staff, council, make_user):
    for i in range(3):
        svc.complaint_refuse(actor=staff, complaint=file(make_user("consumer"), shop, ref=f"c{i}"), reason="不同意")
    entry = BlacklistEntry.objects.get(business=shop)
    assert zh.get(f"/blacklist/{entry.pk}/").status_code == 404
    assert "武汉热干面馆" not in html(zh.get("/blacklist/"))
    lists.blacklist_dismiss(actor=council, entry=entry, reason="情况特殊")
    assert zh.get(f"/blacklist/{entry.pk}/").status_code == 404
    assert zh.get("/blacklist/999999/").status_code == 404


def test_a_removed_black_list_entry_is_410_with_when_and_how(zh, black, council, traveller):
    entry, _ = black
    traveller.shift(10 * D)
    lists.blacklist_remove(actor=council, entry=entry, reason="已于三月整改完毕，退款给王小明")
    r = zh.get(f"/blacklist/{entry.pk}/")
    assert r.status_code == 410
    page = html(r)
    assert "该黑榜记录已移出" in page and "2026-03-25" in page and "消委工作人员决定移出" in page
    assert "已于三月整改完毕" not in page and NAME not in page  # the council's words to the business are not published
    assert "武汉热干面馆" not in html(zh.get("/blacklist/"))
    r = english().get(f"/blacklist/{entry.pk}/")
    assert r.status_code == 410 and "was removed" in html(r)


def test_a_black_list_entry_removed_by_rule_says_so(zh, black, traveller):
    entry, _ = black
    traveller.shift(181 * D)
    assert lists.blacklist_expire() == 1
    r = zh.get(f"/blacklist/{entry.pk}/")
    assert r.status_code == 410 and "按规则自动移出" in html(r)


# --------------------------------------------------------------------------- the red list


@pytest.fixture
def red(traveller, shop, staff, council, make_user):
    for i in range(10):
        settle(file(make_user("consumer"), shop, ref=f"s{i}"), staff)
    return lists.redlist_confirm(actor=council, business=shop, reason="处理投诉快，消费者满意")


def test_the_red_list_shows_confirmed_entries(zh, red, shop):
    page = html(zh.get("/redlist/"))
    assert "武汉热干面馆" in page and "处理投诉快，消费者满意" in page and "2026-03-15" in page
    assert f"/redlist/{red.pk}/" in page
    assert "武汉热干面馆" not in html(zh.get("/redlist/", {"region": "420500"}))
    r = zh.get(f"/redlist/{red.pk}/")
    assert r.status_code == 200 and "处理投诉快，消费者满意" in html(r)
    # the directory and the profile show the badge
    assert "pub-badge pub-red" in html(zh.get("/businesses/"))
    assert "消费者满意商户（红榜）" in html(zh.get(f"/businesses/{shop.pk}/"))


def test_a_removed_red_list_entry_is_410_and_a_candidate_404(zh, red, shop, council, traveller):
    candidate = RedListEntry.objects.create(business=Business.objects.exclude(pk=shop.pk).first() or shop,
                                            status="removed", reason="")
    assert zh.get(f"/redlist/{candidate.pk}/").status_code == 404  # never confirmed
    traveller.shift(3 * D)
    lists.redlist_remove(actor=council, entry=red, reason="内部原因")
    r = zh.get(f"/redlist/{red.pk}/")
    assert r.status_code == 410
    assert "已移出消费者满意商户名单" in html(r) and "2026-03-18" in html(r) and "内部原因" not in html(r)
    assert zh.get("/redlist/424242/").status_code == 404


# --------------------------------------------------------------------------- bilingual, and the footer


def test_the_pages_read_in_english(en, history, shop):
    page = html(en.get("/businesses/", {"q": "whrg"}))
    assert "Business directory" in page and "Settlement rate" in page
    page = html(en.get(f"/businesses/{shop.pk}/"))
    assert "How the credit index is computed" in page and "Recent complaints" in page
    assert "Quality" in page or "quality" in page
    r = en.get("/businesses/999999/")
    assert r.status_code == 404 and "Page not found" in html(r)


def test_the_footer_links_the_public_pages(zh):
    page = html(zh.get("/"))
    for url in ("/businesses/", "/redlist/", "/blacklist/", "/open-data/"):
        assert f'href="{url}"' in page


def test_a_black_list_entry_removed_on_appeal_says_so(zh, black, staff, council):
    entry, _ = black
    appeal = lists.blacklist_appeal(actor=staff, entry=entry, text="我们已经全部退款，请求移出。")
    lists.blacklist_appeal_decide(actor=council, appeal=appeal, upheld=True, reason="核实已退款")
    r = zh.get(f"/blacklist/{entry.pk}/")
    assert r.status_code == 410
    assert "申诉成立" in html(r) and "核实已退款" not in html(r) and "全部退款" not in html(r)


def test_a_red_list_entry_ended_by_the_black_list_links_to_it(zh, red, shop, staff, council, make_user, traveller):
    traveller.shift(D)
    for i in range(3):
        svc.complaint_refuse(actor=staff, complaint=file(make_user("consumer"), shop, ref=f"b{i}"), reason="不同意")
    black_entry = BlacklistEntry.objects.get(business=shop, status="candidate")
    lists.blacklist_publish(actor=council, entry=black_entry, reason="三次拒绝和解")
    r = zh.get(f"/redlist/{red.pk}/")
    assert r.status_code == 410
    assert "该商户被列入黑榜，同时移出红榜" in html(r) and f'href="/blacklist/{black_entry.pk}/"' in html(r)
    assert "2026-03-16" in html(r)
    page = html(zh.get(f"/businesses/{shop.pk}/"))
    assert "已列入黑榜" in page and "消费者满意商户（红榜）" not in page


def test_the_profile_shows_complaints_per_10k_orders_where_a_partner_reported_volumes(zh, traveller, shop,
                                                                                    monkeypatch):
    from hejie.complaints import selectors

    seen = []

    def rate(business):
        seen.append(business.pk)
        return {"rate": 3.33, "complaints": 1, "orders": 3000, "yearly_orders": 36500,
                "since": dt.datetime(2026, 2, 13, 2, tzinfo=dt.UTC),
                "until": dt.datetime(2026, 3, 15, 2, tzinfo=dt.UTC)}

    monkeypatch.setattr(selectors, "complaints_per_10k_orders", rate)
    page = html(zh.get(f"/businesses/{shop.pk}/"))
    assert seen == [shop.pk]
    per10k = page[page.index('id="per-10k"'):][:400]
    assert "3.33" in per10k and "2026-02-13 以来 1 件投诉，约 3000 单" in per10k


def test_the_list_pages_take_a_fixed_number_of_queries(zh, traveller, council, make_business, make_user):
    def publish_one(i):
        shop = make_business(f"黑榜商户{i}")
        staff = make_user("business", business=shop)
        for j in range(3):
            svc.complaint_refuse(actor=staff, complaint=file(make_user("consumer"), shop, ref=f"{i}-{j}"),
                                 reason="不同意")
        lists.blacklist_publish(actor=council, entry=BlacklistEntry.objects.get(business=shop), reason="公示")

    def count(url) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert zh.get(url).status_code == 200
        return len(ctx.captured_queries)

    publish_one(0)
    first = {url: count(url) for url in ("/blacklist/", "/redlist/", "/open-data/")}
    for i in range(1, 6):
        publish_one(i)
    assert {url: count(url) for url in first} == first
    assert first["/blacklist/"] == 4  # the provinces, the count, the page, its cases


def test_head_requests_are_answered(zh, business):
    assert zh.head("/businesses/").status_code == 200
    assert zh.head(f"/businesses/{business.pk}/").status_code == 200
    assert zh.post("/businesses/").status_code == 405
