from django.contrib import admin

from hejie.ratings.models import BlacklistEntry


@admin.register(BlacklistEntry)
class BlacklistEntryAdmin(admin.ModelAdmin):
    list_display = ["business", "status", "rule", "created_at", "decided_at", "decided_by"]
    list_filter = ["status", "rule"]
    search_fields = ["business__name", "business__credit_code"]
    raw_id_fields = ["business", "decided_by"]
    filter_horizontal = []

    def get_readonly_fields(self, request, obj=None):
        return ["business", "rule", "reason", "created_at", "cases", "decided_at", "decided_by", "status"]

    def has_add_permission(self, request):
        return False
