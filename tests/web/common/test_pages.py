"""My complaints / orders and the read-only order page, scoped by the selectors."""

import datetime as dt

import pytest

from hejie.complaints import services
from hejie.web.common.translations import compile_all

pytestmark = pytest.mark.django_db


def test_consumer_sees_own_orders_with_state_business_and_time_left(zh, consumer, delivered, make_user):
    other = make_user("consumer")
    zh.force_login(consumer)
    html = zh.get("/complaints/").content.decode()
    assert "武汉热干面馆" in html and "已送达" in html and delivered.number in html
    # delivered at T0 = 2026-03-15 10:00 Shanghai: answer by +24 h, settle by +14 days, shown in Beijing time
    assert "2026-03-16 10:00" in html and "2026-03-29 10:00" in html
    assert "还剩 14 天 0 小时" in html and "还剩 1 天 0 小时" in html
    zh.force_login(other)
    html = zh.get("/complaints/").content.decode()
    assert delivered.number not in html and "您还没有投诉。" in html


def test_order_page_shows_timeline_messages_and_offers(zh, consumer, staff, delivered):
    services.message_post(actor=staff, complaint=delivered, body="您好，我们正在核实。")
    services.proposal_make(actor=staff, complaint=delivered, terms="全额退款", amount="38.00")
    zh.force_login(consumer)
    html = zh.get(f"/complaints/{delivered.pk}/").content.decode()
    for text in ("提交投诉", "→ 已送达", "经营者首次回复", "提出和解方案", "您好，我们正在核实。", "全额退款",
                 "¥38.00", "待回复", "和解中"):
        assert text in html, text


def test_someone_else_s_order_is_a_404(zh, delivered, make_user, make_business):
    zh.force_login(make_user("consumer"))
    response = zh.get(f"/complaints/{delivered.pk}/")
    assert response.status_code == 404 and "找不到页面" in response.content.decode()
    zh.force_login(make_user("business", business=make_business()))
    assert zh.get(f"/complaints/{delivered.pk}/").status_code == 404
    assert zh.get("/complaints/999999/").status_code == 404


def test_pages_need_sign_in(zh, delivered):
    assert zh.get("/complaints/")["Location"] == "/signin/?next=/complaints/"
    assert zh.get(f"/complaints/{delivered.pk}/").status_code == 302


def test_business_sees_its_orders_next_deadline_first(zh, traveller, consumer, staff, file_complaint, make_user):
    first = file_complaint(order_ref="A")  # respond by T0 + 24 h
    traveller.shift(dt.timedelta(hours=2))
    second = file_complaint(order_ref="B")  # respond by T0 + 26 h
    traveller.shift(dt.timedelta(hours=1))
    services.message_post(actor=staff, complaint=first, body="已收到")  # answered: now its limit is the 14 days
    third = file_complaint(order_ref="C", who=make_user("consumer"))  # respond by T0 + 27 h
    services.complaint_withdraw(actor=consumer, complaint=second)  # no clock any more
    zh.force_login(staff)
    html = zh.get("/complaints/?view=all").content.decode()
    positions = [html.index(c.number) for c in (third, first, second)]
    assert positions == sorted(positions)
    html = zh.get("/complaints/").content.decode()  # the default: open orders only
    assert first.number in html and third.number in html and second.number not in html


def test_list_query_count_does_not_grow_with_orders(zh, traveller, consumer, file_complaint,
                                                    django_assert_num_queries):
    file_complaint(order_ref="1")
    zh.force_login(consumer)
    zh.get("/complaints/")  # warm the session

    def count():
        with django_assert_num_queries(5) as ctx:  # session, user, unread notices, page count, the page
            assert zh.get("/complaints/").status_code == 200
        return len(ctx.captured_queries)

    assert count() == 5
    for n in range(2, 9):
        file_complaint(order_ref=str(n))
    assert count() == 5


def test_language_switch_sets_a_cookie_and_changes_the_page(zh, consumer, delivered):
    zh.force_login(consumer)
    assert "<h1>我的投诉</h1>" in zh.get("/complaints/").content.decode()
    response = zh.post("/i18n/setlang/", {"language": "en", "next": "/complaints/"})
    assert response.status_code == 302 and response["Location"] == "/complaints/"
    assert response.cookies["django_language"].value == "en"
    html = zh.get("/complaints/").content.decode()
    assert '<html lang="en">' in html and "<h1>My complaints</h1>" in html and "Delivered" in html
    assert "14 days 0 hours left" in html
    zh.post("/i18n/setlang/", {"language": "zh-hans", "next": "/complaints/"})
    assert '<html lang="zh-Hans">' in zh.get("/complaints/").content.decode()


def test_chinese_is_the_default(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="").content.decode()
    assert '<html lang="zh-Hans">' in html and "用手机号登录" in html


def test_pages_are_served_with_their_own_css_only(client):
    html = client.get("/signin/").content.decode()
    assert 'href="/static/hejie/site.css"' in html
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert client.get("/static/hejie/site.css").status_code == 200


def test_overdue_is_said_as_overdue(zh, consumer, delivered, traveller):
    traveller.shift(dt.timedelta(hours=25))
    zh.force_login(consumer)
    html = zh.get("/complaints/").content.decode()
    assert "已超过 1 小时 0 分钟" in html and 'class="due late"' in html


def test_compiled_translations_match_their_po_files():
    stale = compile_all(check=True)
    assert stale == [], f"run `make translations`: {stale}"


