"""Complaints per 10,000 orders on the public profile, where the partner that
brought the business reported its yearly order volume
(hejie.complaints.selectors.complaints_per_10k_orders)."""

import datetime as dt

import pytest

from hejie.businesses.models import Business
from hejie.complaints.selectors import complaints_per_10k_orders
from hejie.partners import services
from tests.conftest import make_credit_code
from tests.partners.conftest import csv_bytes

pytestmark = pytest.mark.django_db


def bring(staff, partner, volume, n=9100):
    row = ("汉口小馆", make_credit_code(n), "餐饮", "420102", "", "", "", "", volume)
    batch = services.import_preview(actor=staff, partner=partner, filename="v.csv", data=csv_bytes([row]))
    services.import_commit(actor=staff, batch=batch)
    return Business.objects.get(credit_code=row[1])


@pytest.fixture
def brought(traveller, make_partner, make_user):
    partner = make_partner(onboard_status="active")
    staff = make_user("partner", partner=partner)
    return lambda volume, n=9100: bring(staff, partner, volume, n)


def test_rate_over_the_days_since_joining_then_the_last_365(api, brought, traveller, file_complaint, make_user):
    shop = brought(36500)  # 100 orders a day
    traveller.shift(dt.timedelta(days=29, hours=23))
    file_complaint(biz=shop)
    assert api.get(f"/businesses/{shop.pk}").json()["complaints_per_10k_orders"] is None  # < 30 days
    traveller.shift(dt.timedelta(hours=1))  # exactly 30 days: 3,000 orders
    body = api.get(f"/businesses/{shop.pk}").json()
    rate = body["complaints_per_10k_orders"]
    assert (rate["complaints"], rate["orders"], rate["yearly_orders"]) == (1, 3000, 36500)
    assert rate["rate"] == pytest.approx(3.33) and body["complaints_total"] == 1
    file_complaint(who=make_user("consumer"), biz=shop)
    traveller.shift(dt.timedelta(days=335))  # 365 days since joining: a whole year of orders
    rate = complaints_per_10k_orders(shop)
    assert (rate["complaints"], rate["orders"], rate["rate"]) == (2, 36500, pytest.approx(0.55))
    traveller.shift(dt.timedelta(seconds=1))  # the report is now over a year old
    assert complaints_per_10k_orders(shop) is None


def test_complaints_older_than_365_days_leave_the_window(brought, traveller, file_complaint):
    shop = brought(36500)
    traveller.shift(dt.timedelta(days=10))
    file_complaint(biz=shop)
    traveller.shift(dt.timedelta(days=355))  # joined 365 days ago: the complaint is 355 days old, in the window
    assert complaints_per_10k_orders(shop)["complaints"] == 1
    traveller.shift(dt.timedelta(days=1))  # the report is over a year old: no rate rather than a stale one
    assert complaints_per_10k_orders(shop) is None


def test_without_a_volume_or_a_partner_no_rate(api, brought, traveller, make_business):
    shop = brought("")
    alone = make_business("自己入驻的")
    traveller.shift(dt.timedelta(days=100))
    assert api.get(f"/businesses/{shop.pk}").json()["complaints_per_10k_orders"] is None
    assert api.get(f"/businesses/{alone.pk}").json()["complaints_per_10k_orders"] is None


def test_zero_volume_gives_no_division(api, brought, traveller, file_complaint):
    shop = brought(0)
    traveller.shift(dt.timedelta(days=40))
    file_complaint(biz=shop)
    rate = api.get(f"/businesses/{shop.pk}").json()["complaints_per_10k_orders"]
    assert rate["rate"] is None and rate["orders"] == 0 and rate["complaints"] == 1
