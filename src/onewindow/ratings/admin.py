from django.contrib import admin

from onewindow.core.admin import ReadOnlyAdmin

from .models import Rating


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "subject_type", "subject_id", "level", "score", "channel", "department")
    list_filter = ("level", "channel", "subject_type")
    search_fields = ("subject_id",)
