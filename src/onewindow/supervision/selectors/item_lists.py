"""Reads of the item lists (issue #12 part 1): the published versions, which anyone may read
(一公开, 国办发〔2015〕58号: lists and results are public), and the items a department is editing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.core.errors import NotFound

from .. import permissions as perms
from ..choices import ItemListKind
from ..models import CheckItem, ItemListVersion


def _not_found() -> NotFound:
    return NotFound(_("找不到该清单版本。"), code="item_list_not_found")


def published_version(kind: str, number: int | None = None) -> ItemListVersion:
    """One published version (the latest when ``number`` is None); public. 404
    ``item_list_not_found`` for an unknown kind or number, or a list never published."""
    if kind not in ItemListKind.values:
        raise _not_found()
    qs = ItemListVersion.objects.filter(kind=kind)
    version = qs.order_by("-number").first() if number is None else qs.filter(number=number).first()
    if version is None:
        raise _not_found()
    return version


def published_history(kind: str) -> list[ItemListVersion]:
    """Every version of a list, newest first, without the snapshots (public)."""
    return list(ItemListVersion.objects.filter(kind=kind).defer("snapshot").order_by("-number"))


@dataclass
class DepartmentGroup:
    code: str
    name: str
    items: list[dict[str, Any]]


def grouped_by_department(version: ItemListVersion) -> list[DepartmentGroup]:
    """A random-draw list's items grouped by department, in the published order."""
    groups: dict[str, DepartmentGroup] = {}
    for item in version.snapshot.get("items", []):
        key = item["department"]
        if key not in groups:
            groups[key] = DepartmentGroup(code=key, name=item["department_name"], items=[])
        groups[key].items.append(item)
    return list(groups.values())


def check_items_for(user: Any, *, department_id: int | None = None) -> QuerySet[CheckItem]:
    """The items of the user's own departments (every item for a system admin), for editing."""
    qs = CheckItem.objects.select_related("department").order_by("department__code", "sort_order", "code")
    if not account_perms.is_system_admin(user):
        qs = qs.filter(department_id__in=perms.department_ids(user))
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    return qs
