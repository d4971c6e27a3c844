"""Admin of core reference data; the audit trail is read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from . import services
from .models import AuditCheckpoint, AuditEntry, CalendarDay, CalendarYear, Department, Region, ScheduledJob


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    """Read-mostly: regions come from the versioned table (``core_load_regions``)."""

    list_display = ["code", "name", "level", "kind", "parent", "valid_from", "valid_to"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name"]
    readonly_fields = ["code", "level", "parent"]
    list_select_related = ["parent"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "short_name", "level", "region", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name", "short_name"]
    autocomplete_fields = ["region"]
    list_select_related = ["region"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
