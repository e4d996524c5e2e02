from django.contrib import admin, messages

from hejie.notifications.models import ChannelSettings, Delivery, DigestRun, Notification
from hejie.notifications.services import delivery_resend


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "event", "title", "created_at", "read_at"]
    list_filter = ["event"]
    raw_id_fields = ["user", "complaint"]
    search_fields = ["title", "user__username"]

    def has_add_permission(self, request):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Every outgoing message and what became of it; the failed ones can be sent again."""

    list_display = ["created_at", "channel", "to", "kind", "title", "status", "attempts", "error_code", "sent_at"]
    list_filter = ["status", "channel", "kind", "provider"]
    search_fields = ["to", "title", "provider_id", "user__username"]
    date_hierarchy = "created_at"
    raw_id_fields = ["user", "notification", "fallback_of", "resent_from"]
    actions = ["resend"]
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Send the selected failed messages again")
    def resend(self, request, queryset):
        done, refused = 0, []
        for delivery in queryset:
            try:
                delivery_resend(delivery=delivery)
                done += 1
            except ValueError as exc:
                refused.append(f"#{delivery.pk}: {exc}")
        if done:
            self.message_user(request, f"{done} message(s) queued again.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)


@admin.register(ChannelSettings)
class ChannelSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "language", "quiet_hours", "quiet_start", "quiet_end", "updated_at"]
    raw_id_fields = ["user"]
    search_fields = ["user__username"]


@admin.register(DigestRun)
class DigestRunAdmin(admin.ModelAdmin):
    """Whose daily digest was examined on which day; no notice: they had nothing to report."""

    list_display = ["user", "day", "notification", "created_at"]
    list_filter = ["day"]
    raw_id_fields = ["user", "notification"]
    search_fields = ["user__username"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
