"""Special openings (特殊开放日): a center opens on a date outside its weekly hours, or closes."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from onewindow.core.actors import Actor, is_system
from onewindow.core.audit import audit_record
from onewindow.core.errors import DomainError, NotFound, PermissionDenied

from .. import permissions as perms
from ..models import Center, SpecialOpening


def special_opening_set(*, by: Actor, center_code: str, day: datetime.date, opens: datetime.time | None = None,
                        closes: datetime.time | None = None, last_ticket: datetime.time | None = None,
                        closed: bool = False, reason: str = "") -> SpecialOpening:
    """Open ``center_code`` on ``day`` with the given hours (or close it), replacing the weekday's hours.

    Actor: the center manager, a system admin, or the system itself (``SYSTEM``, e.g. the
    ``centers_open_day`` command of an operator). Refused: unknown center (404), hours out of order (422).
    """
    center = Center.objects.filter(code=str(center_code)[:32]).first()
    if center is None:
        raise NotFound(_("找不到该服务中心。"), code="center_not_found")
    if not is_system(by) and not perms.is_center_manager(by, center):
        raise PermissionDenied(_("只有中心负责人可以设置特殊开放日。"), code="not_center_manager")
    if not closed and not (opens is not None and closes is not None and last_ticket is not None
                           and opens < closes and opens <= last_ticket <= closes):
        raise DomainError(_("开放时间须满足：开始 < 结束，停止取号在两者之间。"), code="hours_invalid", status=422)
    with transaction.atomic():
        row, _created = SpecialOpening.objects.update_or_create(
            center=center, date=day, defaults={"closed": closed, "opens": None if closed else opens,
                                               "closes": None if closed else closes,
                                               "last_ticket": None if closed else last_ticket,
                                               "reason": reason[:200]})
        audit_record(actor=by if is_system(by) else perms.user_of(by), action="centers.special_opening",
                     target=center, after={"date": day.isoformat(), "closed": closed,
                                           "hours": None if closed else f"{opens}-{closes}"})
    return row
