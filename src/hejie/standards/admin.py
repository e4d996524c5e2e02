"""Operator views of service standards. Read-only: drafting, clauses and
publishing go through the services (the API, or the publish action here), so
a published version can never be edited by hand."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext, gettext_lazy

from hejie.core.errors import DomainError
from hejie.standards import services
from hejie.standards.models import ServiceStandard, StandardAcceptance, StandardClause, StandardVersion


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VersionInline(ReadOnlyMixin, admin.TabularInline):
    model = StandardVersion
    extra = 0
    fields = ["version", "status", "published_at", "withdrawn_at"]
    show_change_link = True


class ClauseInline(ReadOnlyMixin, admin.TabularInline):
    model = StandardClause
    extra = 0
    fields = ["number", "text"]


@admin.register(ServiceStandard)
class ServiceStandardAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["title", "industry", "publisher_name", "created_at"]
    list_filter = ["industry"]
    search_fields = ["title", "publisher_name"]
    inlines = [VersionInline]


@admin.register(StandardVersion)
class StandardVersionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["standard", "version", "status", "published_at", "withdrawn_at"]
    list_filter = ["status", "standard__industry"]
    list_select_related = ["standard"]
    inlines = [ClauseInline]
    actions = ["publish"]

    @admin.action(description=gettext_lazy("发布所选草稿"))
    def publish(self, request, queryset):
        for version in queryset:
            try:
                services.version_publish(actor=request.user, standard=version.standard_id, version=version.version)
            except DomainError as exc:
                self.message_user(request, f"{version}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{version}: {gettext('已发布')}")


@admin.register(StandardAcceptance)
class StandardAcceptanceAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["business", "version", "accepted_at", "accepted_by"]
    list_select_related = ["business", "version__standard", "accepted_by"]
    search_fields = ["business__name"]
