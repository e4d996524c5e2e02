"""Countdowns carry their deadline for the page's script: every rendering of the
time left is a ``<time class="countdown" datetime="…">`` whose instant is the
stored deadline, beside the same server-rendered text as before, and each page
that shows one loads countdown.js."""

from __future__ import annotations

import datetime as dt
import re

import pytest

pytestmark = pytest.mark.django_db

COUNTDOWN = re.compile(r'<time class="countdown" datetime="([^"]+)">([^<]+)</time>')
SCRIPT = 'src="/static/hejie/countdown.js" defer'


def countdowns(client, url) -> list[tuple[dt.datetime, str]]:
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count(SCRIPT) == 1
    return [(dt.datetime.fromisoformat(at), text) for at, text in COUNTDOWN.findall(html)]


@pytest.fixture
def later(delivered, traveller):
    traveller.shift(dt.timedelta(hours=20, minutes=48))
    return delivered


def test_the_business_inbox_gives_each_countdown_its_deadline(zh, staff, later):
    zh.force_login(staff)
    assert countdowns(zh, "/complaints/") == [(later.respond_by, "还剩 3 小时 12 分钟"),
                                              (later.settle_by, "还剩 13 天 3 小时")]


def test_the_instant_is_exact_and_in_iso_form(zh, staff, later):
    zh.force_login(staff)
    html = zh.get("/complaints/").content.decode()
    at = later.respond_by.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()
    assert f'<time class="countdown" datetime="{at}">还剩 3 小时 12 分钟</time>' in html


def test_the_consumer_list_and_order_page_in_english(en, consumer, later):
    en.force_login(consumer)
    expected = [(later.respond_by, "3 hours 12 minutes left"), (later.settle_by, "13 days 3 hours left")]
    assert countdowns(en, "/complaints/") == expected
    assert countdowns(en, f"/complaints/{later.pk}/") == expected


def test_the_council_order_page_and_queue(zh, council, later):
    zh.force_login(council)
    expected = [(later.respond_by, "还剩 3 小时 12 分钟"), (later.settle_by, "还剩 13 天 3 小时")]
    assert countdowns(zh, f"/council/orders/{later.pk}/") == expected
    assert countdowns(zh, "/council/orders/") == expected


def test_an_overdue_countdown_keeps_its_deadline_and_its_box_is_late(zh, staff, later, traveller):
    traveller.shift(dt.timedelta(hours=3, minutes=13))
    zh.force_login(staff)
    html = zh.get("/complaints/").content.decode()
    at = later.respond_by.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()
    assert (f'<p class="due late"><span class="due-what">首次答复（24 小时内）</span> '
            f'<strong><time class="countdown" datetime="{at}">已超过 1 分钟</time></strong>') in html


def test_no_countdown_no_script_needed_elsewhere(zh, staff, later):
    """A page without countdowns does not load the script."""
    zh.force_login(staff)
    assert "countdown.js" not in zh.get("/").content.decode()
