"""hejie.core.bulk: COPY on PostgreSQL, one prepared INSERT on SQLite; the rows read back as the ORM
would have written them."""

import datetime as dt

import pytest
from django.db import connection, transaction

from hejie.businesses.models import Business, Store
from hejie.core.bulk import bulk_insert, next_ids
from hejie.partners.models import ImportBatch, ImportRow

pytestmark = pytest.mark.django_db


def test_rows_round_trip_with_json_datetimes_and_defaults(make_business):
    shop = make_business("批量")
    at = dt.datetime(2026, 3, 15, 9, 30, tzinfo=dt.UTC)
    odd = "含'引号\t与\\反斜杠"
    n = bulk_insert(Store, ("business_id", "name", "region_id"),
                    [(shop.pk, f"门店{i}", shop.region_id) for i in range(3)] + [(shop.pk, odd, "420102")])
    assert n == 4
    stores = Store.objects.filter(business=shop).order_by("id")
    assert [s.name for s in stores][-1] == odd  # COPY's text format escapes what it must
    assert all(s.is_active and s.address == "" for s in stores)  # the fields' defaults
    batch = ImportBatch.objects.create(partner=shop.partner or _partner(), filename="x.csv", sha256="0" * 64)
    data = {"name": "甲", "stores": [{"name": "一店", "region_code": "420102"}], "n": 3, "none": None}
    bulk_insert(ImportRow, ("batch_id", "line", "data", "outcome", "reason"),
                [(batch.pk, 2, data, "accepted", ""), (batch.pk, 3, {}, "refused", "原因")])
    rows = list(ImportRow.objects.filter(batch=batch).order_by("line"))
    assert rows[0].data == data and rows[1].reason == "原因" and rows[0].business_id is None
    b = Business.objects.get(pk=shop.pk)
    bulk_insert(Business, ("name", "name_initials", "credit_code", "industry_id", "region_id", "region_l1",
                           "created_at", "approved_at"),
                [("新店", "xd", "91420102MA4K000001", b.industry_id, b.region_id, b.region_l1, at, None)])
    made = Business.objects.get(credit_code="91420102MA4K000001")
    assert made.created_at == at and made.approved_at is None and made.rated_cases == 0 and made.status == "applied"


def _partner():
    from hejie.partners.models import Partner
    from hejie.regions.models import Region

    return Partner.objects.create(name="平台", kind="platform", region=Region.objects.get(code="420000"))


def test_an_unknown_column_is_refused_and_a_failure_writes_nothing(make_business):
    shop = make_business("批量")
    with pytest.raises(ValueError, match="no column colour"):
        bulk_insert(Store, ("business_id", "colour"), [(shop.pk, "red")])
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017, PT011 - the driver's own error
        bulk_insert(Store, ("business_id", "name", "region_id"), [(shop.pk, "好", "420102"), (shop.pk, "坏", "999999")])
        connection.check_constraints()  # SQLite defers foreign keys to the end of the transaction
    assert not Store.objects.filter(business=shop).exists()


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="sequences are PostgreSQL's")
def test_ids_from_the_sequence_never_collide_with_the_orms(make_business):
    shop = make_business("批量")
    ids = next_ids(Store, 3)
    assert len(set(ids)) == 3 and ids == sorted(ids)
    orm = Store.objects.create(business=shop, name="ORM", region_id="420102")  # takes the next one, not ours
    assert orm.pk not in ids
    bulk_insert(Store, ("id", "business_id", "name", "region_id"), [(i, shop.pk, f"s{i}", "420102") for i in ids])
    assert set(Store.objects.filter(business=shop).values_list("id", flat=True)) == {*ids, orm.pk}
    assert next_ids(Store, 0) == []
