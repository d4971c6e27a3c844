"""Reads of the service centers: the public status of a ticket, the waiting board, a window's day
(the clerk's terminal), the manager's live view, open appointment slots and a resident's
appointments. Wait estimates come from today's live service times and open windows.

The queue-eligibility predicate (which waiting tickets a window may call) lives here once,
``waiting_for_window``: the call service claims from it, the terminal counts it.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, F, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.actors import Actor
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.core.masking import mask_phone

from . import limits
from . import permissions as perms
from .choices import DeviceKind, TicketStatus, WindowState
from .models import (
    Appointment,
    AppointmentSlot,
    Center,
    CenterStaff,
    Device,
    DeviceBinding,
    Ticket,
    TicketCategory,
    TicketEvent,
    Window,
    WindowDuty,
)

S = TicketStatus
LIVE_SAMPLE = 20  # the last N services of a category today give the live service time


def _today() -> datetime.date:
    return timezone.localdate()


def service_minutes(category: TicketCategory, day: datetime.date) -> float:
    """Average minutes of the category's last services today, else its planned average."""
    # Filtered by center and day first, so the queue index serves it (not the category's whole history).
    rows = list(Ticket.objects.filter(center_id=category.center_id, date=day, status=S.DONE, category=category,
                                      started_at__isnull=False,
                                      finished_at__isnull=False).order_by("-finished_at")
                .values_list("started_at", "finished_at")[:LIVE_SAMPLE])
    if len(rows) < 3:
        return float(category.service_minutes)
    seconds = [(end - start).total_seconds() for start, end in rows if start is not None and end is not None]
    return sum(seconds) / 60 / len(seconds)


def open_windows_for(category: TicketCategory) -> int:
    return Window.objects.filter(center_id=category.center_id, state=WindowState.OPEN, categories=category).count()


def wait_range(ahead: int, minutes: float, windows: int) -> tuple[int, int]:
    """Estimated wait in minutes as a range (±30 %), from people ahead, service time and windows."""
    if windows <= 0:
        return (0, 0) if ahead == 0 else (-1, -1)  # -1: no open window, cannot estimate
    centre = ahead * minutes / windows
    return (max(0, math.floor(centre * 0.7)), math.ceil(centre * 1.3))


@dataclass
class TicketStatusView:
    """The public status page of a ticket (its QR code): no personal data."""

    display: str
    center: str
    category: str
    status: str
    status_label: str
    ahead: int
    wait: tuple[int, int]
    window: int | None
    taken_at: Any
    called_at: Any
    rateable: bool


def ticket_status(status_code: str) -> TicketStatusView:
    """Position, people ahead, estimated wait and the window called to — for the ticket's holder."""
    ticket = (Ticket.objects.select_related("center", "category", "window")
              .filter(status_code=str(status_code or "")[:16]).first())
    if ticket is None:
        raise NotFound(_("找不到该排队号。"), code="ticket_not_found")
    ahead = 0
    wait = (0, 0)
    if ticket.status == S.WAITING:
        ahead = Ticket.objects.filter(center_id=ticket.center_id, date=ticket.date, category_id=ticket.category_id,
                                      status=S.WAITING).filter(
            Q(queue_key__lt=ticket.queue_key) | Q(queue_key=ticket.queue_key, pk__lt=ticket.pk)).count()
        wait = wait_range(ahead, service_minutes(ticket.category, ticket.date), open_windows_for(ticket.category))
    from onewindow.ratings.selectors import rating_of

    return TicketStatusView(display=ticket.display, center=ticket.center.name, category=ticket.category.name,
                            status=ticket.status, status_label=str(S(ticket.status).label), ahead=ahead, wait=wait,
                            window=ticket.window.number if ticket.window else None, taken_at=ticket.taken_at,
                            called_at=ticket.called_at,
                            rateable=ticket.status == S.DONE and rating_of("service", str(ticket.pk)) is None)


@dataclass
class BoardRow:
    prefix: str
    name: str
    waiting: int
    avg_wait_minutes: int
    wait: tuple[int, int]
    windows: int


@dataclass
class Board:
    """The waiting board of a center (for its WeChat page and the hall screen)."""

    center: Center
    rows: list[BoardRow] = field(default_factory=list)
    recent_calls: list[tuple[str, int]] = field(default_factory=list)


def center_by_code(center_code: str) -> Center:
    """An active center by its code (public: the board, the booking page, the slot list); 404 else."""
    center = Center.objects.filter(code=str(center_code or "")[:32], is_active=True).first()
    if center is None:
        raise NotFound(_("找不到该服务中心。"), code="center_not_found")
    return center


def center_board(center_code: str, *, day: datetime.date | None = None) -> Board:
    """Numbers waiting per category, today's average wait, and the latest calls (display, window)."""
    center = center_by_code(center_code)
    day = day or _today()
    waiting = dict(Ticket.objects.filter(center=center, date=day, status=S.WAITING).values_list("category_id")
                   .annotate(n=Count("id")).values_list("category_id", "n"))
    waited = dict(Ticket.objects.filter(center=center, date=day, called_at__isnull=False)
                  .values_list("category_id").annotate(avg=Avg(F("called_at") - F("taken_at")))
                  .values_list("category_id", "avg"))
    board = Board(center=center)
    for category in TicketCategory.objects.filter(center=center, is_active=True).order_by("sort", "prefix"):
        n = waiting.get(category.pk, 0)
        windows = open_windows_for(category)
        avg = waited.get(category.pk)
        avg_minutes = int(avg.total_seconds() // 60) if isinstance(avg, datetime.timedelta) else 0
        board.rows.append(BoardRow(prefix=category.prefix, name=category.name, waiting=n, avg_wait_minutes=avg_minutes,
                                   wait=wait_range(n, service_minutes(category, day), windows), windows=windows))
    calls = (TicketEvent.objects.filter(ticket__center=center, ticket__date=day, action__in=["call", "recall"])
             .select_related("ticket", "window").order_by("-at", "-id")[:8])
    board.recent_calls = [(e.ticket.display, e.window.number if e.window else 0) for e in calls]
    return board


@dataclass
class WindowLive:
    window: Window
    ticket: Ticket | None
    since: Any
    clerk: str
    categories: list[str]


def center_live_for(by: Actor, center_id: Any) -> list[WindowLive]:
    """The manager's view: every window — serving whom (ticket display), since when, or idle."""
    center = Center.objects.filter(pk=int(center_id) if str(center_id).isdigit() else 0).first()
    if center is None:
        raise NotFound(_("找不到该服务中心。"), code="center_not_found")
    if not perms.is_center_staff(by, center):
        raise PermissionDenied(_("您不是该中心的工作人员。"), code="not_center_staff")
    current = {t.window_id: t for t in Ticket.objects.filter(center=center, status__in=[S.CALLED, S.SERVING])
               .select_related("clerk", "clerk__person")}
    result = []
    for window in Window.objects.filter(center=center).prefetch_related("categories").order_by("number"):
        ticket = current.get(window.pk)
        clerk = ""
        if ticket is not None and ticket.clerk is not None:
            clerk = ticket.clerk.person.name if ticket.clerk.person else ticket.clerk.get_username()
        result.append(WindowLive(window=window, ticket=ticket,
                                 since=(ticket.started_at or ticket.called_at) if ticket else None, clerk=clerk,
                                 categories=[c.prefix for c in window.categories.all()]))
    return result


def today_counts(center: Center, day: datetime.date | None = None) -> dict[str, int]:
    """Today's tickets per status at a center (the manager's counters)."""
    day = day or _today()
    counts = dict(Ticket.objects.filter(center=center, date=day).values_list("status").annotate(n=Count("id"))
                  .values_list("status", "n"))
    return {status: counts.get(status, 0) for status in S.values}


@dataclass
class Flooding:
    """One source of many tickets in the flooding window: a device (by name) or a typed number
    (masked: 139****1234); ``tickets`` counts them, ``last`` is the latest one's time."""

    kind: str
    label: str
    tickets: int
    last: datetime.datetime


def queue_flooding_for(by: Actor, center: Center, *, now: datetime.datetime | None = None) -> list[Flooding]:
    """刷号预警: devices and typed phone numbers that took at least CENTERS_FLOOD ``device`` /
    ``phone`` tickets at this center in the last ``minutes`` (decision 0008), most first.

    For the center's manager (and system admins) only; numbers are masked (个人信息保护法 art. 51).
    Two grouped queries and one small read per flagged number (its latest ticket, to mask it).
    """
    if not perms.is_center_manager(by, center):
        raise PermissionDenied(_("只有该中心的负责人可以查看。"), code="not_center_manager")
    since = (now or timezone.now()) - datetime.timedelta(minutes=limits.flood("minutes"))
    recent = Ticket.objects.filter(center=center, taken_at__gte=since)
    rows = [Flooding(kind="device", label=str(row["device__name"]), tickets=row["n"], last=row["last"])
            for row in recent.filter(device__isnull=False).values("device_id", "device__name")
            .annotate(n=Count("id"), last=Max("taken_at")).filter(n__gte=limits.flood("device")).order_by("-n")]
    for row in (recent.exclude(phone_hash="").values("phone_hash").annotate(n=Count("id"), last=Max("taken_at"),
                                                                           latest=Max("id"))
                .filter(n__gte=limits.flood("phone")).order_by("-n")[:50]):
        ticket = Ticket.objects.only("phone").get(pk=row["latest"])
        rows.append(Flooding(kind="phone", label=mask_phone(ticket.phone), tickets=row["n"], last=row["last"]))
    rows.sort(key=lambda r: -r.tickets)
    return rows


@dataclass
class DeviceRow:
    device: Any
    bound_since: datetime.datetime | None
    expires_soon: bool = False  # its token expires within 30 days: renew it before it goes dark


def center_devices_for(by: Actor, center: Center) -> list[DeviceRow]:
    """The center's devices for its manager: kind, name, window, last seen, and since when a
    browser is bound (kiosks and displays; decision 0008). Two queries."""
    if not perms.is_center_manager(by, center):
        raise PermissionDenied(_("只有该中心的负责人可以查看。"), code="not_center_manager")
    devices = list(Device.objects.filter(center=center).select_related("window", "token").order_by("kind", "name"))
    bound = dict(DeviceBinding.objects.filter(device__center=center, revoked_at__isnull=True)
                 .values_list("device_id", "created_at"))
    soon = timezone.now() + datetime.timedelta(days=30)  # token expiry shown 30 days ahead (accounts.tokens)
    return [DeviceRow(device=d, bound_since=bound.get(d.pk),
                      expires_soon=d.token.expires_at is not None and d.token.expires_at <= soon) for d in devices]


def enrolable_devices_for(by: Actor) -> list[Any]:
    """Kiosks and displays of the centers ``by`` manages (all for a system admin), active ones:
    what the enrolment page offers to bind this browser to (decision 0008)."""
    user = perms.user_of(by)
    if user is None:
        return []
    centers = [c for c in perms.centers_of(user) if perms.is_center_manager(user, c)]
    return list(Device.objects.filter(center_id__in=centers, center__is_active=True, is_active=True,
                                      kind__in=[DeviceKind.KIOSK, DeviceKind.DISPLAY], token__revoked_at__isnull=True)
                .select_related("center").order_by("center__code", "kind", "name"))


# ---- the window terminal (窗口叫号终端) ------------------------------------------------------------

TODAY_ROWS = 30


def _as_pk(value: Any) -> int:
    text = str(value if value is not None else "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else 0


def waiting_for_window(window: Window, day: datetime.date) -> QuerySet[Ticket]:
    """The queue-eligibility predicate: the waiting tickets of ``day`` a window may call — those
    transferred to this very window, and those without a target window in one of its categories.
    ``ticket_call_next`` claims from it; the terminal counts it. The window's categories are a subquery,
    not a list read first: one statement for the call (issue #17)."""
    category_ids = Window.categories.through.objects.filter(window_id=window.pk).values("ticketcategory_id")
    return (Ticket.objects.filter(center_id=window.center_id, date=day, status=S.WAITING)
            .filter(Q(target_window=window) | Q(target_window__isnull=True, category_id__in=category_ids)))


def window_for(by: Actor, window_id: Any) -> Window:
    """A window of a center ``by`` works in: 404 window_not_found, 403 not_center_staff."""
    window = Window.objects.select_related("center").filter(pk=_as_pk(window_id)).first()
    if window is None:
        raise NotFound(_("找不到该窗口。"), code="window_not_found")
    if not perms.is_center_staff(by, window.center_id):
        raise PermissionDenied(_("您不是该中心的工作人员。"), code="not_center_staff")
    return window


def _minutes(start: datetime.datetime | None, end: datetime.datetime | None) -> int:
    if start is None or end is None:
        return 0
    return max(0, int((end - start).total_seconds() // 60))


def user_name(user: Any) -> str:
    """A staff user's name as the centers pages show it (their person's name, else the login)."""
    person = getattr(user, "person", None)
    return person.name if person is not None else str(user.get_username())


@dataclass
class Desk:
    """What the clerk at a window sees: the window, its current ticket, today's services there."""

    window: Window
    ticket: Ticket | None
    waited: int
    served: int
    avg_service: int
    waiting: int
    today: list[Ticket] = field(default_factory=list)
    categories: list[TicketCategory] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    cases: list[Any] = field(default_factory=list)
    on_duty: str = ""
    is_manager: bool = False
    signed_in: str = ""  # the name of the clerk signed in at the window today (上岗签到)
    signed_in_me: bool = False


def desk_for(by: Actor, window_id: Any, *, now: datetime.datetime | None = None) -> Desk:
    """The terminal of a window for the staff of its center: the current ticket (called or
    serving) and the minutes its holder waited, today's tickets of the window, the served count
    and average service, the tickets this window may call (``waiting_for_window``), and — while a
    ticket is being served — the clerk's own cases of today under the center's body, to link to
    the service (cases.selectors.window_cases_today_for). 404/403 as ``window_for``."""
    from onewindow.cases.selectors import window_cases_today_for

    window = window_for(by, window_id)
    now = now or timezone.now()
    day = timezone.localdate(now)
    ticket = (Ticket.objects.filter(window=window, status__in=[S.CALLED, S.SERVING])
              .select_related("category").order_by("called_at").first())
    today = list(Ticket.objects.filter(window=window, date=day).exclude(status=S.WAITING)
                 .select_related("category").order_by("-called_at", "-id")[:TODAY_ROWS])
    done = list(Ticket.objects.filter(window=window, date=day, status=S.DONE, started_at__isnull=False,
                                      finished_at__isnull=False).values_list("started_at", "finished_at"))
    seconds = [(end - start).total_seconds() for start, end in done if start is not None and end is not None]
    waiting = waiting_for_window(window, day).count()
    duty = WindowDuty.objects.filter(window=window, date=day).select_related("user", "user__person").first()
    serving = ticket is not None and ticket.status == S.SERVING
    return Desk(
        window=window, ticket=ticket,
        waited=_minutes(ticket.taken_at, ticket.called_at or now) if ticket else 0,
        served=len(done), avg_service=round(sum(seconds) / 60 / len(seconds)) if seconds else 0,
        waiting=waiting, today=today,
        categories=list(TicketCategory.objects.filter(center_id=window.center_id, is_active=True)),
        windows=list(Window.objects.filter(center_id=window.center_id).exclude(pk=window.pk)),
        cases=window_cases_today_for(by, department_id=window.center.department_id, day=day) if serving else [],
        on_duty=user_name(duty.user) if duty else "",
        is_manager=perms.is_center_manager(by, window.center_id),
        **_signed_in(by, window, now))


def _signed_in(by: Actor, window: Window, now: datetime.datetime) -> dict[str, Any]:
    """Who is signed in at the window today (the last sign-in/out row of the day)."""
    from .choices import WindowEventAction as A
    from .models import WindowEvent

    start = timezone.make_aware(datetime.datetime.combine(timezone.localdate(now), datetime.time.min))
    event = (WindowEvent.objects.filter(window=window, action__in=[A.SIGN_IN, A.SIGN_OUT], at__gte=start)
             .select_related("clerk", "clerk__person").order_by("-at", "-id").first())
    if event is None or event.action != A.SIGN_IN or event.clerk is None:
        return {}
    user = perms.user_of(by)
    return {"signed_in": user_name(event.clerk), "signed_in_me": user is not None and user.pk == event.clerk_id}


def window_current_ticket(window_id: int) -> Ticket:
    """The ticket called to or being served at a window (a call keypad's ticket); 409
    no_current_ticket when there is none. The caller has checked the device's window."""
    ticket = current_at_window(window_id).first()
    if ticket is None:
        raise no_current_ticket()
    return ticket


def current_at_window(window_id: int) -> QuerySet[Ticket]:
    """The called or serving tickets of a window, the latest called first (the keypad's current
    ticket is the first; services.ticket_skip_current locks it in the same query)."""
    return Ticket.objects.filter(window_id=window_id, status__in=[S.CALLED, S.SERVING]).order_by("-called_at", "-id")


def no_current_ticket() -> Conflict:
    """The refusal of a keypad step when its window has no current ticket (409)."""
    return Conflict(_("本窗口当前没有已叫号或办理中的排队号。"), code="no_current_ticket")


def window_with_categories(window_id: int) -> Window:
    """A window with its categories loaded (the API's answer after a change of state or categories)."""
    return Window.objects.prefetch_related("categories").get(pk=window_id)


def staff_windows_for(by: Actor) -> tuple[list[Window], set[int]]:
    """The windows of the centers ``by`` works in (by center code and number), and the ids of the
    centers they manage (every one for a system admin)."""
    centers = perms.centers_of(by)
    windows = list(Window.objects.filter(center_id__in=centers).select_related("center")
                   .order_by("center__code", "number"))
    managed = set(CenterStaff.objects.filter(user=perms.user_of(by), valid=True, is_manager=True)
                  .values_list("center_id", flat=True))
    if getattr(by, "is_superuser", False):
        managed = set(centers)
    return windows, managed


# ---- appointments (网上预约) -------------------------------------------------------------------------

def open_slots(center: Center, *, category_id: int | None = None, date_from: datetime.date | None = None,
               date_to: datetime.date | None = None, free_only: bool = False, exclude: int = 0,
               now: datetime.datetime | None = None, limit: int = 500) -> list[AppointmentSlot]:
    """The center's appointment slots that may still be booked: not started, of an active category,
    on a day within the booking horizon (``limits.booking_last_day``: the one rule the booking
    services enforce), from ``date_from`` (today at the earliest) to ``date_to`` (the horizon's
    last day by default); ``free_only`` leaves out full slots (the page shows them as full).

    Refused: ``date_to`` before the start or beyond the horizon (422 date_range_invalid). A
    ``date_from`` beyond the horizon lists nothing."""
    moment = timezone.localtime(now or timezone.now())
    today = moment.date()
    last = limits.booking_last_day(today)
    start = max(date_from or today, today)
    if date_to is not None and (date_to < start or date_to > last):
        raise DomainError(_("查询区间须从今天起，至迟到可预约期的最后一天（今天起 %(days)s 天）。")
                          % {"days": limits.booking_horizon_days()}, code="date_range_invalid", status=422,
                          fields={"date_to": [_("取值无效。")]})
    end = date_to or last
    if start > end:
        return []
    qs = (AppointmentSlot.objects.select_related("category")
          .filter(center=center, date__gte=start, date__lte=end, category__is_active=True)
          .exclude(date=today, starts__lte=moment.time()).exclude(pk=exclude))
    if category_id is not None:
        qs = qs.filter(category_id=category_id)
    if free_only:
        qs = qs.filter(booked__lt=F("capacity"))
    return list(qs.order_by("date", "starts", "category__sort", "id")[:limit])


_APPOINTMENT_RELATED = ("slot", "slot__center", "slot__category", "category", "person", "item")


def appointments_for(by: Actor, *, limit: int = 100) -> list[Appointment]:
    """我的预约: the appointments of the logged-in person, the latest first; none without a person."""
    person_id = getattr(perms.user_of(by), "person_id", None)
    if person_id is None:
        return []
    return list(Appointment.objects.filter(person_id=person_id).select_related(*_APPOINTMENT_RELATED)
                .order_by("-date", "-slot__starts", "-id")[:limit])


def appointment_get_for(by: Actor, *, appointment_id: Any = None, code: str = "") -> Appointment:
    """One appointment of the logged-in person, by id or by its code; 404 appointment_not_found for
    anyone else's (no existence leak)."""
    person_id = getattr(perms.user_of(by), "person_id", None)
    qs = Appointment.objects.select_related(*_APPOINTMENT_RELATED)
    if appointment_id is not None:
        appointment = qs.filter(pk=_as_pk(appointment_id)).first()
    else:
        appointment = qs.filter(code=str(code or "").strip().upper()[:12]).first()
    if appointment is None or person_id is None or appointment.person_id != person_id:
        raise NotFound(_("找不到该预约。"), code="appointment_not_found")
    return appointment


def window_case_origin(user: Any, ticket_ref: str) -> str | None:
    """The channel of a case the clerk ``user`` takes at the window while serving ticket ``ticket_ref``
    (registered in cases.services.origins): ``appointment`` for a booking's ticket that this clerk
    has called or is serving, ``window`` for any other ticket of theirs, None otherwise."""
    user_id = getattr(perms.user_of(user), "pk", None)
    if user_id is None or not str(ticket_ref).isdigit():
        return None
    row = (Ticket.objects.filter(pk=int(ticket_ref), clerk_id=user_id,
                                 status__in=[TicketStatus.CALLED, TicketStatus.SERVING])
           .values("appointment_id").first())
    if row is None:
        return None
    return "appointment" if row["appointment_id"] is not None else "window"


# ---- the manager's view (中心现场管理) --------------------------------------------------------------

def center_for(by: Actor, center_id: Any) -> Center:
    """A center ``by`` works in (clerk, manager, system admin): 404 center_not_found, 403 not_center_staff."""
    center = Center.objects.filter(pk=_as_pk(center_id)).first()
    if center is None:
        raise NotFound(_("找不到该服务中心。"), code="center_not_found")
    if not perms.is_center_staff(by, center):
        raise PermissionDenied(_("您不是该中心的工作人员。"), code="not_center_staff")
    return center


def center_window_id(center_id: Any, window_id: Any) -> int:
    """The window's id if it belongs to the center of the page (else 404 window_not_found)."""
    if not Window.objects.filter(pk=_as_pk(window_id), center_id=_as_pk(center_id)).exists():
        raise NotFound(_("找不到该窗口。"), code="window_not_found")
    return int(window_id)


def duty_names_for(center: Center, day: datetime.date) -> dict[int, str]:
    """Window id → name of the clerk on duty there on ``day`` (排班), in one query."""
    return {d.window_id: user_name(d.user) for d in WindowDuty.objects.filter(window__center=center, date=day)
            .select_related("user", "user__person")}


def duty_today_for(by: Actor) -> WindowDuty | None:
    """The window ``by`` is on duty at today, if any (the terminal opens it directly)."""
    user = perms.user_of(by)
    if user is None:
        return None
    return WindowDuty.objects.filter(user=user, date=timezone.localdate()).first()


def active_categories(center: Center) -> list[TicketCategory]:
    """The center's active ticket categories (public: the booking page; the manager's forms)."""
    return list(TicketCategory.objects.filter(center=center, is_active=True))


def center_staff_choices(center: Center) -> list[tuple[int, str]]:
    """(user id, name) of the center's active staff, for the manager's duty form."""
    return [(s.user_id, user_name(s.user)) for s in CenterStaff.objects.filter(
        center=center, valid=True, user__is_active=True).select_related("user", "user__person")
        .order_by("user__username")]


# ---- the service wall (政务服务大屏, issue #16 part 4) ------------------------------------------------

@dataclass
class CenterLive:
    """One active center's live counters of ``day`` for the service wall: tickets waiting now and
    taken that day, ``waits``/``wait_seconds`` over the tickets called so far (taken → call, as
    the waiting board's average), windows open now, the last ticket called; ``name`` the short
    name (readable on a big screen), else the full one; ``district_code`` the GB/T 2260 code of
    the district its region lies in (the region itself, or its parent for a street; None above)."""

    pk: int
    code: str
    name: str
    department_id: int
    district_code: str | None
    tickets_waiting: int = 0
    tickets_taken: int = 0
    waits: int = 0
    wait_seconds: float = 0.0
    windows_open: int = 0
    called_last: str | None = None


def _district_code(region: Any) -> str | None:
    while region is not None and region.level not in ("district", "city"):
        region = region.parent
    return region.code if region is not None and region.level == "district" else None


def centers_live(day: datetime.date) -> list[CenterLive]:
    """Every active center with its live queue of ``day`` (public aggregates, no personal data):
    three statements whatever the number of centers (grouped in SQL), by center code."""
    from django.db.models import DurationField, ExpressionWrapper, OuterRef, Subquery, Sum

    last_call = (Ticket.objects.filter(center=OuterRef("pk"), date=day, called_at__isnull=False)
                 .order_by("-called_at", "-id").values("display")[:1])
    centers = list(Center.objects.filter(is_active=True).select_related("region__parent__parent")
                   .annotate(called_last=Subquery(last_call)).order_by("code"))
    ids = [c.pk for c in centers]
    waited = ExpressionWrapper(F("called_at") - F("taken_at"), output_field=DurationField())
    tickets = {row["center_id"]: row for row in Ticket.objects.filter(center_id__in=ids, date=day).order_by()
               .values("center_id").annotate(taken=Count("id"), waiting=Count("id", filter=Q(status=S.WAITING)),
                                             waits=Count("id", filter=Q(called_at__isnull=False)),
                                             waited=Sum(waited, filter=Q(called_at__isnull=False)))}
    windows = dict(Window.objects.filter(center_id__in=ids, state=WindowState.OPEN).order_by().values("center_id")
                   .annotate(n=Count("id")).values_list("center_id", "n"))
    out = []
    for center in centers:
        row = tickets.get(center.pk, {})
        waited_total = row.get("waited")
        out.append(CenterLive(
            pk=center.pk, code=center.code, name=center.short_name or center.name,
            department_id=center.department_id, district_code=_district_code(center.region),
            tickets_waiting=int(row.get("waiting") or 0), tickets_taken=int(row.get("taken") or 0),
            waits=int(row.get("waits") or 0),
            wait_seconds=max(0.0, waited_total.total_seconds()) if isinstance(waited_total, datetime.timedelta)
            else 0.0,
            windows_open=int(windows.get(center.pk, 0)), called_last=getattr(center, "called_last", None)))
    return out
