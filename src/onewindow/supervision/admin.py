"""Django admin of supervision: the officer roster (执法人员名录库) with specialties and declared
conflicts, the 双告知 mapping table, and the 双告知 notices and tasks read-only.

The admin is never a back door (issue #10, ``core.admin.ServiceAdminMixin``): an officer is added
and changed through ``officer_create`` / ``officer_update``, a conflict is declared through
``officer_conflict_declare`` and withdrawn through ``officer_conflict_withdraw``, a rule is
written through ``licence_rule_create`` / ``licence_rule_update`` — the same checks and audit
entries as the pages — and a refusal shows as an error message with the whole page rolled back.
Nothing here is deleted (draws, notices and inspections refer to officers and rules;
``active_to`` and ``is_active`` end them).

Notices and tasks have one writer, the 双告知 workflow (``services.dual_notice_dispatch`` and the
task services: receive, claim, answer, reminders): here they are only listed and viewed — no
add, change or delete (DOMAIN.md R5.1).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from onewindow.core.admin import ReadOnlyAdmin, ServiceAdminMixin

from . import rules
from .choices import Specialty
from .models import DualNotice, DualNoticeTask, DualNoticeTaskEvent, LicenceRule, Officer, OfficerConflict
from .services import (
    licence_rule_create,
    licence_rule_update,
    officer_conflict_declare,
    officer_conflict_withdraw,
    officer_create,
    officer_update,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# ---- officers -------------------------------------------------------------------------------


class OfficerForm(forms.ModelForm):
    """The officer's entry; the specialties are one multiple choice (rows of OfficerSpecialty)."""

    specialty_codes = forms.MultipleChoiceField(
        label=_("专长"), choices=Specialty.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Officer
        fields = ["department", "name", "certificate_number", "user", "areas", "active_from", "active_to"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["specialty_codes"].initial = list(self.instance.specialties.values_list("specialty", flat=True))


class ConflictHistoryForm(forms.ModelForm):
    withdraw = forms.BooleanField(label=_("撤销"), required=False)

    class Meta:
        model = OfficerConflict
        fields: list[str] = []


class OfficerConflictInline(admin.TabularInline):
    """Declared conflicts (回避关系), as history; ticking 撤销 withdraws a standing one through
    ``officer_conflict_withdraw`` (audited, kept as history)."""

    model = OfficerConflict
    form = ConflictHistoryForm
    extra = 0
    can_delete = False
    readonly_fields = ("organization", "relation", "note", "declared_at", "declared_by", "withdrawn_at", "withdrawn_by")
    fields = (*readonly_fields, "withdraw")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OfficerConflictDeclareInline(admin.TabularInline):
    """New declarations only (申报回避): each row goes through ``officer_conflict_declare``."""

    model = OfficerConflict
    extra = 0
    can_delete = False
    fields = ["organization", "relation", "note"]
    raw_id_fields = ["organization"]
    verbose_name = _("申报回避关系")
    verbose_name_plural = _("申报回避关系")

    def get_queryset(self, request: HttpRequest) -> QuerySet[OfficerConflict]:
        return super().get_queryset(request).none()


@admin.register(Officer)
class OfficerAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Adding and changing go through the officer services (audited); the department of an officer
    is fixed once added (one who moves is ended and added anew). Never deleted."""

    form = OfficerForm
    list_display = ["name", "certificate_number", "department", "active_from", "active_to"]
    list_filter = ["department", "specialties__specialty"]
    search_fields = ["name", "=certificate_number"]
    list_select_related = ["department"]
    raw_id_fields = ["department", "user", "areas"]
    inlines = [OfficerConflictInline, OfficerConflictDeclareInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Officer]:
        return super().get_queryset(request).distinct()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["department"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Officer, form: Any, change: bool) -> None:
        data = form.cleaned_data
        values = {
            "name": data["name"],
            "certificate_number": data["certificate_number"],
            "active_from": data["active_from"],
            "active_to": data.get("active_to"),
            "specialties": data.get("specialty_codes") or [],
            "area_ids": [region.pk for region in data.get("areas") or []],
            "user_id": data["user"].pk if data.get("user") else None,
        }
        if change:
            officer_update(by=request.user, officer_id=obj.pk, **values)
            return
        created = officer_create(by=request.user, department_id=data["department"].pk, **values)
        obj.pk, obj._state.adding = created.pk, False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The areas were set by the service; only the inline's new conflicts are left.
        for formset in formsets:
            self.save_formset(request, form, formset, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not OfficerConflict:
            return
        if issubclass(formset.form, ConflictHistoryForm):
            for row in formset.forms:
                conflict = row.instance
                if row.cleaned_data.get("withdraw") and conflict.pk is not None and conflict.withdrawn_at is None:
                    officer_conflict_withdraw(by=request.user, conflict_id=conflict.pk)
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        for row in formset.forms:
            if row.instance.pk is None and row.has_changed() and row.cleaned_data:
                officer_conflict_declare(
                    by=request.user,
                    officer_id=form.instance.pk,
                    organization_id=row.cleaned_data["organization"].pk,
                    relation=row.cleaned_data["relation"],
                    note=row.cleaned_data.get("note", ""),
                )
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


# ---- the 双告知 mapping table ---------------------------------------------------------------


class LicenceRuleForm(forms.ModelForm):
    """Prefixes and keywords as text (separated by commas, 、 or new lines), as the rule pages take them."""

    industry_prefixes = forms.CharField(
        label=_("行业代码前缀"),
        required=False,
        help_text=_("GB/T 4754-2017 门类、大类、中类或小类代码，如 62、5251"),
    )
    keywords = forms.CharField(label=_("经营范围关键词"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    class Meta:
        model = LicenceRule
        fields = [
            "licence_name",
            "industry_prefixes",
            "keywords",
            "item",
            "department",
            "region_prefix",
            "basis",
            "is_active",
            "sort_order",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["industry_prefixes"] = "、".join(self.instance.industry_prefixes or [])
            self.initial["keywords"] = "、".join(self.instance.keywords or [])

    def clean_industry_prefixes(self) -> list[str]:
        return rules.parse_list(self.cleaned_data.get("industry_prefixes") or "")

    def clean_keywords(self) -> list[str]:
        return rules.parse_list(self.cleaned_data.get("keywords") or "")


@admin.register(LicenceRule)
class LicenceRuleAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Through ``licence_rule_create`` / ``licence_rule_update`` (system admins, audited); a rule
    is retired with 启用 off, never deleted (notices name the rule they came from)."""

    form = LicenceRuleForm
    list_display = ["licence_name", "department", "item", "region_prefix", "is_active", "sort_order"]
    list_filter = ["is_active", "department"]
    search_fields = ["licence_name", "basis"]
    list_select_related = ["department", "item"]
    raw_id_fields = ["item", "department"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: LicenceRule, form: Any, change: bool) -> None:
        data = form.cleaned_data
        values = {
            "licence_name": data["licence_name"],
            "industry_prefixes": data.get("industry_prefixes") or [],
            "keywords": data.get("keywords") or [],
            "item_code": data["item"].code if data.get("item") else "",
            "department_id": data["department"].pk if data.get("department") else None,
            "region_prefix": data.get("region_prefix") or "",
            "basis": data.get("basis") or "",
            "is_active": bool(data.get("is_active")),
            "sort_order": data.get("sort_order", 100),
        }
        if change:
            licence_rule_update(by=request.user, rule_id=obj.pk, **values)
            return
        created = licence_rule_create(by=request.user, **values)
        obj.pk, obj._state.adding = created.pk, False


# ---- notices and tasks, read-only -------------------------------------------------------------


class DualNoticeTaskInline(ReadOnlyInline):
    model = DualNoticeTask
    fields = readonly_fields = (
        "department",
        "status",
        "licences",
        "due_date",
        "answer",
        "answered_late",
        "answered_at",
    )
    show_change_link = True


@admin.register(DualNotice)
class DualNoticeAdmin(ReadOnlyAdmin):
    """双告知书, read-only: the workflow is their only writer. Search by number or credit code;
    filters by the status and department of the notice's tasks."""

    list_display = ["number", "entity_name", "credit_code", "change_kind", "notified_on"]
    list_filter = ["change_kind", "tasks__status", "tasks__department"]
    search_fields = ["=number", "=credit_code", "entity_name"]
    date_hierarchy = "notified_on"
    inlines = [DualNoticeTaskInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DualNotice]:
        return super().get_queryset(request).distinct()


class DualNoticeTaskEventInline(ReadOnlyInline):
    model = DualNoticeTaskEvent
    fields = readonly_fields = (
        "created_at",
        "action",
        "from_status",
        "to_status",
        "actor_label",
        "department",
        "note",
    )


@admin.register(DualNoticeTask)
class DualNoticeTaskAdmin(ReadOnlyAdmin):
    """双告知任务, read-only with its timeline: receive, claim and answer go through the task
    pages and API (the workflow's guards), never through the admin."""

    list_display = ["notice", "department", "status", "due_date", "answer", "answered_late"]
    list_filter = ["status", "department", "answered_late"]
    search_fields = ["=notice__number", "=notice__credit_code"]
    list_select_related = ["notice", "department"]
    date_hierarchy = "due_date"
    inlines = [DualNoticeTaskEventInline]
