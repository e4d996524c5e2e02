"""Looks at personal data and exports are recorded (who saw whose data, from which request);
looks at masked data are not."""

from __future__ import annotations

import pytest

from hejie.audit.models import AuditRecord
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def views() -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(action="order.view_personal").order_by("seq"))


def test_council_staff_with_the_right_are_recorded_seeing_the_order(client, delivered, consumer, make_user):
    member = make_user("council", region="420100", sees_personal_data=True)
    client.force_login(member)
    response = client.get(f"/council/orders/{delivered.pk}/", headers={"X-Request-ID": "look-1"})
    assert response.status_code == 200 and "13800138000" in response.content.decode()
    [record] = views()
    assert (record.actor_id, record.object_id, record.jurisdiction) == (member.pk, str(delivered.pk), "420102")
    assert record.detail == {"number": delivered.number, "consumer_id": consumer.pk}
    assert (record.request_id, record.ip) == ("look-1", "127.0.0.1")


def test_a_masked_view_and_the_consumers_own_view_are_not_recorded(client, delivered, council, consumer):
    client.force_login(council)  # no right to personal data: the page is masked
    response = client.get(f"/council/orders/{delivered.pk}/")
    assert response.status_code == 200 and "13800138000" not in response.content.decode()
    client.force_login(consumer)
    assert client.get(f"/complaints/{delivered.pk}/").status_code == 200
    assert views() == []


def test_the_business_staff_seeing_a_delivered_order_are_recorded(client, delivered, staff):
    client.force_login(staff)
    assert client.get(f"/complaints/{delivered.pk}/").status_code == 200
    assert [(r.actor_id, r.role) for r in views()] == [(staff.pk, "business")]


def test_the_api_detail_is_recorded(client, delivered, staff, consumer):
    api = Api(client)
    assert api.get(f"/complaints/{delivered.pk}", as_=staff).status_code == 200
    assert api.get(f"/complaints/{delivered.pk}", as_=consumer).status_code == 200
    assert [r.actor_id for r in views()] == [staff.pk]


def test_an_export_is_recorded_with_its_filters_and_row_count(client, delivered, make_user):
    member = make_user("council", region="420100", sees_personal_data=True)
    client.force_login(member)
    response = client.get("/council/orders/export.csv?state=delivered")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "13800138000" in body
    record = AuditRecord.objects.get(action="export.personal")
    assert record.actor_id == member.pk and record.jurisdiction == "420100"
    assert record.detail == {"format": "csv", "filters": {"state": "delivered"}, "rows": 1, "personal_data": True}
    client.get("/council/orders/export.xlsx")
    assert AuditRecord.objects.filter(action="export.personal").latest("seq").detail["format"] == "xlsx"


def test_the_12315_export_is_recorded_on_the_page_and_through_the_api(client, delivered, make_user):
    member = make_user("council", region="420100", sees_personal_data=False)
    client.force_login(member)
    year = delivered.created_at.year
    response = client.get(f"/council/report/orders-12315.csv?year={year}")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    record = AuditRecord.objects.get(action="export.personal")
    assert record.actor_id == member.pk and record.detail["format"] == "12315-csv"
    assert record.detail["personal_data"] is False and record.detail["from"] == f"{year}-01-01"
    assert Api(client).get("/reports/orders-12315.csv", year=year, as_=member).status_code == 200
    assert AuditRecord.objects.filter(action="export.personal").count() == 2
    assert client.get("/council/report/orders-12315.csv?year=abc").status_code == 422
    assert AuditRecord.objects.filter(action="export.personal").count() == 2  # refused: nothing exported
