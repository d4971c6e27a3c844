"""The big-data display in the Django admin: read-only (issue #16). Areas, zones and sources are
registered through services/sources.py (audited; a source's token is issued there), reports come
only through the ingest (idempotent, with their revisions), so the admin shows them and writes
nothing (core.admin.ReadOnlyAdmin; decision "the admin is never a back door")."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from onewindow.core.admin import ReadOnlyAdmin

from .models import Area, CrowdAreaBucket, CrowdReport, CrowdRevision, Source, Zone


class ZoneInline(admin.TabularInline):
    model = Zone
    fields = readonly_fields = ("code", "name", "capacity", "amber_share", "red_share", "position")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Area)
class AreaAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "bucket_minutes", "stale_minutes", "redaction_threshold", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    inlines = [ZoneInline]


@admin.register(Zone)
class ZoneAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "area", "capacity", "amber_share", "red_share", "position"]
    list_filter = ["area"]
    search_fields = ["code", "name"]
    list_select_related = ["area"]


@admin.register(Source)
class SourceAdmin(ReadOnlyAdmin):
    list_display = ["name", "area", "is_active", "last_bucket_start", "last_received_at"]
    list_filter = ["area", "is_active"]
    search_fields = ["name"]
    list_select_related = ["area"]
    exclude = ["token"]


class RevisionInline(admin.TabularInline):
    model = CrowdRevision
    fields = readonly_fields = ("revision", "received_at", "via", "digest", "counts")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CrowdReport)
class CrowdReportAdmin(ReadOnlyAdmin):
    list_display = ["bucket_start", "area", "source", "revision", "received_at"]
    list_filter = ["area", "source"]
    date_hierarchy = "bucket_start"
    list_select_related = ["area", "source"]
    inlines = [RevisionInline]


@admin.register(CrowdAreaBucket)
class CrowdAreaBucketAdmin(ReadOnlyAdmin):
    list_display = ["bucket_start", "area", "present", "arrivals", "sources", "computed_at"]
    list_filter = ["area"]
    date_hierarchy = "bucket_start"
    list_select_related = ["area"]
