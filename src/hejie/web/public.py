"""Pages of the "public" area (see web/urls.py)."""

from __future__ import annotations

urlpatterns: list = []
