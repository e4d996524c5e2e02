"""Large commits run in a background thread (the embedded default) with progress."""

import pytest

from hejie.businesses.models import Business
from hejie.partners import services
from hejie.partners.models import ImportBatch
from tests.conftest import make_credit_code
from tests.partners.conftest import csv_bytes


@pytest.mark.usefixtures("reference_data")
def test_large_commit_runs_in_background(make_partner, make_user, settings, monkeypatch):
    settings.HEJIE_IMPORT_INLINE_ROWS = 5
    settings.CELERY_BROKER_URL = None
    monkeypatch.setattr(services, "CHUNK", 4)
    partner = make_partner()
    staff = make_user("partner", partner=partner)
    rows = [(f"商户{i}", make_credit_code(12000 + i), "餐饮", "420102", "", "", "", "", "") for i in range(10)]
    batch = services.import_preview(actor=staff, partner=partner, filename="big.csv", data=csv_bytes(rows))
    services._threads.clear()
    batch = services.import_commit(actor=staff, batch=batch)
    assert batch.status == "committing"
    assert len(services._threads) == 1
    services._threads[0].join(timeout=30)
    batch = ImportBatch.objects.get(pk=batch.pk)
    assert batch.status == "committed" and batch.rows_done == 10 and batch.created == 10
    assert Business.objects.filter(partner=partner).count() == 10
