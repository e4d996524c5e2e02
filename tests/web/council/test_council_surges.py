"""The dashboard lists the newest orders behind each surge flag: numbers linking
to the order page, filing time in Beijing time, problem and state, and a link to
all of them; only what the member may see, no consumer data, and no query per surge."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import T0
from tests.oversight.test_dashboard import order

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(traveller, make_business, make_user, council):
    """A gym in Wuhan (江汉区) with six orders in the last hours, none before: a surge of the business
    and of its industry. The same in Yichang, outside the member's jurisdiction."""
    gym = make_business("江汉健身房", region="420103", industry="entertainment")
    far = make_business("宜昌健身房", region="420502", industry="entertainment")
    consumer = make_user("consumer", phone="13912345678", display_name="张三丰")
    gym_orders = [order(gym, consumer, created=T0 - dt.timedelta(hours=h)) for h in range(1, 7)]
    far_orders = [order(far, consumer, created=T0 - dt.timedelta(hours=h, minutes=30)) for h in range(1, 7)]
    return {"gym": gym, "far": far, "gym_orders": gym_orders, "far_orders": far_orders, "council": council,
            "consumer": consumer}


@pytest.fixture
def member(client, world):
    client.force_login(world["council"])
    return client


def surge_section(page: str) -> str:
    return re.search(r'<section aria-labelledby="surges">(.*?)</section>', page, re.S).group(1)


def test_the_dashboard_lists_the_orders_behind_a_surge(member, world):
    response = member.get("/council/")
    assert response.status_code == 200
    section = surge_section(response.content.decode())
    assert "江汉健身房" in section
    newest, oldest = world["gym_orders"][:5], world["gym_orders"][5]
    for c in newest:  # under the business's card and under the industry's
        assert section.count(f'<a class="number" href="/council/orders/{c.pk}/">{c.number}</a>') == 2
    assert oldest.number not in section  # five per surge; the link leads to all six
    assert section.count("全部 6 件") == 2
    assert re.search(r'<a class="surge-all" href="/council/orders/\?surge=business%3A' + str(world["gym"].pk)
                     + r'">全部 6 件</a>', section)
    # filed 2026-03-15 09:00 Beijing time (T0 is 10:00), a quality problem, delivered
    first = newest[0]
    item = re.search(rf'href="/council/orders/{first.pk}/">{first.number}</a>(.*?)</li>', section, re.S).group(1)
    assert '<time class="nowrap" datetime="2026-03-15T09:00:00+08:00">2026-03-15 09:00</time>' in item
    assert "<span>质量</span>" in item and "已送达" in item and "quality" not in item
    # Yichang's surge and orders are not the Wuhan member's; no consumer's name or phone
    assert "宜昌健身房" not in section
    assert not any(c.number in section for c in world["far_orders"])
    assert "张三丰" not in section and "13912345678" not in section and "1391234" not in section


def test_the_links_open_the_order_and_the_list(member, world):
    page = member.get("/council/").content.decode()
    all_link = re.search(r'<a class="surge-all" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    listing = member.get(all_link).content.decode()
    assert all(c.number in listing for c in world["gym_orders"])
    assert member.get(f"/council/orders/{world['gym_orders'][0].pk}/").status_code == 200


def test_an_operator_sees_both_regions_surges_with_their_orders(client, world, make_user):
    client.force_login(make_user("operator"))
    section = surge_section(client.get("/council/").content.decode())
    assert world["far_orders"][0].number in section and world["gym_orders"][0].number in section
    assert "全部 12 件" in section  # the industry, across the country


def test_the_surge_lists_cost_no_query_per_surge(member, world, make_business):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert member.get("/council/").status_code == 200
        return len(ctx.captured_queries)

    before = count()
    shop = make_business("江岸面馆", region="420102", industry="catering")
    for h in range(1, 7):  # another surging business, in another industry: two more flags
        order(shop, world["consumer"], created=T0 - dt.timedelta(hours=h, minutes=10))
    page = member.get("/council/").content.decode()
    assert "江岸面馆" in page and page.count("全部 6 件") == 4
    assert count() == before


def test_the_list_in_english(member, world):
    member.cookies["django_language"] = "en"
    section = surge_section(member.get("/council/").content.decode())
    assert "All 6 orders" in section and world["gym_orders"][0].number in section
