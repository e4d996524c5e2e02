"""Operator admin for industries, businesses and their stores.

Status changes go through the services (actions below), never by editing the
field, so the same checks, locks and notifications apply as everywhere else.
Businesses join through ``business_apply``; the admin does not create them.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from hejie.businesses import services
from hejie.businesses.models import Business, Industry, Store
from hejie.businesses.names import initials_for
from hejie.core.errors import DomainError


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "position"]
    list_editable = ["position"]
    search_fields = ["code", "name", "name_en"]
    ordering = ["position", "code"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []


class StoreInline(admin.TabularInline):
    model = Store
    extra = 0
    fields = ["name", "region", "address", "is_active"]
    autocomplete_fields = ["region"]


class StatusActionForm(ActionForm):
    reason = forms.CharField(
        label=gettext_lazy("原因"),
        required=False,
        max_length=services.REASON_MAX,
        help_text=gettext_lazy("驳回、暂停时必填"),
    )


@admin.register(Business)
class BusinessAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "industry", "region", "status", "created_at", "star_rating"]
    list_filter = ["status", "industry", "region_l1", "created_at"]
    search_fields = ["name", "^name_initials", "^credit_code", "contact_phone"]
    list_select_related = ["industry", "region"]
    date_hierarchy = "created_at"
    inlines = [StoreInline]
    action_form = StatusActionForm
    actions = ["approve", "refuse", "suspend", "reactivate"]
    readonly_fields = [
        "credit_code",
        "region",
        "region_l1",
        "region_l2",
        "region_l3",
        "name_initials",
        "status",
        "status_reason",
        "created_at",
        "approved_at",
        "credit_index",
        "star_rating",
        "rated_cases",
        "rating_updated_at",
        "rating_expires_at",
    ]
    fieldsets = [
        (None, {"fields": ["name", "name_initials", "credit_code", "industry"]}),
        (gettext_lazy("地区"), {"fields": ["region", "region_l1", "region_l2", "region_l3", "address"]}),
        (gettext_lazy("联系人"), {"fields": ["contact_name", "contact_phone", "contact_email"]}),
        (gettext_lazy("状态"), {"fields": ["status", "status_reason", "created_at", "approved_at"]}),
        (
            gettext_lazy("评价"),
            {"fields": ["credit_index", "star_rating", "rated_cases", "rating_updated_at", "rating_expires_at"]},
        ),
    ]

    def has_add_permission(self, request):
        return False  # businesses join through business_apply

    def save_model(self, request, obj, form, change):
        if "name" in form.changed_data:
            obj.name_initials = initials_for(obj.name)
        super().save_model(request, obj, form, change)

    def _apply(self, request, queryset, service, *, needs_reason: bool = False):
        reason = (request.POST.get("reason") or "").strip()
        if needs_reason and not reason:
            self.message_user(request, _("请填写原因"), messages.ERROR)
            return
        done = 0
        for business in queryset:
            kwargs = {"reason": reason} if needs_reason else {}
            try:
                service(actor=request.user, business=business, **kwargs)
            except DomainError as e:
                self.message_user(request, f"{business.name}: {e.message}", messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(request, ngettext("已处理 %(n)d 家商户", "已处理 %(n)d 家商户", done) % {"n": done},
                              messages.SUCCESS)

    @admin.action(description=gettext_lazy("通过入驻"), permissions=["change"])
    def approve(self, request, queryset):
        self._apply(request, queryset, services.business_approve)

    @admin.action(description=gettext_lazy("驳回入驻（填写原因）"), permissions=["change"])
    def refuse(self, request, queryset):
        self._apply(request, queryset, services.business_refuse, needs_reason=True)

    @admin.action(description=gettext_lazy("暂停（填写原因）"), permissions=["change"])
    def suspend(self, request, queryset):
        self._apply(request, queryset, services.business_suspend, needs_reason=True)

    @admin.action(description=gettext_lazy("恢复"), permissions=["change"])
    def reactivate(self, request, queryset):
        self._apply(request, queryset, services.business_reactivate)


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["name", "business", "region", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "business__name", "address"]
    list_select_related = ["business", "region"]
    autocomplete_fields = ["business", "region"]
