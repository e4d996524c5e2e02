from django.contrib import admin

from hejie.partners.models import ImportBatch, ImportRow, Partner


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region", "status", "onboard_status", "approved_at"]
    list_filter = ["kind", "status", "onboard_status"]
    search_fields = ["name"]
    raw_id_fields = ["region"]


@admin.register(ImportRow)
class ImportRowAdmin(admin.ModelAdmin):
    """Rows page 100 at a time (a batch can hold 100,000): filter by batch id in the URL (?batch__id__exact=)."""

    list_display = ["batch", "line", "outcome", "reason", "business"]
    list_filter = ["outcome"]
    readonly_fields = ["batch", "line", "data", "outcome", "reason", "business"]
    list_select_related = ["batch", "business"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["id", "partner", "filename", "status", "total_rows", "accepted", "refused", "already",
                    "rows_done", "created", "created_at"]
    list_filter = ["status"]
    readonly_fields = ["partner", "created_by", "filename", "sha256", "status", "total_rows", "accepted", "refused",
                       "already", "rows_done", "created", "error", "created_at", "committed_at"]
    search_fields = ["partner__name", "filename", "sha256"]

    def has_add_permission(self, request):
        return False
