"""Admin of the market-entity registry and the 联合惩戒 lists: read-only (writes go through the
registry services, the import and the sanction services, which version and audit every change;
the admin is never a back door)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from onewindow.core.admin import ReadOnlyAdmin

from .models import EntityImport, EntityProfile, EntityVersion, Industry, SanctionEvent, SanctionListing


@admin.register(Industry)
class IndustryAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "level", "section"]
    list_filter = ["level", "section"]
    search_fields = ["=code", "name"]
    fields = readonly_fields = ("code", "name", "level", "section", "parent")


@admin.register(EntityProfile)
class EntityProfileAdmin(ReadOnlyAdmin):
    list_display = ["credit_code", "name", "entity_type", "status", "district", "street", "industry", "risk_grade"]
    list_filter = ["entity_type", "status", "risk_grade"]
    search_fields = ["=organization__credit_code"]
    list_select_related = ["organization", "district", "street", "industry"]
    fields = readonly_fields = ("organization", "registration_number", "entity_type", "id_number_masked",
                                "phone_masked", "address", "district", "street", "industry", "registered_capital",
                                "currency", "established_on", "approved_on", "status", "status_on",
                                "business_scope", "risk_grade", "risk_graded_on", "risk_source", "version",
                                "updated_at")

    @admin.display(description=_("统一社会信用代码"))
    def credit_code(self, obj: EntityProfile) -> str:
        return obj.organization.credit_code

    @admin.display(description=_("名称"))
    def name(self, obj: EntityProfile) -> str:
        return obj.organization.name

    @admin.display(description=_("法定代表人证件号码"))
    def id_number_masked(self, obj: EntityProfile) -> str:
        return obj.legal_rep_id_number_masked

    @admin.display(description=_("法定代表人联系电话"))
    def phone_masked(self, obj: EntityProfile) -> str:
        return obj.legal_rep_phone_masked


@admin.register(EntityVersion)
class EntityVersionAdmin(ReadOnlyAdmin):
    list_display = ["organization", "number", "kind", "at", "by", "by_label"]
    list_filter = ["kind"]
    search_fields = ["=organization__credit_code"]
    list_select_related = ["organization", "by"]
    fields = readonly_fields = ("organization", "number", "kind", "at", "by", "by_label", "before", "after")


@admin.register(EntityImport)
class EntityImportAdmin(ReadOnlyAdmin):
    list_display = ["file_name", "status", "started_at", "rows_total", "rows_created", "rows_updated", "rows_failed"]
    list_filter = ["status"]
    fields = readonly_fields = ("file_name", "by", "by_label", "status", "encoding", "started_at", "finished_at",
                                "rows_total", "rows_created", "rows_updated", "rows_unchanged", "rows_failed",
                                "message", "errors")


@admin.register(SanctionListing)
class SanctionListingAdmin(ReadOnlyAdmin):
    """联合惩戒名单条目, read-only: :mod:`onewindow.market.services.sanctions` is the only writer (a
    listing, a correction and a credit repair each leave an event and an audit entry). A listed
    person's name and ID number are shown masked (个人信息保护法 art. 51)."""

    list_display = ["subject", "list_kind", "department", "listed_on", "removable_on", "status", "source_id"]
    list_filter = ["list_kind", "status", "subject_type"]
    search_fields = ["=credit_code", "=source_id"]
    list_select_related = ["department"]
    date_hierarchy = "listed_on"
    fields = readonly_fields = (
        "list_kind",
        "subject_type",
        "credit_code",
        "subject",
        "id_number_masked",
        "reason",
        "legal_basis",
        "department",
        "source_id",
        "listed_on",
        "removable_on",
        "measures",
        "refused_items",
        "refused_item_types",
        "draw_weight",
        "status",
        "revision",
        "channel",
        "created_at",
        "created_by",
        "updated_at",
        "repair_reason",
        "repair_requested_at",
        "decision_note",
        "removed_on",
    )

    @admin.display(description=_("主体"))
    def subject(self, obj: SanctionListing) -> str:
        return obj.subject_label

    @admin.display(description=_("证件号码"))
    def id_number_masked(self, obj: SanctionListing) -> str:
        return obj.id_number_masked


@admin.register(SanctionEvent)
class SanctionEventAdmin(ReadOnlyAdmin):
    """名单条目记录 (append-only, written with each sanction service's action)."""

    list_display = ["listing", "action", "from_status", "to_status", "at", "by_label"]
    list_filter = ["action", "listing__list_kind"]
    search_fields = ["=listing__credit_code", "=listing__source_id"]
    list_select_related = ["listing"]
    fields = readonly_fields = ("listing", "action", "from_status", "to_status", "at", "by", "by_label", "note", "data")
