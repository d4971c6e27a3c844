"""Django admin of the service centers: centers with their opening hours, categories and windows,
center staff, devices, appointment slots; tickets, ticket events and appointments read-only.

Devices: the token is issued through accounts' ``api_token_issue`` (scope ``device``) when a device
is added, and shown once in a message; afterwards only its masked prefix is shown. Revoking a
device deactivates it, revokes its token (``api_token_revoke``) and ends its browser binding — it
is shut out at once. A kiosk's ``operator`` is the center's terminal account its self-fill acts as.
Phone numbers of tickets are never shown here (personal data, ARCHITECTURE rule 6).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import services as account_services
from onewindow.accounts.permissions import is_system_admin
from onewindow.accounts.reauth import ReauthAdminMixin
from onewindow.core.admin import ReadOnlyAdmin

from .models import (
    Appointment,
    AppointmentSlot,
    Center,
    CenterStaff,
    Device,
    DeviceBinding,
    OpeningHours,
    SpecialOpening,
    Ticket,
    TicketCategory,
    TicketEvent,
    Window,
)


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class SpecialOpeningInline(admin.TabularInline):
    model = SpecialOpening
    extra = 0


class TicketCategoryInline(admin.TabularInline):
    model = TicketCategory
    extra = 0
    fields = ["prefix", "name", "service_minutes", "sort", "is_active"]


class WindowInline(admin.TabularInline):
    model = Window
    extra = 0
    fields = ["number", "name", "kind", "categories", "state"]


@admin.register(Center)
class CenterAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "region", "department", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name", "short_name"]
    raw_id_fields = ["region", "department"]
    filter_horizontal = ["items"]
    inlines = [OpeningHoursInline, SpecialOpeningInline, TicketCategoryInline, WindowInline]


@admin.register(CenterStaff)
class CenterStaffAdmin(admin.ModelAdmin):
    list_display = ["center", "user", "is_manager", "valid"]
    list_filter = ["center", "is_manager", "valid"]
    search_fields = ["user__username", "center__name"]
    raw_id_fields = ["user"]


class DeviceForm(forms.ModelForm):
    class Meta:
        model = Device
        fields = ["center", "window", "kind", "name", "operator", "is_active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        window, center = data.get("window"), data.get("center")
        if window is not None and center is not None and window.center_id != center.pk:
            raise forms.ValidationError(_("窗口不属于该中心。"))
        return data


@admin.register(Device)
class DeviceAdmin(ReauthAdminMixin, admin.ModelAdmin):
    """A new device gets its own token (shown once); revoking deactivates it and its token. Both
    are key operations (fresh re-authentication, accounts.reauth). The token expires
    (accounts.tokens): the list shows when, so a device is renewed before it goes dark."""

    reauth_actions = ("revoke_selected",)

    form = DeviceForm
    list_display = ["name", "kind", "center", "window", "masked_token", "token_expires", "bound_browser", "is_active",
                    "last_seen_at"]
    list_filter = ["kind", "is_active", "center"]
    search_fields = ["name", "token__prefix"]
    readonly_fields = ["masked_token", "last_seen_at"]
    raw_id_fields = ["operator"]
    actions = ["revoke_selected"]

    @admin.display(description=_("访问令牌"))
    def masked_token(self, obj: Device) -> str:
        return f"ow_{obj.token.prefix}_…" if obj.token_id else "—"

    @admin.display(description=_("令牌到期"), ordering="token__expires_at")
    def token_expires(self, obj: Device) -> Any:
        return obj.token.expires_at if obj.token_id else None

    def get_queryset(self, request: HttpRequest) -> QuerySet[Device]:
        live = DeviceBinding.objects.filter(device=OuterRef("pk"), revoked_at__isnull=True)
        return super().get_queryset(request).select_related("token", "center", "window").annotate(
            browser_bound=Exists(live))

    @admin.display(description=_("浏览器绑定"), boolean=True)
    def bound_browser(self, obj: Device) -> bool:
        """A kiosk or display browser is bound (decision 0008: enrolled at /centers/devices/enrol/)."""
        return bool(getattr(obj, "browser_bound", False))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        base = ("center", "window", "kind", "name", "operator", "is_active")
        return (*base, "masked_token", "last_seen_at") if obj is not None else base

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Only system admins issue tokens (api_token_issue)."""
        return is_system_admin(request.user) and super().has_add_permission(request)

    def save_model(self, request: HttpRequest, obj: Device, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, bearer = account_services.api_token_issue(
            by=request.user, name=obj.name[:100], scopes=["device"],
            system_name=f"device:{obj.center.code}:{obj.name}"[:100])
        obj.token = token
        super().save_model(request, obj, form, change)
        messages.warning(request, _("设备令牌仅显示这一次，请立即写入设备：%(token)s") % {"token": bearer})

    @admin.action(description=_("停用所选设备并撤销其令牌"))
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[Device]) -> None:
        for device in queryset.select_related("token"):
            Device.objects.filter(pk=device.pk).update(is_active=False)
            # Its bound browser (kiosk, display) is shut out as well (decision 0008).
            DeviceBinding.objects.filter(device=device, revoked_at__isnull=True).update(revoked_at=timezone.now())
            if device.token.revoked_at is None:
                account_services.api_token_revoke(by=request.user, token=device.token,
                                                  reason=str(_("设备停用")))
        self.message_user(request, _("已停用并撤销令牌。"), messages.SUCCESS)


@admin.register(AppointmentSlot)
class AppointmentSlotAdmin(admin.ModelAdmin):
    list_display = ["center", "category", "date", "starts", "ends", "capacity", "booked"]
    list_filter = ["center", "category"]
    date_hierarchy = "date"
    readonly_fields = ["booked"]


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["date", "display", "center", "category", "status", "priority", "source", "window"]
    list_filter = ["status", "priority", "source", "center"]
    search_fields = ["=display", "=status_code"]
    date_hierarchy = "date"
    fields = readonly_fields = ("center", "category", "date", "number", "display", "status", "priority", "source",
                                "queue_key", "status_code", "person", "appointment", "target_window", "window",
                                "clerk", "taken_at", "called_at", "started_at", "finished_at", "recalls")


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "ticket", "action", "from_status", "to_status", "window", "actor"]
    list_filter = ["action"]
    search_fields = ["=ticket__display"]


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    list_display = ["code", "date", "slot", "category", "status", "channel", "created_at"]
    list_filter = ["status", "channel"]
    search_fields = ["=code"]
    date_hierarchy = "date"
