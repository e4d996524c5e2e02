"""Pages of the "council" area (see web/urls.py)."""

from __future__ import annotations

urlpatterns: list = []
