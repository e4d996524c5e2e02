"""The in-app notices list (see web/urls.py)."""

from __future__ import annotations

urlpatterns: list = []
