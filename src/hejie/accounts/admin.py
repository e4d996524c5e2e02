from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy

from hejie.accounts.models import ApiToken, CodeFailure, OneTimeCode, PasswordFailure, User
from hejie.audit.services import Action, audit_record, changes
from hejie.core import clock

# The fields of an account whose change is a change of role or of rights.
AUDITED_USER_FIELDS = ("role", "business", "is_business_admin", "region", "partner", "sees_personal_data",
                       "audit_supervisor", "is_active", "is_staff", "is_superuser", "groups", "user_permissions")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (gettext_lazy("和解"), {"fields": ("role", "phone", "display_name", "business", "is_business_admin", "region",
                                   "sees_personal_data", "audit_supervisor")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (gettext_lazy("和解"),
         {"fields": ("role", "phone", "display_name", "business", "is_business_admin", "region")}),
    )
    list_display = ("username", "display_name", "role", "masked_phone", "business", "region", "is_active", "is_staff")
    list_filter = ("role", "is_active", "is_staff", "is_business_admin")
    search_fields = ("username", "display_name", "phone", "email", "business__name", "business__credit_code")
    raw_id_fields = ("business", "region")
    list_select_related = ("business", "region")

    @admin.display(description="phone")
    def masked_phone(self, obj):
        return obj.masked_phone

    def save_model(self, request, obj, form, change):
        """A change of role or of a right (who may see personal data, read the audit trail, use the
        admin) is recorded in the audit trail, with what it was and what it became."""
        super().save_model(request, obj, form, change)
        changed = [name for name in form.changed_data if name in AUDITED_USER_FIELDS]
        if changed or not change:
            audit_record(actor=request.user, action=Action.USER_CHANGE, object_type="user", object_id=obj.pk,
                         jurisdiction=obj.region_id or "",
                         detail={"username": obj.username, "added": not change,
                                 "changes": changes(form, changed, change=change)})


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made by `hejie token` (the raw key is shown once); here they are seen and revoked."""

    list_display = ("prefix", "user", "label", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "label", "user__username")
    readonly_fields = ("user", "key_hash", "prefix", "created_at", "last_used_at", "revoked_at")
    fields = ("user", "label", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at")
    list_select_related = ("user",)
    actions = ("revoke",)

    def has_add_permission(self, request):
        return False

    @admin.action(description=gettext_lazy("吊销所选令牌"))
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=clock.now())
        self.message_user(request, f"revoked {count} token(s)")


@admin.register(OneTimeCode)
class OneTimeCodeAdmin(admin.ModelAdmin):
    """Read-only: the codes themselves are never stored, only their HMAC."""

    list_display = ("phone", "ip", "created_at", "expires_at", "attempts", "used_at")
    search_fields = ("phone", "ip")
    readonly_fields = ("phone", "code_hash", "ip", "created_at", "expires_at", "attempts", "used_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PasswordFailure)
class PasswordFailureAdmin(admin.ModelAdmin):
    """Wrong passwords of the last day (every face: the pages, the API, this admin), to see who is being
    guessed at and from where. An address cools off per account (``hejie.accounts.throttle``); an operator
    lifts that by clearing the rows (they keep counting for their address)."""

    list_display = ("username", "ip", "at", "cleared_at")
    list_filter = ("cleared_at",)
    search_fields = ("username", "ip")
    readonly_fields = ("username", "ip", "at", "cleared_at")
    actions = ("clear",)

    def has_add_permission(self, request):
        return False

    @admin.action(description=gettext_lazy("解除所选账号的锁定"))
    def clear(self, request, queryset):
        count = queryset.filter(cleared_at__isnull=True).update(cleared_at=clock.now())
        self.message_user(request, f"cleared {count} failure(s)")


@admin.register(CodeFailure)
class CodeFailureAdmin(admin.ModelAdmin):
    """Wrong SMS codes of the last day (signing in, joining, claiming, a staff mobile), to see which phones
    are being guessed at and from where. An address cools off per phone (``hejie.accounts.throttle``);
    an operator lifts that by clearing the rows (they keep counting for their address)."""

    list_display = ("phone", "purpose", "ip", "at", "cleared_at")
    list_filter = ("purpose", "cleared_at")
    search_fields = ("phone", "ip")
    readonly_fields = ("phone", "purpose", "ip", "at", "cleared_at")
    actions = ("clear",)

    def has_add_permission(self, request):
        return False

    @admin.action(description=gettext_lazy("解除所选号码在该网络的限制"))
    def clear(self, request, queryset):
        count = queryset.filter(cleared_at__isnull=True).update(cleared_at=clock.now())
        self.message_user(request, f"cleared {count} failure(s)")
