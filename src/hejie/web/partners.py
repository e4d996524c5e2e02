"""Pages of the "partners" area (see web/urls.py)."""

from __future__ import annotations

urlpatterns: list = []
