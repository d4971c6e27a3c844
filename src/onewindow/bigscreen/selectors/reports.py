"""Reads of the crowd reports (issue #16 part 2: "a resend is a correction, with history"): the
revisions of one area's bucket, for staff.

Staff only (``permissions.is_staff``; anyone else 403 ``bigscreen_staff_only``): the counts of
one source per zone are finer than what the public screens show (those are redacted, FlowKit's
rule). An unknown area is 404 ``bigscreen_area_not_found``; a bucket off the grid 422
(bigscreen/buckets.py).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from onewindow.core.actors import Actor
from onewindow.core.errors import DomainError, NotFound, PermissionDenied

from .. import permissions
from ..buckets import bucket_parse, is_aligned
from ..models import Area, CrowdRevision


def report_revisions_for(by: Actor, *, area_code: str, bucket_start: Any) -> QuerySet[CrowdRevision]:
    """Every revision of every source's report for (area, bucket), by source then revision."""
    if not permissions.is_staff(by):
        raise PermissionDenied(_("只有工作人员可以查看客流报送的更正记录。"), code="bigscreen_staff_only")
    area = Area.objects.filter(code=str(area_code)[:40]).first()
    if area is None:
        raise NotFound(_("找不到该商圈。"), code="bigscreen_area_not_found")
    start = bucket_parse(bucket_start)
    if not is_aligned(start, area.bucket_minutes):
        raise DomainError(_("时段不正确。"), code="crowd_bucket_misaligned", status=422,
                          fields={"bucket_start": [_("时段开始时间须为从零点起每 %(n)s 分钟的整点。")
                                                   % {"n": area.bucket_minutes}]})
    return (CrowdRevision.objects.filter(report__area=area, report__bucket_start=start)
            .select_related("report__source").order_by("report__source__name", "report_id", "revision"))
