"""The in-app notices: my own, newest first, unread marked, each linking to its
order; "mark all read" marks only mine."""

from __future__ import annotations

import datetime as dt

import pytest

from hejie.complaints import services
from hejie.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_notices_newest_first_unread_marked_linking_to_the_order(zh, consumer, staff, delivered, traveller):
    traveller.shift(dt.timedelta(minutes=5))
    services.message_post(actor=staff, complaint=delivered, body="您好，我们正在核实。")
    traveller.shift(dt.timedelta(minutes=5))
    services.proposal_make(actor=staff, complaint=delivered, terms="全额退款", amount="38")
    zh.force_login(consumer)
    html = zh.get("/notices/").content.decode()
    proposal, message, submitted = (html.index(t) for t in ("新的和解方案", "新消息", "投诉已提交"))
    assert proposal < message < submitted
    assert html.count('class="card notice unread"') == 3 and html.count('<span class="dot">未读</span>') == 3
    assert f'href="/complaints/{delivered.pk}/">查看工单 {delivered.number}</a>' in html
    assert "您好，我们正在核实。" in html  # the notice's own text
    assert '<span class="badge">3' in html  # the header's unread count


def test_mark_all_read_marks_only_mine(zh, consumer, staff, delivered):
    services.message_post(actor=consumer, complaint=delivered, body="请尽快")  # tells the business
    zh.force_login(consumer)
    response = zh.post("/notices/read/")
    assert response.status_code == 302 and response["Location"] == "/notices/"
    assert not Notification.objects.filter(user=consumer, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=staff, read_at__isnull=True).count() == 2  # delivered, message
    html = zh.get("/notices/").content.decode()
    assert "已全部标为已读。" in html and 'notice unread' not in html and "全部标为已读</button>" not in html


def test_i_see_only_my_own_notices(zh, consumer, staff, delivered):
    zh.force_login(staff)
    html = zh.get("/notices/").content.decode()
    assert "新投诉" in html and "投诉已提交" not in html  # the consumer's notice is not the business's


def test_notices_are_paginated(zh, consumer):
    Notification.objects.bulk_create([Notification(user=consumer, event="message", title=f"通知{n}")
                                      for n in range(25)])
    zh.force_login(consumer)
    html = zh.get("/notices/").content.decode()
    assert html.count('class="card notice') == 20 and "第 1 / 2 页" in html and 'href="?page=2"' in html
    assert zh.get("/notices/?page=2").content.decode().count('class="card notice') == 5


def test_no_notices_yet(zh, consumer):
    zh.force_login(consumer)
    assert "还没有通知。" in zh.get("/notices/").content.decode()


def test_notices_need_sign_in_and_marking_needs_a_post(zh, consumer, delivered):
    assert zh.get("/notices/")["Location"].startswith("/signin/")
    zh.force_login(consumer)
    assert zh.get("/notices/read/").status_code == 405
    assert Notification.objects.filter(user=consumer, read_at__isnull=True).exists()


def test_notices_in_english_show_what_happened_in_english(en, consumer, staff, delivered):
    services.proposal_make(actor=staff, complaint=delivered, terms="全额退款", amount="38")
    en.force_login(consumer)
    html = en.get("/notices/").content.decode()
    assert "New settlement offer" in html and f"View order {delivered.number}" in html
    assert "提出和解方案" not in html


def test_the_shared_pager_keeps_the_filters_and_the_anchor(db):
    """web/_pager.html, used by every paged list: the filters ride along, and a list lower on the page
    (an import's rows) brings the reader back to it."""
    from django.core.paginator import Paginator
    from django.template import Context, Template

    page = Paginator(list(range(120)), 50).get_page(2)
    html = Template('{% with keep="outcome="|add:outcome %}{% include "web/_pager.html" with page=rows '
                    'anchor="#rows" %}{% endwith %}').render(Context({"rows": page, "outcome": "refused"}))
    assert 'href="?outcome=refused&amp;page=1#rows"' in html and 'href="?outcome=refused&amp;page=3#rows"' in html
    single = Paginator(list(range(10)), 50).get_page(1)
    assert "pager" not in Template('{% include "web/_pager.html" %}').render(Context({"page": single}))
