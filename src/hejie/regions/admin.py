"""Administrative divisions, read-only: they come from the MCA table (``regions.loader``)."""

from __future__ import annotations

from django.contrib import admin

from hejie.regions.models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "full_name", "parent"]
    list_filter = ["level"]
    search_fields = ["^code", "name", "full_name"]
    list_select_related = ["parent"]
    ordering = ["code"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
