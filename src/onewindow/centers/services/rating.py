"""好差评 of a window service (现场服务 一次一评): after each service the person rates it on the
rating pad of the window (评价器), on the ticket's status page, or from the SMS link — once.

Refused: a ticket that was not served (409 service_not_given), already rated (409 already_rated),
a rating pad of another window (403), a pad with no recent service to rate (409 no_service_to_rate).
A bad rating opens the follow-up the center manager must handle (ratings.followup_open).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import Conflict, NotFound, PermissionDenied
from onewindow.ratings.choices import SubjectType
from onewindow.ratings.models import Rating
from onewindow.ratings.services import check_rating, rating_record

from .. import permissions as perms
from ..choices import DeviceKind, TicketStatus
from ..models import Ticket


def _rate(ticket: Ticket, by: Any, level: Any, comment: str, channel: str) -> Rating:
    if ticket.status != TicketStatus.DONE:
        raise Conflict(_("该排队号尚未办结，不能评价。"), code="service_not_given")
    return rating_record(subject_type=SubjectType.SERVICE, subject_id=str(ticket.pk), level=level, comment=comment,
                         channel=channel, rater=perms.user_of(by), rater_person=ticket.person,
                         department=ticket.center.department, staff=ticket.clerk,
                         actor=perms.user_of(by) or (f"device:{by.pk}" if perms.device_of(by) else "ticket-holder"),
                         label=f"{ticket.center.short_name or ticket.center.name} {ticket.display}")


def service_rate_by_code(*, status_code: str, level: Any, comment: str = "", channel: str = "web") -> Rating:
    """The ticket's holder rates its service from the status page or the SMS link (no login)."""
    check_rating(level, comment, channel)
    with transaction.atomic():
        ticket = (Ticket.objects.select_for_update(of=("self",)).select_related("center", "center__department")
                  .filter(status_code=str(status_code or "")[:16]).first())
        if ticket is None:
            raise NotFound(_("找不到该排队号。"), code="ticket_not_found")
        return _rate(ticket, None, level, comment, channel)


def service_rate_at_pad(*, by: Any, level: Any, comment: str = "", now: datetime.datetime | None = None) -> Rating:
    """The window's rating pad rates the service that just ended at its window (within
    CENTERS_PAD_RATING_MINUTES, default 10)."""
    device = perms.device_of(by)
    if device is None or not device.is_active or device.kind != DeviceKind.RATING_PAD or device.window_id is None:
        raise PermissionDenied(_("只有窗口评价器可以这样评价。"), code="not_a_rating_pad")
    check_rating(level, comment, "pad")
    moment = timezone.localtime(now or timezone.now())
    minutes = int(getattr(settings, "CENTERS_PAD_RATING_MINUTES", 10))
    with transaction.atomic():
        ticket = (Ticket.objects.select_for_update(of=("self",)).select_related("center", "center__department")
                  .filter(window_id=device.window_id, status=TicketStatus.DONE,
                          finished_at__gte=moment - datetime.timedelta(minutes=minutes))
                  .order_by("-finished_at", "-id").first())
        if ticket is None:
            raise Conflict(_("本窗口当前没有可评价的服务。"), code="no_service_to_rate")
        return _rate(ticket, device, level, comment, "pad")
