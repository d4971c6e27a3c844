"""Django admin of the service centers: centers with their opening hours, categories and windows,
center staff, devices, appointment slots; tickets, ticket events and appointments read-only.

The admin is never a back door (issue #10): every write calls ``centers.services`` — the same
services, guards and audit entries as the manager's pages — and a refusal shows as an error
message with the whole page rolled back (``core.admin.ServiceAdminMixin``).

Devices: ``device_issue`` issues the token through accounts' ``api_token_issue`` (scope
``device``) in the device row's transaction, and it is shown once in a message; afterwards only
its masked prefix is shown. Revoking (``device_revoke``) deactivates the device, revokes its token
(``api_token_revoke``) and ends its browser binding — it is shut out at once. A kiosk's
``operator`` is the center's terminal account its self-fill acts as. Phone numbers of tickets are
never shown here (personal data, ARCHITECTURE rule 6).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from onewindow.accounts.permissions import is_system_admin
from onewindow.accounts.reauth import ReauthAdminMixin
from onewindow.core.actors import Actor
from onewindow.core.admin import ReadOnlyAdmin, ServiceAdminMixin
from onewindow.core.errors import DomainError

from .models import (
    Appointment,
    AppointmentEvent,
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
from .services import setup, window_set_categories, window_set_state
from .services.devices import DEVICE_FIELDS, device_issue, device_revoke, device_update
from .services.opening import special_opening_set


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class SpecialOpeningInline(admin.TabularInline):
    model = SpecialOpening
    extra = 0
    fields = ["date", "closed", "opens", "closes", "last_ticket", "reason"]


class TicketCategoryInline(admin.TabularInline):
    """Categories are never deleted (tickets keep them): 启用 off instead."""

    model = TicketCategory
    extra = 0
    can_delete = False
    fields = ["prefix", "name", "service_minutes", "sort", "is_active"]


class WindowInline(admin.TabularInline):
    """State and categories change through ``window_set_state`` (the ``window_busy`` guard) and
    ``window_set_categories``; windows are never deleted (tickets keep them)."""

    model = Window
    extra = 0
    can_delete = False
    fields = ["number", "name", "kind", "categories", "state"]


def _values(form: Any, names: tuple[str, ...], change: bool) -> dict[str, Any]:
    """The cleaned values of ``names`` a form sets: those it changed, or all of them on an add."""
    return {name: form.cleaned_data[name] for name in names
            if name in form.cleaned_data and (not change or name in form.changed_data)}


def _mark_saved(formset: Any) -> None:
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


@admin.register(Center)
class CenterAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Every write goes through ``centers.services`` (setup, windows, opening): the center, its
    weekly hours, special openings, categories and windows — each audited, a window's state under
    the ``window_busy`` guard. A refusal rolls the whole page back. Centers are never deleted."""

    list_display = ["code", "name", "level", "region", "department", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name", "short_name"]
    raw_id_fields = ["region", "department"]
    filter_horizontal = ["items"]
    inlines = [OpeningHoursInline, SpecialOpeningInline, TicketCategoryInline, WindowInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Center, form: Any, change: bool) -> None:
        values = _values(form, setup.CENTER_FIELDS, change)
        if change:
            setup.center_update(by=request.user, center_id=obj.pk, **values)
            return
        created = setup.center_create(by=request.user, code=form.cleaned_data["code"], **values)
        obj.pk, obj._state.adding = created.pk, False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if "items" in form.changed_data:
            setup.center_update(by=request.user, center_id=form.instance.pk, items=list(form.cleaned_data["items"]))
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        center, by = form.instance, request.user
        _mark_saved(formset)
        for inline_form in formset.forms:
            row = inline_form.instance if inline_form.instance.pk else None
            if formset.can_delete and formset._should_delete_form(inline_form):
                if row is not None:
                    self._delete_row(by, row)
                    formset.deleted_objects.append(row)
                continue
            if not inline_form.has_changed():
                continue
            self._save_row(by, center, inline_form, row)
            if row is None:
                formset.new_objects.append(inline_form.instance)
            else:
                formset.changed_objects.append((row, inline_form.changed_data))

    def _delete_row(self, by: Actor, row: Any) -> None:
        if isinstance(row, OpeningHours):
            setup.opening_hours_delete(by=by, hours_id=row.pk)
        elif isinstance(row, SpecialOpening):
            setup.special_opening_delete(by=by, opening_id=row.pk)

    def _save_row(self, by: Actor, center: Center, form: Any, row: Any) -> None:
        change, data = row is not None, form.cleaned_data
        if form._meta.model is OpeningHours:
            setup.opening_hours_save(by=by, center_id=center.pk, hours_id=row.pk if row else None,
                                     **_values(form, setup.HOURS_FIELDS, change))
        elif form._meta.model is SpecialOpening:
            if row is not None and "date" in form.changed_data:
                setup.special_opening_delete(by=by, opening_id=row.pk)
            special_opening_set(by=by, center_code=center.code, day=data["date"], opens=data.get("opens"),
                                closes=data.get("closes"), last_ticket=data.get("last_ticket"),
                                closed=bool(data.get("closed")), reason=data.get("reason") or "")
        elif form._meta.model is TicketCategory:
            setup.ticket_category_save(by=by, center_id=center.pk, category_id=row.pk if row else None,
                                       **_values(form, setup.CATEGORY_FIELDS, change))
        elif form._meta.model is Window:
            window = setup.window_save(by=by, center_id=center.pk, window_id=row.pk if row else None,
                                       **_values(form, setup.WINDOW_FIELDS, change))
            form.instance.pk = window.pk
            categories = list(data.get("categories") or [])
            if "categories" in form.changed_data and (change or categories):
                window_set_categories(by=by, window_id=window.pk, category_ids=[c.pk for c in categories])
            if "state" in form.changed_data and (change or data["state"] != window.state):
                window_set_state(by=by, window_id=window.pk, state=data["state"])


@admin.register(CenterStaff)
class CenterStaffAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Grants through ``center_staff_grant``, changes (manager or not, 有效) through
    ``center_staff_update`` — both audited; grants are ended (有效 off), never deleted."""

    list_display = ["center", "user", "is_manager", "valid"]
    list_filter = ["center", "is_manager", "valid"]
    search_fields = ["user__username", "center__name"]
    raw_id_fields = ["user"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("center", "user", "is_manager", "valid") if obj is not None else ("center", "user", "is_manager")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["center", "user"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: CenterStaff, form: Any, change: bool) -> None:
        if change:
            setup.center_staff_update(by=request.user, staff_id=obj.pk, **_values(form, ("is_manager", "valid"), True))
            return
        created = setup.center_staff_grant(by=request.user, center_id=obj.center_id, user_id=obj.user_id,
                                           is_manager=obj.is_manager)
        obj.pk, obj._state.adding = created.pk, False


class DeviceForm(forms.ModelForm):
    class Meta:
        model = Device
        fields = ["center", "window", "kind", "name", "operator"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        window, center = data.get("window"), data.get("center") or getattr(self.instance, "center", None)
        if window is not None and center is not None and window.center_id != center.pk:
            raise forms.ValidationError(_("窗口不属于该中心。"))
        return data


@admin.register(Device)
class DeviceAdmin(ReauthAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    """A new device gets its own token (shown once) through ``device_issue`` — token and row in one
    transaction; changes through ``device_update``; 停用 through ``device_revoke`` (deactivates the
    device, ends its browser binding and revokes its token). Issuing and revoking are key
    operations (fresh re-authentication, accounts.reauth). The token expires (accounts.tokens): the
    list shows when, so a device is renewed before it goes dark."""

    reauth_actions = ("revoke_selected",)

    form = DeviceForm
    list_display = ["name", "kind", "center", "window", "masked_token", "token_expires", "bound_browser", "is_active",
                    "last_seen_at"]
    list_filter = ["kind", "is_active", "center"]
    search_fields = ["name", "token__prefix"]
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
        base = ("center", "window", "kind", "name", "operator")
        return (*base, "is_active", "masked_token", "last_seen_at") if obj is not None else base

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["center", "kind", "is_active", "masked_token", "last_seen_at"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Only system admins issue tokens (api_token_issue)."""
        return is_system_admin(request.user) and super().has_add_permission(request)

    def save_model(self, request: HttpRequest, obj: Device, form: Any, change: bool) -> None:
        if change:
            device_update(by=request.user, device_id=obj.pk, **_values(form, DEVICE_FIELDS, True))
            return
        data = form.cleaned_data
        device, bearer = device_issue(by=request.user, center_id=data["center"].pk, kind=data["kind"],
                                      name=data["name"], window=data.get("window"), operator=data.get("operator"))
        obj.pk, obj.token_id, obj._state.adding = device.pk, device.token_id, False
        messages.warning(request, _("设备令牌仅显示这一次，请立即写入设备：%(token)s") % {"token": bearer})

    @admin.action(description=_("停用所选设备并撤销其令牌"))
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[Device]) -> None:
        for device in queryset:
            try:
                device_revoke(by=request.user, device_id=device.pk, reason=str(_("设备停用")))
            except DomainError as exc:
                self.message_user(request, f"{device}: {exc.message}", messages.ERROR)
                return
        self.message_user(request, _("已停用并撤销令牌。"), messages.SUCCESS)


@admin.register(AppointmentSlot)
class AppointmentSlotAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Slots through ``appointment_slot_save`` (audited; capacity never below what is booked);
    never deleted — appointments keep them."""

    list_display = ["center", "category", "date", "starts", "ends", "capacity", "booked"]
    list_filter = ["center", "category"]
    date_hierarchy = "date"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["center", "booked"] if obj is not None else ["booked"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: AppointmentSlot, form: Any, change: bool) -> None:
        values = _values(form, setup.SLOT_FIELDS, change)
        saved = setup.appointment_slot_save(by=request.user, center_id=obj.center_id,
                                            slot_id=obj.pk if change else None, **values)
        obj.pk, obj._state.adding = saved.pk, False


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


@admin.register(AppointmentEvent)
class AppointmentEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "appointment", "action", "from_status", "to_status", "actor_label"]
    list_filter = ["action"]
    search_fields = ["=appointment__code"]
