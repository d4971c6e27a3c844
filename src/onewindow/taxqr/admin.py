"""Admin of taxqr: tax staff edit the rate tables (税率表) and tax bureaus through the audited
services (``rate_row_save``, ``bureau_register``, ``bureau_update``); neither is deleted here (a
rate row is ended by its 失效日期, archive numbers refer to bureaus); the archive index is
read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from onewindow.core.admin import ReadOnlyAdmin, ServiceAdminMixin

from . import services
from .models import ArchiveFile, RateRow, TaxBureau


@admin.register(RateRow)
class RateRowAdmin(ServiceAdminMixin, admin.ModelAdmin[RateRow]):
    list_display = ("kind", "valid_from", "valid_to", "home_rank", "max_area", "rate", "rate_long_ordinary",
                    "rate_long_non_ordinary", "rate_non_ordinary", "confirmed", "basis")
    list_filter = ("kind", "confirmed")
    readonly_fields = ("updated_at", "updated_by")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # estimates of the past read the rows of their day: end a row with 失效日期

    def save_model(self, request: HttpRequest, obj: RateRow, form: Any, change: bool) -> None:
        services.rate_row_save(by=request.user, row=obj)


@admin.register(TaxBureau)
class TaxBureauAdmin(ServiceAdminMixin, admin.ModelAdmin[TaxBureau]):
    list_display = ("short_code", "department")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("department",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # archive numbers refer to the bureau

    def save_model(self, request: HttpRequest, obj: TaxBureau, form: Any, change: bool) -> None:
        if change:
            services.bureau_update(by=request.user, bureau_id=obj.pk, short_code=obj.short_code)
            return
        bureau = services.bureau_register(by=request.user, department=obj.department, short_code=obj.short_code)
        obj.pk, obj._state.adding = bureau.pk, False


@admin.register(ArchiveFile)
class ArchiveFileAdmin(ReadOnlyAdmin):
    list_display = ("reference", "kind", "day", "rows", "size", "retention_until", "created_at", "created_by")
    list_filter = ("kind",)
