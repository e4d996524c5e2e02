"""Operators: endpoints (the secret is never shown) and the delivery log (read-only)."""

from django.contrib import admin

from hejie.webhooks.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "business", "is_active", "description", "created_at"]
    list_filter = ["is_active"]
    list_select_related = ["business"]
    search_fields = ["url", "business__name"]
    raw_id_fields = ["business", "created_by"]
    fields = ["business", "url", "description", "is_active", "created_at", "created_by"]
    readonly_fields = ["business", "url", "created_at", "created_by"]

    def has_add_permission(self, request):
        return False  # a business registers its endpoints (and receives the secret) through the API


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "endpoint", "event_type", "kind", "status", "attempts", "last_status_code",
                    "created_at", "last_attempt_at", "next_attempt_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["endpoint"]
    raw_id_fields = ["endpoint", "event"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
