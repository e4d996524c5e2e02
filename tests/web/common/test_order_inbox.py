"""The inbox: filters, search, what each card shows, countdowns, and a query
count that does not grow with the orders."""

from __future__ import annotations

import datetime as dt

import pytest

from hejie.complaints import services

pytestmark = pytest.mark.django_db


def listed(client, query="") -> str:
    response = client.get("/complaints/" + query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def orders(traveller, consumer, staff, council, file_complaint, make_user):
    """Four orders of the business, in different situations."""
    fresh = file_complaint(order_ref="WX-7788", description="热干面里有头发，要求退款。")
    answered = file_complaint(who=make_user("consumer"), order_ref="MT-1", description="价格与菜单不符，多收了钱。")
    services.message_post(actor=staff, complaint=answered, body="已核实，马上处理")
    offered = file_complaint(who=make_user("consumer"), order_ref="MT-2", description="外卖送错了，要求重新配送。")
    services.proposal_make(actor=staff, complaint=offered, terms="退款", amount="10")
    closed = file_complaint(who=make_user("consumer"), order_ref="MT-3", description="服务态度差，要求道歉。")
    services.complaint_withdraw(actor=closed.consumer, complaint=closed)
    services.complaint_urge(actor=council, complaint=answered, note="请加快处理")
    return {"fresh": fresh, "answered": answered, "offered": offered, "closed": closed}


def shown(html, orders) -> set[str]:
    return {name for name, order in orders.items() if order.number in html}


def test_business_filters(zh, staff, orders, traveller):
    zh.force_login(staff)
    assert shown(listed(zh), orders) == {"fresh", "answered", "offered"}  # open, by default
    assert shown(listed(zh, "?view=waiting"), orders) == {"fresh", "answered"}  # no offer of ours pending
    assert shown(listed(zh, "?view=urged"), orders) == {"answered"}
    assert shown(listed(zh, "?view=closed"), orders) == {"closed"}
    assert shown(listed(zh, "?view=all"), orders) == set(orders)
    assert shown(listed(zh, "?view=overdue"), orders) == set()
    traveller.shift(dt.timedelta(hours=24, seconds=1))  # the first answer was due 24 h after delivery
    assert shown(listed(zh, "?view=overdue"), orders) == {"fresh"}
    assert shown(listed(zh, "?view=nonsense"), orders) == {"fresh", "answered", "offered"}


def test_business_searches_by_number_reference_or_words(zh, staff, orders):
    zh.force_login(staff)
    assert shown(listed(zh, f"?view=all&q={orders['offered'].number}"), orders) == {"offered"}
    assert shown(listed(zh, f"?view=all&q={orders['offered'].number[:11].lower()}"), orders) == set(orders)
    assert shown(listed(zh, "?view=all&q=wx-7788"), orders) == {"fresh"}
    assert shown(listed(zh, "?view=all&q=送错 配送"), orders) == {"offered"}
    html = listed(zh, "?view=all&q=没有这种事")
    assert shown(html, orders) == set() and "没有符合条件的工单。" in html
    html = listed(zh, "?view=closed&q=道歉")
    assert shown(html, orders) == {"closed"} and 'name="view" value="closed"' in html and 'value="道歉"' in html


def test_the_filters_keep_the_search(zh, staff, orders):
    zh.force_login(staff)
    html = listed(zh, "?view=all&q=MT")
    assert 'href="?view=waiting&amp;q=MT"' in html and 'href="?view=all&amp;q=MT" aria-current="page"' in html


def test_business_cards_show_the_problem_and_claim_and_the_urge(zh, staff, orders):
    zh.force_login(staff)
    html = listed(zh)
    assert "武汉热干面馆" not in html.split("<main", 1)[1]  # it knows its own name
    assert "质量 · 退款 ¥38.00" in html
    assert 'class="order card urged"' in html and "消委催办" in html and "请加快处理" in html


def test_consumer_cards_show_business_state_time_left_and_the_last_business_message(zh, consumer, staff, delivered,
                                                                                    traveller):
    services.message_post(actor=staff, complaint=delivered, body="第一条")
    traveller.shift(dt.timedelta(minutes=5))
    services.message_post(actor=consumer, complaint=delivered, body="消费者的话")
    services.message_post(actor=staff, complaint=delivered, body="您好，退款已在处理中")
    zh.force_login(consumer)
    html = listed(zh)
    assert "武汉热干面馆" in html and "和解中" in html and "还剩 13 天 23 小时" in html
    assert "商家最新留言：" in html and "您好，退款已在处理中" in html
    assert "第一条" not in html and "消费者的话" not in html
    assert 'name="q"' not in html  # no search for a consumer's few orders


def test_consumer_filters_open_and_closed(zh, consumer, delivered, file_complaint):
    other = file_complaint(order_ref="B")
    services.complaint_withdraw(actor=consumer, complaint=other)
    zh.force_login(consumer)
    assert delivered.number in listed(zh) and other.number in listed(zh)
    html = listed(zh, "?view=open")
    assert delivered.number in html and other.number not in html
    html = listed(zh, "?view=closed")
    assert delivered.number not in html and other.number in html


def test_a_pending_offer_asks_the_consumer_to_answer(zh, consumer, staff, delivered):
    services.proposal_make(actor=staff, complaint=delivered, terms="退款", amount="38")
    zh.force_login(consumer)
    assert "商家提出了和解方案，请回复" in listed(zh)


def test_countdowns_to_both_deadlines_then_overdue_in_red(zh, staff, delivered, traveller):
    zh.force_login(staff)
    traveller.shift(dt.timedelta(hours=20, minutes=48))
    html = listed(zh)
    assert '">还剩 3 小时 12 分钟</time></strong>' in html
    assert '">还剩 13 天 3 小时</time></strong>' in html
    traveller.shift(dt.timedelta(hours=3, minutes=12))  # exactly at the limit: not yet over
    assert 'class="due late"' not in listed(zh)
    traveller.shift(dt.timedelta(minutes=1))
    html = listed(zh)
    late = ('<p class="due late"><span class="due-what">首次答复（24 小时内）</span> '
            '<strong><time class="countdown" datetime="2026-03-16T10:00:00+08:00">已超过 1 分钟')
    assert late in html


def test_the_list_pages_and_keeps_the_filter(zh, consumer, staff, traveller, file_complaint):
    for n in range(21):
        traveller.shift(dt.timedelta(minutes=10))  # within the filing flood limit
        file_complaint(order_ref=f"P{n}")
    zh.force_login(staff)
    html = listed(zh, "?view=waiting")
    assert 'href="?view=waiting&amp;page=2"' in html and "第 1 / 2 页" in html


def test_business_list_query_count_does_not_grow(zh, traveller, staff, council, file_complaint, make_user,
                                                 django_assert_num_queries):
    def add(n):
        order = file_complaint(who=make_user("consumer"), order_ref=str(n))
        services.message_post(actor=staff, complaint=order, body="收到")
        services.proposal_make(actor=staff, complaint=order, terms="退款", amount="1")
        services.complaint_urge(actor=council, complaint=order, note="快")

    add(0)
    zh.force_login(staff)
    listed(zh)

    def count(query):
        with django_assert_num_queries(5) as ctx:  # session, user, unread notices, page count, the page
            listed(zh, query)
        return len(ctx.captured_queries)

    assert count("") == 5
    for n in range(1, 8):
        add(n)
    assert count("") == 5 and count("?view=urged&q=异物") == 5


def test_consumer_list_query_count_with_messages(zh, traveller, consumer, staff, file_complaint,
                                                django_assert_num_queries):
    for n in range(6):
        order = file_complaint(order_ref=str(n))
        services.message_post(actor=staff, complaint=order, body=f"回复{n}")
    zh.force_login(consumer)
    listed(zh)
    with django_assert_num_queries(5):
        html = listed(zh)
    assert all(f"回复{n}" in html for n in range(6))


def test_long_order_numbers_do_not_break(zh, staff, delivered):
    zh.force_login(staff)
    html = listed(zh)
    assert f'<span class="number">{delivered.number}</span>' in html
