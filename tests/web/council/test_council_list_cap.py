"""The council's order list pages through at most the newest LIST_CAP orders (its count stops there), and
the queue counts, read from the daily figures and (for "to urge") the open orders, agree with the lists."""

from __future__ import annotations

import re

import pytest

from hejie.complaints.models import Complaint
from hejie.oversight.orders import QUEUES, queue_counts, queue_filter
from hejie.web.council import dashboard as council_views
from tests.oversight.test_dashboard import order
from tests.web.council.test_council import html, member, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def _numbers(page: str) -> list[str]:
    return re.findall(r"T-\d{6}|HB-\d{8}-\d{6}", page)


def test_a_short_list_is_counted_exactly(member, world):  # noqa: F811
    page = html(member.get("/council/orders/"))
    visible = Complaint.objects.visible_to(world["council"]).count()
    assert f"工单数：{visible}<" in page.replace("</span>", "<")
    assert "件以上" not in page and "只列出最新的" not in page


def test_a_long_list_stops_counting_at_the_cap_and_pages_through_the_newest(member, world, monkeypatch):  # noqa: F811
    monkeypatch.setattr(council_views, "LIST_CAP", 3)
    monkeypatch.setattr(council_views, "PAGE_SIZE", 2)
    newest = list(Complaint.objects.visible_to(world["council"]).order_by("-created_at", "-id")
                  .values_list("number", flat=True))
    assert len(newest) > 3
    first = html(member.get("/council/orders/"))
    assert "工单数：3 件以上" in first
    assert "第 1 / 2 页" in first and "只列出最新的" not in first
    second = html(member.get("/council/orders/?page=2"))
    assert "只列出最新的 3 件" in second
    listed = [n for n in dict.fromkeys(_numbers(first) + _numbers(second)) if n in newest]
    assert listed == newest[:3]  # the newest three, in order; the fourth is not reachable by paging
    assert newest[3] not in second


def test_the_queue_counts_agree_with_the_queues(world):  # noqa: F811
    user, now = world["council"], world["now"]
    counts = queue_counts(user, now=now)
    visible = Complaint.objects.visible_to(user)
    assert counts == {q: visible.filter(queue_filter(q, now)).count() for q in QUEUES}
    assert (counts["review"], counts["failed"]) == (1, 1) and counts["urge"] >= 1


def test_a_failure_elsewhere_does_not_count_in_the_jurisdiction(world):  # noqa: F811
    before = queue_counts(world["council"], now=world["now"])
    order(world["yichang"], world["consumer"], created=world["now"], failed=True)
    assert queue_counts(world["council"], now=world["now"]) == before
