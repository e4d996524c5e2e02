from django.contrib import admin

from hejie.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "event", "title", "created_at", "read_at"]
    list_filter = ["event"]
    raw_id_fields = ["user", "complaint"]
    search_fields = ["title", "user__username"]

    def has_add_permission(self, request):
        return False
