import datetime as dt
import os

import pytest
from django.utils import timezone

from hejie.core import clock


@pytest.fixture
def offset_file(tmp_path, monkeypatch):
    path = tmp_path / "clock"
    monkeypatch.setattr(clock, "_offset_file", clock.OffsetFile(str(path)))
    return path


def _write(path, text, bump):
    path.write_text(text)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + bump))  # a new stamp even within one tick


def test_the_file_moves_the_clock_and_is_read_again_when_it_changes(offset_file):
    assert abs(clock.now() - timezone.now()) < dt.timedelta(seconds=1)  # no file yet: real time
    _write(offset_file, "1209601", 1)
    assert abs(clock.now() - timezone.now() - dt.timedelta(days=14, seconds=1)) < dt.timedelta(seconds=1)
    _write(offset_file, "-3600.5\n", 2)
    assert abs(clock.now() - timezone.now() + dt.timedelta(seconds=3600.5)) < dt.timedelta(seconds=1)
    _write(offset_file, "", 3)
    assert abs(clock.now() - timezone.now()) < dt.timedelta(seconds=1)
    with clock.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)):  # travel() still wins
        assert clock.now() == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_a_file_that_is_not_a_number_is_an_error_that_says_so(offset_file):
    _write(offset_file, "tomorrow", 1)
    with pytest.raises(ValueError, match="not a number of seconds: 'tomorrow'"):
        clock.now()


def test_production_settings_refuse_a_moved_clock(tmp_path):
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("HEJIE_")}
    env |= {"HEJIE_PRODUCTION": "1", "HEJIE_CLOCK_FILE": str(tmp_path / "clock"), "HEJIE_DATA_DIR": str(tmp_path),
            "HEJIE_SECRET_KEY": "a-strong-test-key-" + "k7Qz9" * 10, "HEJIE_ALLOWED_HOSTS": "hejie.example",
            "DJANGO_SETTINGS_MODULE": "hejie.settings"}
    done = subprocess.run([sys.executable, "-c", "from django.conf import settings; settings.INSTALLED_APPS"],  # noqa: S603
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "HEJIE_CLOCK_FILE moves the clock: it is for tests, not with HEJIE_PRODUCTION=1" in done.stderr
