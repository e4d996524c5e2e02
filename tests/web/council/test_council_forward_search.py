"""Forwarding a queued order: the business search looks in the member's own
jurisdiction first, widens to every region on request (a plain GET form), shows
each business's region, and forwarding still works from either."""

from __future__ import annotations

import re

import pytest

from hejie.complaints import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(traveller, make_business, make_user, council):
    """Two businesses of the same name, one in Wuhan (江汉区), one in Yichang; an order queued for review."""
    wuhan = make_business("同名小店", region="420103")
    yichang = make_business("同名小店", region="420502")
    for shop in (wuhan, yichang):  # each has an account, so an order can be forwarded to it
        make_user("business", business=shop)
    consumer = make_user("consumer", phone="13912345678")
    queued = services.complaint_submit(consumer=consumer, business_name="不在平台的小店", region_code="420102",
                                       problem_type="quality", description="这家店不在平台上，投诉无门。",
                                       claim_type="refund", claim_amount="10")
    return {"wuhan": wuhan, "yichang": yichang, "queued": queued, "council": council}


@pytest.fixture
def member(client, world):
    client.force_login(world["council"])
    return client


def html(response) -> str:
    assert response.status_code in (200, 422), response.status_code
    return response.content.decode()


def radios(page: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'name="forward_business" value="(\d+)"', page)}


def test_the_search_looks_in_the_members_jurisdiction_first(member, world):
    url = f"/council/orders/{world['queued'].pk}/"
    page = html(member.get(url, {"business_q": "同名"}))
    assert radios(page) == {world["wuhan"].pk}
    assert "湖北省武汉市江汉区" in page and "湖北省宜昌市" not in page  # each result shows its region
    assert "在本辖区（湖北省武汉市）内查找。" in page
    # the widening is a checkbox in the GET form, and a link for the same search
    form = re.search(r'<form method="get"[^>]*>(.*?)</form>', page, re.S).group(1)
    assert 'type="checkbox" id="business_all" name="business_all" value="1">' in form
    assert "全国范围查找" in form
    assert 'href="?business_q=%E5%90%8C%E5%90%8D&amp;business_all=1#review"' in page


def test_widening_finds_both_with_their_regions(member, world):
    url = f"/council/orders/{world['queued'].pk}/"
    page = html(member.get(url, {"business_q": "同名", "business_all": "1"}))
    assert radios(page) == {world["wuhan"].pk, world["yichang"].pk}
    assert "湖北省武汉市江汉区" in page and "湖北省宜昌市" in page
    assert 'name="business_all" value="1" checked' in page
    assert '<input type="hidden" name="business_all" value="1">' in page  # kept when the forward is refused
    assert "在本辖区" not in page


def test_forwarding_still_works_from_the_narrow_search(member, world):
    c = world["queued"]
    response = member.post(f"/council/orders/{c.pk}/forward/", {"forward_business": world["wuhan"].pk,
                                                                 "business_q": "同名", "forward_note": "本地商户"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.state == "delivered" and c.business_id == world["wuhan"].pk


def test_forwarding_from_the_wide_search_and_a_refusal_keeps_it_wide(member, world):
    c = world["queued"]
    missing = member.post(f"/council/orders/{c.pk}/forward/", {"business_q": "同名", "business_all": "1"})
    assert missing.status_code == 422
    page = html(missing)
    assert 'id="forward_business-error"' in page
    assert radios(page) == {world["wuhan"].pk, world["yichang"].pk}
    member.post(f"/council/orders/{c.pk}/forward/", {"forward_business": world["yichang"].pk,
                                                     "business_q": "同名", "business_all": "1"})
    c.refresh_from_db()
    assert c.state == "delivered" and c.business_id == world["yichang"].pk


def test_a_narrow_refusal_stays_narrow(member, world):
    c = world["queued"]
    page = html(member.post(f"/council/orders/{c.pk}/forward/", {"business_q": "同名"}))
    assert radios(page) == {world["wuhan"].pk}


def test_an_operator_searches_every_region_without_a_choice(client, world, make_user):
    client.force_login(make_user("operator"))
    page = html(client.get(f"/council/orders/{world['queued'].pk}/", {"business_q": "同名"}))
    assert radios(page) == {world["wuhan"].pk, world["yichang"].pk}
    assert 'name="business_all"' not in page and "在本辖区" not in page


def test_the_search_in_english(member, world):
    member.cookies["django_language"] = "en"
    page = html(member.get(f"/council/orders/{world['queued'].pk}/", {"business_q": "同名"}))
    assert "Search every region" in page and "Searching within your jurisdiction" in page
