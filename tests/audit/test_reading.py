"""The audit page and GET /api/v1/audit: for audit supervisors only (operators and council staff
granted ``audit_supervisor``), council supervisors within their jurisdiction; everyone else is
refused, and learns nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from hejie.audit.services import audit_record
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db

T = dt.datetime(2026, 10, 8, 1, 0, tzinfo=dt.UTC)  # 09:00 Shanghai


def table(response) -> str:
    """The records shown (the table's body; the filter form lists every action too)."""
    body = response.content.decode()
    return body.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in body else ""


@pytest.fixture
def trail(make_user):
    wuhan = make_user("council", region="420100", username="wuhan-officer")
    yichang = make_user("council", region="420500", username="yichang-officer")
    with time_machine.travel(T, tick=False):
        audit_record(actor=wuhan, action="business.approve", object_type="business", object_id=1,
                     jurisdiction="420102")
        audit_record(actor=yichang, action="business.suspend", object_type="business", object_id=2,
                     jurisdiction="420502", detail={"reason": "宜昌的决定"})
    with time_machine.travel(T + dt.timedelta(days=1), tick=False):
        audit_record(actor=wuhan, action="order.view_personal", object_type="complaint", object_id=7,
                     jurisdiction="420106")
    return wuhan, yichang


def test_the_refused_get_a_404_and_a_visitor_the_sign_in(client, trail, make_user, business):
    assert client.get("/council/audit/").status_code == 302
    for user in (trail[0], make_user("operator", is_staff=True, is_superuser=True),
                 make_user("business", business=business, audit_supervisor=True),
                 make_user("consumer", audit_supervisor=True)):
        client.force_login(user)
        assert client.get("/council/audit/").status_code == 404, user.role
        assert client.get("/council/audit/export.csv").status_code == 404, user.role


def test_a_supervisor_reads_filters_and_pages(client, trail, supervisor):
    client.force_login(supervisor)
    page = table(client.get("/council/audit/"))
    assert "business.suspend" in page and "宜昌的决定" in page and "order.view_personal" in page
    page = table(client.get("/council/audit/?who=wuhan-officer&action=business.approve"))
    assert "business.approve" in page and "business.suspend" not in page and "order.view_personal" not in page
    # days are Shanghai days, both ends included
    page = table(client.get("/council/audit/?from=2026-10-09&to=2026-10-09"))
    assert "order.view_personal" in page and "business.approve" not in page
    page = table(client.get("/council/audit/?from=2026-10-08&to=2026-10-08"))
    assert "order.view_personal" not in page and "business.approve" in page


def test_bad_filters_are_a_422_with_the_message(client, trail, supervisor):
    client.force_login(supervisor)
    response = client.get("/council/audit/?from=08-10-2026&action=drop.table")
    assert response.status_code == 422
    assert "YYYY-MM-DD" in response.content.decode() and "没有这种操作" in response.content.decode()
    assert table(response) == ""


def test_the_page_is_paginated(client, supervisor):
    for n in range(51):
        audit_record(actor=supervisor, action="policy.edit", object_id=n)
    client.force_login(supervisor)
    first = client.get("/council/audit/").content.decode()
    second = client.get("/council/audit/?page=2").content.decode()
    assert first.count("policy.edit</td>") == 50 and second.count("policy.edit</td>") == 1


def test_a_council_supervisor_sees_only_the_jurisdiction(client, trail, make_user):
    client.force_login(make_user("council", region="420100", audit_supervisor=True))
    page = table(client.get("/council/audit/"))
    assert "business.approve" in page and "business.suspend" not in page


def test_the_export_is_the_filtered_records(client, trail, supervisor):
    client.force_login(supervisor)
    response = client.get("/council/audit/export.csv?action=business.suspend")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert "yichang-officer" in body and "wuhan-officer" not in body


def test_the_api_refuses_everyone_else_and_pages_for_a_supervisor(client, trail, supervisor, make_user):
    api = Api(client)
    assert api.get("/audit").status_code == 401
    assert api.get("/audit", as_=trail[0]).status_code == 403
    assert api.get("/audit", as_=make_user("operator")).status_code == 403
    r = api.get("/audit", as_=supervisor, size=2)
    assert r.status_code == 200
    data = r.json()
    assert [i["action"] for i in data["items"]] == ["order.view_personal", "business.suspend"]
    assert data["items"][0]["hash"] and data["items"][0]["prev_hash"] == data["items"][1]["hash"]
    more = api.get("/audit", as_=supervisor, size=2, cursor=data["next_cursor"]).json()
    assert [i["action"] for i in more["items"]] == ["business.approve"] and more["next_cursor"] is None
    filtered = api.get("/audit", as_=supervisor, who="yichang-officer").json()
    assert [i["detail"] for i in filtered["items"]] == [{"reason": "宜昌的决定"}]
    assert api.get("/audit", as_=supervisor, since="yesterday").status_code == 422
    assert api.get("/audit", as_=supervisor, until="2026-10-09T00:00:00+08:00").json()["items"][0]["action"] == \
        "business.suspend"
