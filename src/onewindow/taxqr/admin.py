"""Admin of taxqr: tax staff edit the rate tables (税率表) and tax bureaus; the archive index is read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from onewindow.core.admin import ReadOnlyAdmin

from . import services
from .models import ArchiveFile, RateRow, TaxBureau


@admin.register(RateRow)
class RateRowAdmin(admin.ModelAdmin[RateRow]):
    list_display = ("kind", "valid_from", "valid_to", "home_rank", "max_area", "rate", "rate_long_ordinary",
                    "rate_long_non_ordinary", "rate_non_ordinary", "confirmed", "basis")
    list_filter = ("kind", "confirmed")
    readonly_fields = ("updated_at", "updated_by")

    def save_model(self, request: HttpRequest, obj: RateRow, form: Any, change: bool) -> None:
        services.rate_row_save(by=request.user, row=obj)


@admin.register(TaxBureau)
class TaxBureauAdmin(admin.ModelAdmin[TaxBureau]):
    list_display = ("short_code", "department")


@admin.register(ArchiveFile)
class ArchiveFileAdmin(ReadOnlyAdmin):
    list_display = ("reference", "kind", "day", "rows", "size", "retention_until", "created_at", "created_by")
    list_filter = ("kind",)
