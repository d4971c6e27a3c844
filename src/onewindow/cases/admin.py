"""Admin of case handling: read-only views for system administrators (every change goes through the
services and the staff pages). Personal data stays masked here too: the contact phone and the
application form (which may hold phone or ID numbers) are never shown (ARCHITECTURE rule 6)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from onewindow.core.admin import ReadOnlyAdmin
from onewindow.core.masking import mask_name

from .models import Case, CaseEvent, Document, Licence


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("created_at", "action", "from_status", "to_status", "actor_label", "department",
                                "note", "public")
    ordering = ["id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["number", "status", "title", "channel", "receiving_department", "handling_department",
                    "deadline_level", "due_date", "submitted_at"]
    list_filter = ["status", "channel", "deadline_level"]
    search_fields = ["=number", "=query_code"]
    list_select_related = ["receiving_department", "handling_department"]
    fields = readonly_fields = ("number", "query_code", "status", "channel", "item", "item_version", "title",
                                "applicant", "receiving_department", "handling_department", "handler",
                                "phone_masked", "delivery_method", "refusal_reason", "deadline_level", "due_date",
                                "created_at", "submitted_at", "accepted_at", "forwarded_at", "decided_at",
                                "delivered_at", "closed_at")
    inlines = [CaseEventInline]

    @admin.display(description=_("申请人"))
    def applicant(self, obj: Case) -> str:
        if obj.applicant_person_id and obj.applicant_person is not None:
            return mask_name(obj.applicant_person.name)
        return obj.applicant_organization.name if obj.applicant_organization is not None else ""

    @admin.display(description=_("联系电话"))
    def phone_masked(self, obj: Case) -> str:
        return f"*******{obj.phone_tail}" if obj.phone_tail else ""


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["number", "kind", "case", "department", "issued_at"]
    list_filter = ["kind"]
    search_fields = ["=number", "=case__number"]
    list_select_related = ["case", "department"]
    fields = readonly_fields = ("number", "kind", "case", "department", "content", "issued_by", "issued_at")


@admin.register(Licence)
class LicenceAdmin(ReadOnlyAdmin):
    list_display = ["number", "name", "case", "department", "valid_from", "valid_to", "issued_at"]
    search_fields = ["=number", "=case__number"]
    list_select_related = ["case", "department"]
    fields = readonly_fields = ("number", "name", "case", "holder", "department", "valid_from", "valid_to",
                                "issued_at")

    @admin.display(description=_("持证人"))
    def holder(self, obj: Licence) -> str:
        if obj.holder_person is not None:
            return mask_name(obj.holder_person.name)
        return obj.holder_organization.name if obj.holder_organization is not None else ""
