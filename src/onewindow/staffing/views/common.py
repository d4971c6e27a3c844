"""What the staffing pages share: the error page, the center a manager is looking at, and the
parsing of dates, times and numbers typed into the forms (a bad value is a refusal with field
messages, never a 500; issue #15 "Bad input")."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from onewindow.centers.models import Center
from onewindow.core.errors import DomainError
from onewindow.core.normalize import has_invalid_characters, nfkc_number

from .. import permissions

MAX_ID = 2**63 - 1


def error_page(request: HttpRequest, exc: DomainError, **context: Any) -> HttpResponse:
    return render(request, "staffing/error.html", {"error": exc, **context}, status=exc.status)


def managed(request: HttpRequest) -> list[Center]:
    return list(Center.objects.filter(pk__in=permissions.managed_centers(request.user)).order_by("code"))


def chosen_center(request: HttpRequest, centers: list[Center], raw: Any = None) -> Center:
    """The center of ``?center=`` (or ``raw``) among those the viewer manages, else the first;
    404 ``staffing_center_not_found`` for another center or when the viewer manages none."""
    value = str(raw if raw is not None else request.GET.get("center", "")).strip()
    first = centers[0] if centers else None
    center = next((c for c in centers if str(c.pk) == value), None) if value else first
    if center is None:
        raise permissions.center_not_found()
    return center


def invalid(field: str, message: Any) -> DomainError:
    return DomainError(_("提交的数据有误，请检查标出的字段。"), code="staffing_invalid", status=422,
                       fields={field: [message]})


def text(value: Any, field: str, *, max_length: int = 200) -> str:
    raw = str(value or "").strip()
    if has_invalid_characters(raw):
        raise invalid(field, _("含有无法识别的字符。"))
    if len(raw) > max_length:
        raise invalid(field, _("内容过长。"))
    return raw


def day(value: Any, field: str, *, required: bool = True) -> datetime.date | None:
    raw = text(value, field, max_length=20)
    if not raw:
        if required:
            raise invalid(field, _("此项必填。"))
        return None
    try:
        found = datetime.date.fromisoformat(nfkc_number(raw))
    except ValueError:
        raise invalid(field, _("请输入有效的日期（年-月-日）。")) from None
    if not 2000 <= found.year <= 2100:  # beyond: a typing slip, and date arithmetic would overflow
        raise invalid(field, _("日期须在 %(first)s 年至 %(last)s 年之间。") % {"first": 2000, "last": 2100})
    return found


def required_day(value: Any, field: str) -> datetime.date:
    found = day(value, field)
    assert found is not None  # day() refuses an empty value when it is required
    return found


def time_of_day(value: Any, field: str, *, required: bool = True) -> datetime.time | None:
    raw = text(value, field, max_length=10)
    if not raw:
        if required:
            raise invalid(field, _("此项必填。"))
        return None
    try:
        return datetime.time.fromisoformat(nfkc_number(raw).replace("：", ":"))
    except ValueError:
        raise invalid(field, _("请输入有效的时间（时:分）。")) from None


def number(value: Any, field: str, *, low: int, high: int, required: bool = True) -> int | None:
    raw = nfkc_number(text(value, field, max_length=20))
    if not raw:
        if required:
            raise invalid(field, _("此项必填。"))
        return None
    if not raw.lstrip("-").isdigit() or len(raw) > 18:
        raise invalid(field, _("请输入整数。"))
    n = int(raw)
    if not low <= n <= high:
        raise invalid(field, _("应在 %(low)s 到 %(high)s 之间。") % {"low": low, "high": high})
    return n


def decimal(value: Any, field: str, *, low: float, high: float) -> float:
    raw = nfkc_number(text(value, field, max_length=20))
    try:
        n = float(raw)
    except ValueError:
        raise invalid(field, _("请输入数字。")) from None
    if not low <= n <= high or n != n:
        raise invalid(field, _("应在 %(low)s 到 %(high)s 之间。") % {"low": low, "high": high})
    return n


def ids(values: list[str]) -> list[int]:
    return [int(v) for v in (nfkc_number(x) for x in values) if v.isdigit() and len(v) < 19][:50]


def monday(of: datetime.date) -> datetime.date:
    return of - datetime.timedelta(days=of.weekday())


def seconds(t: datetime.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def clock(s: int | None) -> str:
    """Seconds from midnight as ``HH:MM`` (empty for None)."""
    if s is None:
        return ""
    return f"{int(s) // 3600:02d}:{int(s) % 3600 // 60:02d}"
