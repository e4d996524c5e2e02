"""A commit whose process died between chunks (killed: no except block ran)
stays "committing"; once its heartbeat is older than the stale limit it can
be resumed (page, API, command) or reset, without duplicates."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from hejie.businesses.models import Business
from hejie.core.errors import Conflict
from hejie.partners import services
from hejie.partners.models import ImportBatch
from tests.conftest import make_credit_code
from tests.partners.conftest import csv_bytes

pytestmark = pytest.mark.django_db


class Killed(BaseException):
    """Stands for SIGKILL: not an Exception, so the commit's error handling never runs."""


@pytest.fixture
def crashed(traveller, partner, partner_staff, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 2)
    rows = [(f"商户{i}", make_credit_code(13000 + i), "餐饮", "420102", "", "", "", "", "") for i in range(5)]
    batch = services.import_preview(actor=partner_staff, partner=partner, filename="crash.csv", data=csv_bytes(rows))
    real = services._create_chunk
    calls = []

    def dies_on_the_second_chunk(batch, chunk):
        calls.append(len(chunk))
        if len(calls) == 2:
            raise Killed
        return real(batch, chunk)

    monkeypatch.setattr(services, "_create_chunk", dies_on_the_second_chunk)
    with pytest.raises(Killed):
        services.import_commit(actor=partner_staff, batch=batch, background=False)
    monkeypatch.setattr(services, "_create_chunk", real)
    batch.refresh_from_db()
    assert (batch.status, batch.rows_done, batch.created) == ("committing", 2, 2)
    return batch


def test_a_live_commit_is_not_taken_over(crashed, partner_staff, traveller, settings):
    settings.HEJIE_IMPORT_STALE_MINUTES = 10
    traveller.shift(dt.timedelta(minutes=9, seconds=59))
    assert not services.import_is_stuck(crashed)
    with pytest.raises(Conflict):
        services.import_commit(actor=partner_staff, batch=crashed)
    with pytest.raises(Conflict):
        services.import_reset(actor=partner_staff, batch=crashed)


def test_resume_after_the_stale_limit_finishes_without_duplicates(crashed, partner, partner_staff, traveller, api):
    traveller.shift(dt.timedelta(minutes=10))
    assert api.get(f"/partners/imports/{crashed.pk}", as_=partner_staff).json()["stuck"] is True
    r = api.post(f"/partners/imports/{crashed.pk}/commit", as_=partner_staff)
    assert r.status_code == 200 and r.json()["status"] == "committed" and r.json()["stuck"] is False
    batch = ImportBatch.objects.get(pk=crashed.pk)
    assert (batch.rows_done, batch.created) == (5, 5)
    assert Business.objects.filter(partner=partner).count() == 5
    assert batch.rows.filter(business__isnull=True).count() == 0


def test_reset_then_commit_again(crashed, partner, partner_staff, traveller, api, make_user, make_partner):
    traveller.shift(dt.timedelta(minutes=11))
    outsider = make_user("partner", partner=make_partner("别家"))
    assert api.post(f"/partners/imports/{crashed.pk}/reset", as_=outsider).status_code == 404
    r = api.post(f"/partners/imports/{crashed.pk}/reset", as_=partner_staff)
    assert r.status_code == 200 and r.json()["status"] == "failed" and "2" in r.json()["error"]
    assert api.post(f"/partners/imports/{crashed.pk}/reset", as_=partner_staff).status_code == 409
    batch = services.import_commit(actor=partner_staff, batch=crashed)
    assert batch.status == "committed" and Business.objects.filter(partner=partner).count() == 5


def test_the_command_lists_and_resumes(crashed, partner, traveller):
    out = io.StringIO()
    call_command("imports", "stuck", stdout=out)
    assert out.getvalue().strip().endswith("0 stuck")
    with pytest.raises(CommandError):
        call_command("imports", "resume", str(crashed.pk), stdout=out)
    traveller.shift(dt.timedelta(minutes=10))
    out = io.StringIO()
    call_command("imports", "stuck", stdout=out)
    assert f"{crashed.pk}\t" in out.getvalue() and "2/5" in out.getvalue() and "1 stuck" in out.getvalue()
    out = io.StringIO()
    call_command("imports", "resume", str(crashed.pk), stdout=out)
    assert "committed, 5/5" in out.getvalue()
    assert Business.objects.filter(partner=partner).count() == 5
    call_command("imports", "resume", str(crashed.pk), stdout=out)  # again: nothing twice
    assert Business.objects.filter(partner=partner).count() == 5


def test_the_command_resets(crashed, traveller):
    traveller.shift(dt.timedelta(minutes=10))
    out = io.StringIO()
    call_command("imports", "reset", str(crashed.pk), stdout=out)
    assert ImportBatch.objects.get(pk=crashed.pk).status == "failed"
    with pytest.raises(CommandError):
        call_command("imports", "reset", "999999", stdout=out)
