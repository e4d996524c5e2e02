"""Operator views. Orders are read-only here: every change goes through the
services (and so through the transition table and the timeline)."""

from django.contrib import admin

from hejie.audit.services import Action, audit_record, changes
from hejie.complaints.models import Complaint, ComplaintEvent, Evidence, Mediation, Message, Policy, Proposal, Urge
from hejie.core import clock


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    model = ComplaintEvent
    fields = ["created_at", "type", "side", "actor", "state_from", "state_to", "payload"]


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ["created_at", "side", "author", "body"]


class ProposalInline(ReadOnlyInline):
    model = Proposal
    fields = ["created_at", "side", "terms", "amount", "status", "reply_by", "decided_at"]


class UrgeInline(ReadOnlyInline):
    model = Urge
    fields = ["created_at", "kind", "reason", "note", "created_by", "acknowledged_at"]


class EvidenceInline(ReadOnlyInline):
    model = Evidence
    fields = ["created_at", "side", "original_name", "kind", "size"]


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ["number", "state", "business", "business_name_given", "region", "delivered_at", "settle_by",
                    "stars", "credit_points"]
    list_filter = ["state", "problem_type", "claim_type", "region_l1"]
    search_fields = ["number", "business__name", "business_name_given", "order_ref"]
    date_hierarchy = "created_at"
    list_select_related = ["business", "region"]
    raw_id_fields = ["consumer", "business", "store", "region"]
    inlines = [EventInline, MessageInline, ProposalInline, UrgeInline, EvidenceInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    """The one policy table. A change applies to transitions made after it."""

    list_display = ["__str__", "first_response_hours", "settle_days", "consumer_silence_days", "review_workdays",
                    "mediation_workdays", "appeal_workdays", "updated_at"]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request):
        return not Policy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.updated_at = clock.now()
        super().save_model(request, obj, form, change)
        audit_record(actor=request.user, action=Action.POLICY_EDIT, object_type="policy", object_id=obj.pk,
                     detail={"changes": changes(form, list(form.changed_data), change=change), "added": not change})


@admin.register(Mediation)
class MediationAdmin(admin.ModelAdmin):
    list_display = ["complaint", "requested_at", "mediator", "outcome", "decide_by", "decided_at"]
    list_filter = ["outcome"]
    raw_id_fields = ["complaint", "requested_by", "mediator", "extended_by"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False
