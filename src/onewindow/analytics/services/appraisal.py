"""绩效考核 (appraisal, issue #14 part 3): saving a center's scheme — the weights of the score and
the rules text. A scheme is never edited: each change is a new AppraisalScheme row valid from a
month (this month or a later one), so a past month keeps the scheme it was appraised with. Only
the center's manager (or a system admin) saves; a clerk of the center is refused 403, anyone else
404 as if the center did not exist. Audited (``analytics.appraisal.scheme``)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.centers import permissions as center_perms
from onewindow.centers.models import Center
from onewindow.core.actors import Actor
from onewindow.core.audit import audit_record
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied

from .. import permissions as perms
from ..models import AppraisalScheme
from ..selectors.appraisal import MEASURES

MAX_WEIGHT = 100
MAX_RULES = 2000


def _invalid(field: str, message: Any) -> DomainError:
    return DomainError(message, code="analytics_scheme_invalid", status=422, fields={field: [message]})


def appraisal_scheme_save(*, by: Actor, center_id: Any, valid_from: datetime.date, weights: dict[str, Any],
                          rules: str = "", today: datetime.date | None = None) -> AppraisalScheme:
    """A new scheme of the center from the month ``valid_from`` (its first day; this month or
    later). Weights: whole numbers 0–100 for the measures of ``selectors.appraisal.MEASURES``, at
    least one above 0. 404 analytics_center_not_found; 403 analytics_scheme_forbidden; 422
    analytics_scheme_invalid; 409 analytics_scheme_exists (a scheme from that month exists)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        center = Center.objects.select_for_update().filter(pk=int(center_id) if str(center_id).isdigit() else 0).first()
        if center is None or center.pk not in set(perms.managed_centers(by)) | set(perms.staff_centers(by)):
            raise NotFound(_("找不到该服务中心。"), code="analytics_center_not_found")
        if not perms.can_manage(by, center.pk):
            raise PermissionDenied(_("只有中心负责人可以设置考核方案。"), code="analytics_scheme_forbidden")
        if valid_from.day != 1 or valid_from < today.replace(day=1):
            raise _invalid("valid_from", _("方案只能从本月或以后某月的第一天起适用。"))
        unknown = set(weights) - set(MEASURES)
        if unknown:
            raise _invalid("weights", _("有不认识的考核指标。"))
        clean: dict[str, int] = {}
        for measure in MEASURES:
            value = weights.get(measure, 0)
            if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
                raise _invalid("weights", _("权重应为 0 到 100 的整数。"))
            clean[measure] = int(str(value).strip())
            if clean[measure] > MAX_WEIGHT:
                raise _invalid("weights", _("权重应为 0 到 100 的整数。"))
        if not any(clean.values()):
            raise _invalid("weights", _("至少一项权重应大于 0。"))
        rules = (rules or "").strip()
        if len(rules) > MAX_RULES:
            raise _invalid("rules", _("考核规则说明不能超过 2000 字。"))
        if AppraisalScheme.objects.filter(center=center, valid_from=valid_from).exists():
            raise Conflict(_("该月起适用的考核方案已经存在，请从下一个月起设置新方案。"),
                           code="analytics_scheme_exists")
        user = center_perms.user_of(by)
        scheme = AppraisalScheme.objects.create(center=center, valid_from=valid_from, weights=clean, rules=rules,
                                                created_by=user)
        audit_record(actor=user, action="analytics.appraisal.scheme", target=scheme,
                     after={"center": center.pk, "valid_from": valid_from.isoformat(), "weights": clean})
    return scheme
