"""Admin of core reference data; the audit trail is read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditCheckpoint, AuditEntry, CalendarDay, Department, Region, ScheduledJob


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
    list_display = ["date", "is_working_day", "name", "note"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"
    search_fields = ["name", "note"]


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
