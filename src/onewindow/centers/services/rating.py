"""好差评 of a window service (现场服务 一次一评): after each service the person rates it on the
rating pad of the window (评价器), on the ticket's status page, or from the SMS link — once.

After the service a confirmed number of the ticket (decision 0008: a kiosk's one-time code, the
resident's own number, a booking's, one typed by a clerk) gets one SMS with a signed rating link
(``service_rating``, in the holder's language; ratings.rating_link_token, the recipe of the case's
SMS link): it opens the rating page without login; an unconfirmed number gets nothing, so the hall
can never be used to text strangers.

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

from onewindow.core.actors import Actor
from onewindow.core.errors import Conflict, NotFound, PermissionDenied
from onewindow.notifications.services import message_enqueue
from onewindow.ratings.choices import SubjectType
from onewindow.ratings.models import Rating
from onewindow.ratings.services import check_rating, rating_link_pk, rating_link_token, rating_record

from .. import permissions as perms
from ..choices import DeviceKind, TicketStatus
from ..models import Ticket

TOKEN_SALT = "onewindow.centers.rate"  # noqa: S105 - a signing salt, not a password


def _rate(ticket: Ticket, by: Actor | None, level: Any, comment: str, channel: str) -> Rating:
    if ticket.status != TicketStatus.DONE:
        raise Conflict(_("该排队号尚未办结，不能评价。"), code="service_not_given")
    return rating_record(subject_type=SubjectType.SERVICE, subject_id=str(ticket.pk), level=level, comment=comment,
                         channel=channel, rater=perms.user_of(by), rater_person=ticket.person,
                         department=ticket.center.department, staff=ticket.clerk,
                         actor=by,
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


def service_rate_at_pad(*, by: Actor, level: Any, comment: str = "", now: datetime.datetime | None = None) -> Rating:
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


def service_rating_url(ticket: Ticket) -> str:
    """The signed rating link of a window service (path; the SMS gateway's text carries it)."""
    return f"/centers/rate/{rating_link_token(salt=TOKEN_SALT, key='ticket', pk=ticket.pk)}/"


def service_rating_sms(ticket: Ticket) -> None:
    """After 办结: one SMS with the signed rating link to the ticket's confirmed number, inside the
    finishing transaction (the outbox sends it on commit). Nothing for an unconfirmed or no number."""
    if ticket.status != TicketStatus.DONE or not ticket.phone or ticket.phone_confirmed_at is None:
        return
    message_enqueue(event="service_rating", phone=ticket.phone, person=ticket.person if ticket.person_id else None,
                    subject_type="ticket", subject_id=str(ticket.pk),
                    context={"number": ticket.display, "center": ticket.center.short_name or ticket.center.name,
                             "url": service_rating_url(ticket)})


def ticket_from_rating_token(token: str) -> Ticket:
    """The ticket a rating link names; 404 rating_link_not_found for a forged, altered or expired one."""
    pk = rating_link_pk(token, salt=TOKEN_SALT, key="ticket")
    ticket = (Ticket.objects.select_related("center", "category", "window").filter(pk=pk).first()
              if pk is not None else None)
    if ticket is None:
        raise NotFound(_("评价链接无效或已过期。"), code="rating_link_not_found")
    return ticket


def service_rate_by_token(*, token: str, level: Any, comment: str = "") -> Rating:
    """Rating through the SMS link: whoever holds the signed link rates the service once (channel sms)."""
    check_rating(level, comment, "sms")
    with transaction.atomic():
        pk = ticket_from_rating_token(token).pk
        ticket = (Ticket.objects.select_for_update(of=("self",)).select_related("center", "center__department")
                  .get(pk=pk))
        return _rate(ticket, None, level, comment, "sms")
