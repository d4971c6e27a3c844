"""Admin of core reference data; the audit trail is read-only.

:class:`ServiceAdminMixin` is the house rule for every ModelAdmin that writes (issue #10): the
admin is an interface like the pages and the API, so its ``save_model`` / ``save_formset`` /
``delete_model`` / actions call the app's services (lock, guard, mutate, audit). A refusal a
service raises (``DomainError``) becomes an error message on the page, and the admin's own
transaction around the change form is rolled back, so nothing is half-written.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from . import services
from .errors import DomainError
from .models import AuditCheckpoint, AuditEntry, CalendarDay, CalendarYear, Department, Region, ScheduledJob


class ServiceAdminMixin:
    """Mix into a ModelAdmin whose writes go through services: a service's refusal shows as an
    admin error message (no 500) and rolls the whole form back (Django runs the change and delete
    views in one transaction, left here by the exception). Actions call :meth:`refuse_on_error`."""

    def changeform_view(self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
                        extra_context: Any = None) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc, no-any-return]
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return HttpResponseRedirect(request.get_full_path())

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        try:  # list_editable saves run in the changelist's own transaction
            return super().changelist_view(request, extra_context)  # type: ignore[misc, no-any-return]
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)  # type: ignore[misc, no-any-return]
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return HttpResponseRedirect(request.get_full_path())


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    """Read-only: regions come from the versioned division table (``core_load_regions`` →
    ``services.regions_load``, audited); an edit here would be lost at the next load."""

    list_display = ["code", "name", "level", "kind", "parent", "valid_from", "valid_to"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]


@admin.register(Department)
class DepartmentAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Adding and changing go through ``department_create`` / ``department_update`` (audited);
    departments are never deleted (cases, items and staff roles refer to them): set 有效 off."""

    list_display = ["code", "name", "short_name", "level", "region", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name", "short_name"]
    autocomplete_fields = ["region"]
    list_select_related = ["region"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Department, form: Any, change: bool) -> None:
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data
                    if name in services.DEPARTMENT_FIELDS}
            services.department_update(by=request.user, department_id=obj.pk, **data)
            return
        data = {name: form.cleaned_data[name] for name in services.DEPARTMENT_FIELDS if name in form.cleaned_data}
        created = services.department_create(by=request.user, code=form.cleaned_data["code"], **data)
        obj.pk = created.pk


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Every save and delete goes through ``core.services`` (audited, and the running clocks over
    the day are recomputed, issue #10); the date of a saved row is not edited (delete and add)."""

    list_display = ["date", "is_working_day", "name", "note"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"
    search_fields = ["name", "note"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["date"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        saved = services.calendar_day_set(by=request.user, date=obj.date, is_working_day=obj.is_working_day,
                                          name=obj.name, note=obj.note)
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        services.calendar_day_delete(by=request.user, date=obj.date)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for day in list(queryset.order_by("date").values_list("date", flat=True)):
            services.calendar_day_delete(by=request.user, date=day)


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """Years whose holiday notice is entered completely; through ``core.services`` (audited)."""

    list_display = ["year", "note", "created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["year"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: CalendarYear, form: Any, change: bool) -> None:
        saved = services.calendar_year_confirm(by=request.user, year=obj.year, note=obj.note)
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: CalendarYear) -> None:
        services.calendar_year_withdraw(by=request.user, year=obj.year)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for year in list(queryset.values_list("year", flat=True)):
            services.calendar_year_withdraw(by=request.user, year=year)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "actor_label", "role", "action", "target_type", "target_id",
                    "channel", "ip", "seq"]
    list_filter = ["action", "channel", "actor_kind"]
    search_fields = ["action", "actor_label", "target_id", "request_id"]
    date_hierarchy = "created_at"


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["last_seq", "last_entry_id", "hash", "created_at"]


@admin.register(ScheduledJob)
class ScheduledJobAdmin(ReadOnlyAdmin):
    list_display = ["name", "every_seconds", "last_run", "next_run", "run_count"]
