"""Admin of notifications: templates are edited here (each save is a new version); messages and
their delivery attempts are read-only, phones masked."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template import TemplateSyntaxError
from django.utils.translation import gettext_lazy as _

from onewindow.core.admin import ReadOnlyAdmin

from . import services
from .models import DeliveryAttempt, Message, MessageTemplate
from .rendering import check_syntax

ATTEMPT_FIELDS = ("number", "backend", "started_at", "finished_at", "outcome", "http_status", "error")
MESSAGE_FIELDS = (
    "id",
    "event",
    "channel",
    "recipient",
    "user",
    "subject_type",
    "subject_id",
    "language",
    "template_version",
    "title",
    "text",
    "status",
    "attempts",
    "next_attempt_at",
    "claimed_at",
    "last_error",
    "sent_at",
    "read_at",
    "created_at",
)


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["event", "language", "sms_text", "inapp_title", "inapp_text", "is_active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("sms_text", "inapp_title", "inapp_text"):
            try:
                check_syntax(data.get(name) or "")
            except TemplateSyntaxError as exc:
                self.add_error(name, _("模板语法错误：%(error)s") % {"error": exc})
        return data


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    """Saving writes a new version; the old one stays for the messages rendered from it."""

    form = MessageTemplateForm
    list_display = ["event", "language", "version", "is_active", "inapp_title", "created_at", "created_by"]
    list_filter = ["language", "is_active", "event"]
    search_fields = ["event", "sms_text", "inapp_title", "inapp_text"]
    readonly_fields = ["version", "created_at", "created_by"]

    def save_model(self, request: HttpRequest, obj: MessageTemplate, form: Any, change: bool) -> None:
        services.template_save_version(by=request.user, template=obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ATTEMPT_FIELDS
    readonly_fields = ATTEMPT_FIELDS

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "event",
        "channel",
        "recipient",
        "subject_type",
        "subject_id",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["channel", "status", "event"]
    search_fields = ["=id", "=subject_id"]
    list_select_related = ["user"]
    fields = MESSAGE_FIELDS
    readonly_fields = MESSAGE_FIELDS
    inlines = [DeliveryAttemptInline]
    actions = ["requeue"]

    @admin.display(description=_("接收人"))
    def recipient(self, obj: Message) -> str:
        return obj.phone_masked if obj.channel == "sms" else str(obj.user or "")

    @admin.action(description=_("重新投递选中的失败短信"))
    def requeue(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        for message in queryset.filter(channel="sms", status__in=["dead", "failed"]):
            services.message_requeue(by=request.user, message_id=message.pk)
        self.message_user(request, _("已重新排队。"), messages.SUCCESS)
