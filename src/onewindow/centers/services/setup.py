"""Setting up a service center (中心配置): the center itself, its weekly opening hours, special
openings, queue categories, windows, staff and appointment slots — the writes the admin makes.

The admin is an interface like the pages (issue #10): each write here locks its row, checks who
may make it, mutates, and appends an audit entry with the changed fields; a window's state and
categories go through :mod:`.windows` (the ``window_busy`` guard). Rows that other records refer
to (categories, windows, staff grants, slots, centers) are never deleted: they are set inactive,
or closed. Actors: a system administrator (centers, staff grants) or the center's manager.
Basis: GB/T 22239-2019 8.1.4.3 安全审计 (every administrative change recorded).
"""

from __future__ import annotations

import datetime
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.models import User
from onewindow.core.actors import Actor
from onewindow.core.audit import audit_record, changed_values
from onewindow.core.codes import as_id
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied

from .. import permissions as perms
from ..choices import CenterLevel, WindowKind
from ..models import AppointmentSlot, Center, CenterStaff, OpeningHours, SpecialOpening, TicketCategory, Window

M = TypeVar("M", bound=Model)

CENTER_FIELDS = ("name", "short_name", "level", "region", "department", "address", "phone", "is_active")
HOURS_FIELDS = ("weekday", "opens", "closes", "last_ticket")
CATEGORY_FIELDS = ("prefix", "name", "service_minutes", "sort", "is_active")
WINDOW_FIELDS = ("number", "name", "kind")
SLOT_FIELDS = ("category", "date", "starts", "ends", "capacity")


def _invalid(field: str, message: Any, code: str = "center_setup_invalid") -> DomainError:
    return DomainError(_("中心配置的内容不正确。"), code=code, status=422, fields={field: [message]})


def _only(values: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise _invalid(unknown[0], _("该项不能修改。"))


def _require_admin(by: Actor) -> None:
    if not account_perms.is_system_admin(perms.user_of(by)):
        raise PermissionDenied(_("只有系统管理员可以进行此操作。"), code="not_system_admin")


def _require_manager(by: Actor, center_id: int) -> None:
    if not perms.is_center_manager(by, center_id):
        raise PermissionDenied(_("只有中心负责人可以调整中心配置。"), code="not_center_manager")


def _save(row: Model, values: dict[str, Any], *, by: Actor, action: str, target: Model) -> bool:
    """Set the changed ``values`` on a locked ``row``, save and audit; False when nothing changed."""
    before, after = changed_values(row, values)
    if not after:
        return False
    for name in after:
        setattr(row, name, values[name])
    try:
        with transaction.atomic():
            row.save(update_fields=list(after))
    except IntegrityError:
        raise Conflict(_("与已有记录重复，或数值不符合要求。"), code="center_setup_conflict") from None
    audit_record(actor=perms.user_of(by), action=action, target=target, before=before,
                 after={"id": row.pk, **after})
    return True


def _create(model: type[M], values: dict[str, Any], *, by: Actor, action: str, target: Model | None = None) -> M:
    try:
        with transaction.atomic():
            row = model._default_manager.create(**values)
    except IntegrityError:
        raise Conflict(_("与已有记录重复，或数值不符合要求。"), code="center_setup_conflict") from None
    _before, after = changed_values(model(), values)
    audit_record(actor=perms.user_of(by), action=action, target=target or row, after={"id": row.pk, **after})
    return row


def _locked(model: type[M], pk: Any, code: str, message: Any) -> M:
    row = model._default_manager.select_for_update().filter(pk=as_id(pk)).first()
    if row is None:
        raise NotFound(message, code=code)
    return row


# ---- the center --------------------------------------------------------------------------------

def center_create(*, by: Actor, code: str, items: list[Any] | None = None, **values: Any) -> Center:
    """Open a new service center (受理服务中心) — a system administrator. Audited ``centers.center.create``."""
    _require_admin(by)
    _only(values, CENTER_FIELDS)
    if values.get("level") not in CenterLevel.values:
        raise _invalid("level", _("请从给定选项中选择。"))
    with transaction.atomic():
        center = _create(Center, {"code": str(code).strip()[:32], **values}, by=by, action="centers.center.create")
        if items:
            center.items.set(items)
    return center


def center_update(*, by: Actor, center_id: Any, items: list[Any] | None = None, **values: Any) -> Center:
    """Change a center's name, address, region, department, items or 启用 flag (the code stays);
    a manager of the center or a system administrator. Audited ``centers.center.update``."""
    _only(values, CENTER_FIELDS)
    with transaction.atomic():
        center = _locked(Center, center_id, "center_not_found", _("找不到该服务中心。"))
        _require_manager(by, center.pk)
        if "level" in values and values["level"] not in CenterLevel.values:
            raise _invalid("level", _("请从给定选项中选择。"))
        _save(center, values, by=by, action="centers.center.update", target=center)
        if items is not None:
            old = set(center.items.values_list("pk", flat=True))
            new = {getattr(i, "pk", i) for i in items}
            if old != new:
                center.items.set(new)
                audit_record(actor=perms.user_of(by), action="centers.center.items", target=center,
                             before={"items": sorted(old)}, after={"items": sorted(new)})
    return center


# ---- weekly hours, special openings, categories, windows ---------------------------------------

def _check_hours(values: dict[str, Any]) -> None:
    opens, closes, last = values.get("opens"), values.get("closes"), values.get("last_ticket")
    if not (isinstance(values.get("weekday"), int) and 0 <= values["weekday"] <= 6):
        raise _invalid("weekday", _("星期须为 0（周一）到 6（周日）。"), code="hours_invalid")
    if not (opens is not None and closes is not None and last is not None and opens < closes
            and opens <= last <= closes):
        raise DomainError(_("开放时间须满足：开始 < 结束，停止取号在两者之间。"), code="hours_invalid", status=422)


def opening_hours_save(*, by: Actor, center_id: Any, hours_id: Any = None, **values: Any) -> OpeningHours:
    """Add or change one weekday's opening hours (开放时间) of a center; its manager. Audited."""
    _only(values, HOURS_FIELDS)
    with transaction.atomic():
        center = _locked(Center, center_id, "center_not_found", _("找不到该服务中心。"))
        _require_manager(by, center.pk)
        if hours_id is None:
            _check_hours(values)
            row: OpeningHours = _create(OpeningHours, {"center": center, **values}, by=by,
                                        action="centers.hours.set", target=center)
            return row
        row = _locked(OpeningHours, hours_id, "hours_not_found", _("找不到该开放时间。"))
        if row.center_id != center.pk:
            raise NotFound(_("找不到该开放时间。"), code="hours_not_found")
        _check_hours({name: values.get(name, getattr(row, name)) for name in HOURS_FIELDS})
        _save(row, values, by=by, action="centers.hours.set", target=center)
    return row


def opening_hours_delete(*, by: Actor, hours_id: Any) -> None:
    """Remove a weekday's hours (the center is closed that weekday); its manager. Audited."""
    with transaction.atomic():
        row = _locked(OpeningHours, hours_id, "hours_not_found", _("找不到该开放时间。"))
        _require_manager(by, row.center_id)
        audit_record(actor=perms.user_of(by), action="centers.hours.delete", target=row.center,
                     before={"weekday": row.weekday, "hours": f"{row.opens}-{row.closes}"})
        row.delete()


def special_opening_delete(*, by: Actor, opening_id: Any) -> None:
    """Withdraw a special opening (the weekly hours count again that day); its manager. Audited."""
    with transaction.atomic():
        row = _locked(SpecialOpening, opening_id, "special_opening_not_found", _("找不到该特殊开放日。"))
        _require_manager(by, row.center_id)
        audit_record(actor=perms.user_of(by), action="centers.special_opening.delete", target=row.center,
                     before={"date": row.date.isoformat(), "closed": row.closed})
        row.delete()


def ticket_category_save(*, by: Actor, center_id: Any, category_id: Any = None, **values: Any) -> TicketCategory:
    """Add or change a queue category (排队类别: prefix, name, average minutes, order, 启用);
    its manager. A category is never deleted (tickets keep it): it is set inactive. Audited."""
    _only(values, CATEGORY_FIELDS)
    if "prefix" in values and not (str(values["prefix"]).isalpha() and str(values["prefix"]).isascii()):
        raise _invalid("prefix", _("字头须为一到两个英文字母。"))
    with transaction.atomic():
        center = _locked(Center, center_id, "center_not_found", _("找不到该服务中心。"))
        _require_manager(by, center.pk)
        if category_id is None:
            created: TicketCategory = _create(TicketCategory, {"center": center, **values}, by=by,
                                              action="centers.category.save", target=center)
            return created
        row = _locked(TicketCategory, category_id, "category_not_found", _("找不到该排队类别。"))
        if row.center_id != center.pk:
            raise NotFound(_("找不到该排队类别。"), code="category_not_found")
        _save(row, values, by=by, action="centers.category.save", target=center)
    return row


def window_save(*, by: Actor, center_id: Any, window_id: Any = None, **values: Any) -> Window:
    """Add a window (closed, serving nothing yet) or change its number, name or kind; its manager.
    State and categories change through :func:`.windows.window_set_state` and
    :func:`.windows.window_set_categories`. A window is never deleted (tickets keep it). Audited."""
    _only(values, WINDOW_FIELDS)
    if "kind" in values and values["kind"] not in WindowKind.values:
        raise _invalid("kind", _("请从给定选项中选择。"))
    with transaction.atomic():
        center = _locked(Center, center_id, "center_not_found", _("找不到该服务中心。"))
        _require_manager(by, center.pk)
        if window_id is None:
            created: Window = _create(Window, {"center": center, **values}, by=by, action="centers.window.save")
            return created
        row = _locked(Window, window_id, "window_not_found", _("找不到该窗口。"))
        if row.center_id != center.pk:
            raise NotFound(_("找不到该窗口。"), code="window_not_found")
        _save(row, values, by=by, action="centers.window.save", target=row)
    return row


# ---- staff and slots ---------------------------------------------------------------------------

def center_staff_grant(*, by: Actor, center_id: Any, user_id: Any, is_manager: bool = False) -> CenterStaff:
    """Make a login staff of a center (中心工作人员), or its manager (中心负责人) — a system
    administrator. A grant revoked earlier is made valid again. Refused: unknown center or user
    (404), already valid (409 ``staff_exists``). Audited ``centers.staff.grant``."""
    _require_admin(by)
    with transaction.atomic():
        center = _locked(Center, center_id, "center_not_found", _("找不到该服务中心。"))
        user = User.objects.filter(pk=as_id(getattr(user_id, "pk", user_id)), is_active=True).first()
        if user is None:
            raise NotFound(_("找不到该用户。"), code="user_not_found")
        row = CenterStaff.objects.select_for_update().filter(center=center, user=user).first()
        if row is not None and row.valid:
            raise Conflict(_("此人已是该中心的工作人员。"), code="staff_exists")
        if row is None:
            row = CenterStaff.objects.create(center=center, user=user, is_manager=bool(is_manager))
        else:
            row.valid, row.is_manager = True, bool(is_manager)
            row.save(update_fields=["valid", "is_manager"])
        audit_record(actor=perms.user_of(by), action="centers.staff.grant", target=center,
                     after={"user": user.pk, "is_manager": bool(is_manager)})
    return row


def center_staff_update(*, by: Actor, staff_id: Any, is_manager: bool | None = None,
                        valid: bool | None = None) -> CenterStaff:
    """Make a staff member manager or not, or end the grant (``valid`` False: 撤销) — a system
    administrator. Grants are never deleted (the trail refers to them). Audited
    ``centers.staff.update``."""
    _require_admin(by)
    values = {name: bool(value) for name, value in (("is_manager", is_manager), ("valid", valid))
              if value is not None}
    with transaction.atomic():
        row = _locked(CenterStaff, staff_id, "staff_not_found", _("找不到该工作人员。"))
        _save(row, values, by=by, action="centers.staff.update", target=row.center)
    return row


def _check_slot(values: dict[str, Any], center_id: int) -> None:
    category = values.get("category")
    if category is None or getattr(category, "center_id", None) != center_id:
        raise _invalid("category", _("请选择本中心的排队类别。"))
    if not (isinstance(values.get("date"), datetime.date) and values.get("starts") is not None
            and values.get("ends") is not None and values["starts"] < values["ends"]):
        raise _invalid("ends", _("结束时间须晚于开始时间。"))
    if not isinstance(values.get("capacity"), int) or values["capacity"] < 0:
        raise _invalid("capacity", _("可预约数须为非负整数。"))


def appointment_slot_save(*, by: Actor, center_id: Any, slot_id: Any = None, **values: Any) -> AppointmentSlot:
    """Add or change an appointment slot (预约时段); its manager. The capacity never goes below
    the bookings already made (409 ``slot_capacity_below_booked``); a slot is never deleted
    (appointments keep it): its capacity is set to what is booked. Audited ``centers.slot.save``."""
    _only(values, SLOT_FIELDS)
    with transaction.atomic():
        center = _locked(Center, center_id, "center_not_found", _("找不到该服务中心。"))
        _require_manager(by, center.pk)
        if slot_id is None:
            _check_slot(values, center.pk)
            created: AppointmentSlot = _create(AppointmentSlot, {"center": center, **values}, by=by,
                                               action="centers.slot.save")
            return created
        row = _locked(AppointmentSlot, slot_id, "slot_not_found", _("找不到该预约时段。"))
        if row.center_id != center.pk:
            raise NotFound(_("找不到该预约时段。"), code="slot_not_found")
        merged = {name: values.get(name, getattr(row, name)) for name in SLOT_FIELDS}
        _check_slot(merged, center.pk)
        if merged["capacity"] < row.booked:
            raise Conflict(_("可预约数不能少于已预约数（%(booked)s）。") % {"booked": row.booked},
                           code="slot_capacity_below_booked")
        if row.booked and any(merged[name] != getattr(row, name) for name in ("category", "date", "starts", "ends")):
            raise Conflict(_("已有预约的时段不能改期，请另设时段。"), code="slot_has_bookings")
        _save(row, values, by=by, action="centers.slot.save", target=row)
    return row
