"""Courses (培训课程): created by the center manager for items of the center, from a key-training
proposal (重点培训), a signal or by choice (issue #14 part 5)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.analytics.selectors.signals import items_with_cases
from onewindow.catalog.models import ServiceItem
from onewindow.centers.models import Center
from onewindow.core.actors import Actor
from onewindow.core.audit import audit_record
from onewindow.core.errors import NotFound

from ..choices import CourseBasis
from ..models import Course
from .common import guard_manager, invalid, pk, text, user_or_none

MAX_ITEMS = 50


def _item_ids(center: Center, item_ids: Any) -> list[int]:
    if isinstance(item_ids, (str, int)) or item_ids is None:
        item_ids = [item_ids] if item_ids not in (None, "") else []
    try:
        ids = sorted({int(v) for v in item_ids})
    except (TypeError, ValueError):
        raise invalid("item_ids", _("请选择有效的事项。")) from None
    if not ids:
        raise invalid("item_ids", _("请至少选择一个事项。"))
    if len(ids) > MAX_ITEMS:
        raise invalid("item_ids", _("一门课程最多包含%(n)s个事项。") % {"n": MAX_ITEMS})
    known = set(ServiceItem.objects.filter(pk__in=ids).values_list("pk", flat=True))
    listed = set(center.items.filter(pk__in=ids).values_list("pk", flat=True))
    handled = items_with_cases(center_id=center.pk, item_ids=ids)
    foreign = [i for i in ids if i not in known or (i not in listed and i not in handled)]
    if foreign:
        raise invalid("item_ids", _("所选事项不在本中心办理范围内。"), code="training_item_not_in_center")
    return ids


@transaction.atomic
def course_create(*, by: Actor, center_id: Any, title: Any, item_ids: Any, basis: str = CourseBasis.MANUAL,
                  note: Any = "") -> Course:
    """The center manager creates a course on one item or a group of items of the center; a
    course from a key-training proposal is a key course (``is_key``)."""
    center = Center.objects.filter(pk=pk(center_id, _("找不到该中心。"), "training_center_not_found")).first()
    if center is None:
        raise NotFound(_("找不到该中心。"), code="training_center_not_found")
    guard_manager(by, center.pk, visible=False, not_found="training_center_not_found")
    name = text(title, "title")
    if basis not in CourseBasis.values:
        raise invalid("basis", _("请选择有效的依据。"))
    ids = _item_ids(center, item_ids)
    course = Course.objects.create(center=center, title=name, basis=basis, is_key=basis == CourseBasis.KEY,
                                   note=text(note, "note", required=False, limit=500),
                                   created_by=user_or_none(by), created_at=timezone.now())
    course.items.set(ids)
    audit_record(actor=by, action="training.course_create", target=course,
                 after={"title": name, "basis": basis, "item_ids": ids})
    return course
