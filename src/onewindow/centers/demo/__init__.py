"""Demo data of the service centers (issue #4 part 10): the seed article's 临汾路街道社区事务受理服务中心
with 18 months of queue history, called by ``onewindow demo_data`` after the catalog, accounts and
cases demos.

- The center (code 310106021, street level, department = the catalog demo's ``310106021-SQSW``)
  offers exactly the catalog's 170 personal service items (seed: 个人公共服务事项办理170项),
  sorted into six ticket categories by keywords of their names (``demo_names``); open Monday to
  Friday 09:00–17:00, last ticket 16:30 (illustrative hours); ten windows (six 综合窗口, four
  specialised); the window clerks (``centerclerk`` and nine clerks without login) and ``manager``
  as the center manager; devices: a kiosk (its token is printed; its self-fill acts as the
  terminal account ``lfl-kiosk``, which never logs in), a ticket printer, a display board, and a
  call keypad and a rating pad per window. The kiosk and display pages work only in an enrolled
  browser (decision 0008): the printed accounts say how (``/centers/devices/enrol/`` as manager).
- History from the first day of the month 18 months before yesterday to yesterday (today starts
  empty, so the first ticket of the demo user is A001): arrivals drawn per working day of the core
  calendar (Monday and the day after a holiday busiest, January and July busier, nothing on
  holidays, a quiet week before the Spring Festival; peaks 9:00–10:30 and 13:30–14:30, the lunch
  dip); waits are not drawn but come out of a simulation of the staffed windows calling the next
  ticket by queue key (priorities with their bounded head start, lunch breaks), lognormal service
  times per category; skips (过号) and late re-queues, transfers, holders leaving the queue,
  ~15 % of the visits booked (网上预约) with no-shows (爽约) and cancellations; a rating on most
  services (mostly 非常满意), ~2 % bad, each with its follow-up (most closed).
- Appointment slots and window duties for today and the next 14 working days, so booking works.

Rows are written as the services would write them (gap-free numbers per center, category and
day; one event per step; priorities' queue keys) but in bulk (``executemany``), month by month.
Idempotent (a second run only tops up slots and duties) and deterministic from the seed (apart
from the tokens of devices other than the kiosk).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import math
import random
from collections.abc import Callable
from typing import Any

import chinese_calendar
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from onewindow.accounts import services as account_services
from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import ApiToken, Person, User, format_token, hash_token_secret, new_token_parts
from onewindow.accounts.sample_identifiers import sample_mobile, sample_resident_id
from onewindow.cases.demo.rows import reset_sequences
from onewindow.cases.demo.stories import centerclerk_ensure
from onewindow.cases.demo.year import CENTERCLERK
from onewindow.catalog.models import ServiceItem
from onewindow.core import crypto
from onewindow.core.actors import system_actor
from onewindow.core.audit import audit_record
from onewindow.core.calendar import is_working_day
from onewindow.core.models import Department, Region
from onewindow.ratings.models import FollowUp, Rating

from .. import demo_names as N
from ..choices import CenterLevel, DeviceKind, WindowKind, WindowState
from ..models import (
    Appointment,
    AppointmentEvent,
    AppointmentSlot,
    Center,
    CenterStaff,
    Device,
    OpeningHours,
    Ticket,
    TicketCategory,
    TicketEvent,
    Window,
    WindowDuty,
    WindowEvent,
)

OPENS, CLOSES, LAST_TICKET = datetime.time(9, 0), datetime.time(17, 0), datetime.time(16, 30)  # illustrative
OPEN_S = 9 * 3600
SLOT_STARTS = [datetime.time(9 + m // 60, m % 60) for m in range(0, 450, 30)]  # 9:00 … 16:00, 30 minutes each
SLOT_CAPACITY = 4
FUTURE_DAYS = 14
PERSON_POOL = 5000
PATIENCE = math.log(80 * 60)  # median seconds a holder waits before giving up
OLD_AREA = "310108"  # 临汾路 belonged to 闸北区 until 2015: older residents' ID numbers carry its code


def _days_from(today: datetime.date, history_months: int = 18) -> tuple[datetime.date, datetime.date]:
    """History: from the first of the month 18 months (``history_months``) before yesterday's
    month, to yesterday."""
    last = today - datetime.timedelta(days=1)
    months = last.year * 12 + last.month - 1 - history_months
    return datetime.date(months // 12, months % 12 + 1, 1), last


KIOSK_OPERATOR = "lfl-kiosk"  # the kiosk's terminal account (no login)


def _spring_festival(day: datetime.date) -> bool:
    try:
        return chinese_calendar.get_holiday_detail(day)[1] == "Spring Festival"
    except NotImplementedError:
        return False


def _kiosk_bearer(seed: int) -> tuple[str, str]:
    """The kiosk's demo token, stable per installation (keyed by SECRET_KEY) so every run can print it."""
    mac = hmac.new(settings.SECRET_KEY.encode(), f"centers-demo-kiosk:{seed}".encode(), hashlib.sha256).digest()
    return mac[:6].hex(), base64.urlsafe_b64encode(mac).decode().rstrip("=")


# ---- the center, its windows, staff and devices --------------------------------------------------

def _category_of(name: str) -> str:
    for prefix, words in N.KEYWORDS:
        if any(w in name for w in words):
            return prefix
    return N.FALLBACK_CATEGORY


def _clerks(admin: User, department: Department, rng: random.Random) -> list[User]:
    users = []
    for n, (name, female, year) in enumerate(N.CLERKS, start=1):
        user = User.objects.filter(username=f"lfl-clerk{n:02d}").first()
        if user is None:
            user = User(username=f"lfl-clerk{n:02d}", is_staff=True)
            user.set_unusable_password()  # no login: they appear in duties, events and ratings
            number = sample_resident_id(OLD_AREA, datetime.date(year, 1 + rng.randrange(12), 1 + rng.randrange(28)),
                                        600 + n, female=female)
            person = Person.objects.filter(id_number_hash=crypto.keyed_hash(number)).first()
            user.person = person or Person.objects.create(
                name=name, id_number=number, phone=sample_mobile(rng), gender="female" if female else "male",
                real_name_verified=True, real_name_verified_at=timezone.now())
            user.save()
            account_services.staff_role_grant(by=admin, user=user, role=StaffRoleKind.WINDOW_CLERK,
                                              department=department)
        users.append(user)
    return users


def _device(center: Center, kind: str, name: str, system: str, window: Window | None = None,
            parts: tuple[str, str] | None = None) -> Device:
    prefix, secret = parts or new_token_parts()
    token = ApiToken.objects.create(name=name, system_name=system, prefix=prefix,
                                    secret_hash=hash_token_secret(secret), scopes=["device"])
    return Device.objects.create(center=center, window=window, kind=kind, name=name, token=token)


def _setup(admin: User, manager: User, rng: random.Random, seed: int) -> Center:
    department = Department.objects.get(code=N.DEPARTMENT_CODE)
    center = Center.objects.create(code=N.CENTER_CODE, name=N.CENTER_NAME, short_name=N.CENTER_SHORT,
                                   level=CenterLevel.STREET, region=Region.objects.get(code=N.CENTER_CODE),
                                   department=department, address=N.CENTER_ADDRESS, phone=N.CENTER_PHONE)
    items = list(ServiceItem.objects.filter(department=department).order_by("code"))
    center.items.set(items)
    OpeningHours.objects.bulk_create([OpeningHours(center=center, weekday=d, opens=OPENS, closes=CLOSES,
                                                   last_ticket=LAST_TICKET) for d in range(5)])
    categories = {}
    for sort, (prefix, name, _median, _share, planned) in enumerate(N.CATEGORIES, start=1):
        category = TicketCategory.objects.create(center=center, prefix=prefix, name=name, service_minutes=planned,
                                                 sort=sort)
        category.items.set([i for i in items if _category_of(i.name) == prefix])
        categories[prefix] = category
    for number, kind, name, prefixes in N.WINDOWS:
        window = Window.objects.create(center=center, number=number, name=name, kind=WindowKind(kind),
                                       state=WindowState.OPEN if number in N.OPEN_NOW else WindowState.CLOSED)
        window.categories.set([categories[p] for p in prefixes])
        _device(center, DeviceKind.CALL_KEYPAD, f"{number}号窗口叫号器", f"lfl-keypad-{number}", window)
        _device(center, DeviceKind.RATING_PAD, f"{number}号窗口评价器", f"lfl-pad-{number}", window)
    _device(center, DeviceKind.KIOSK, "大厅自助服务一体机", "lfl-kiosk", parts=_kiosk_bearer(seed))
    _device(center, DeviceKind.TICKET_PRINTER, "大厅取号机", "lfl-printer")
    _device(center, DeviceKind.DISPLAY, "大厅叫号显示屏", "lfl-display")
    clerk_user = centerclerk_ensure(admin, department, rng)
    staff = [clerk_user, *_clerks(admin, department, rng)]
    CenterStaff.objects.bulk_create([CenterStaff(center=center, user=u) for u in staff]
                                    + [CenterStaff(center=center, user=manager, is_manager=True)])
    return center


def _staff_of(center: Center) -> list[User]:
    return list(User.objects.filter(center_roles__center=center, center_roles__is_manager=False,
                                    center_roles__valid=True).order_by("pk"))


# ---- the planned rows ----------------------------------------------------------------------------

# Columns written per table, in this order (every NOT NULL column; the values are database-ready).
COLUMNS: dict[Any, tuple[str, ...]] = {
    AppointmentSlot: ("id", "center_id", "category_id", "date", "starts", "ends", "capacity", "booked"),
    Appointment: ("id", "slot_id", "category_id", "date", "person_id", "user_id", "code", "status", "channel",
                  "item_id", "created_at", "changed_at", "reminded_day", "reminded_hour", "phone"),
    AppointmentEvent: ("id", "appointment_id", "action", "from_status", "to_status", "actor_id", "actor_label", "data",
                       "at"),
    Ticket: ("id", "center_id", "category_id", "date", "number", "display", "status", "priority", "source",
             "queue_key", "status_code", "person_id", "phone", "appointment_id", "target_window_id", "window_id",
             "clerk_id", "taken_at", "called_at", "started_at", "finished_at", "recalls", "near_notified"),
    TicketEvent: ("id", "ticket_id", "action", "from_status", "to_status", "window_id", "actor_id", "data", "at"),
    Rating: ("id", "subject_type", "subject_id", "level", "score", "comment", "channel", "department_id", "staff_id",
             "rater_id", "rater_person_id", "created_at"),
    FollowUp: ("id", "rating_id", "department_id", "status", "due_date", "contacted_at", "contact_note", "fix_note",
               "reply", "closed_at", "handled_by_id", "reminded_on", "created_at"),
    WindowDuty: ("id", "window_id", "user_id", "date"),
    WindowEvent: ("id", "center_id", "window_id", "action", "clerk_id", "actor_id", "reason", "at"),
}


def _future(center: Center, today: datetime.date) -> int:
    """Slots (every 30 minutes 9:00–16:30, 4 per category) and duties (eight windows, the demo clerk
    at window 1) for today and the next 14 working days; only what is missing is added."""
    days: list[datetime.date] = []
    day = today
    while len([d for d in days if d > today]) < FUTURE_DAYS:
        if is_working_day(day):
            days.append(day)
        day += datetime.timedelta(days=1)
    have = set(AppointmentSlot.objects.filter(center=center, date__in=days).values_list("category_id", "date",
                                                                                         "starts"))
    slots = [AppointmentSlot(center=center, category=category, date=d, starts=starts,
                             ends=(datetime.datetime.combine(d, starts) + datetime.timedelta(minutes=30)).time(),
                             capacity=SLOT_CAPACITY)
             for d in days for category in center.categories.order_by("sort") for starts in SLOT_STARTS
             if (category.pk, d, starts) not in have]
    AppointmentSlot.objects.bulk_create(slots)
    staff = _staff_of(center)
    staff.sort(key=lambda u: u.username != CENTERCLERK[0])
    windows = {w.number: w for w in center.windows.all()}
    staffed = set(WindowDuty.objects.filter(window__center=center, date__in=days).values_list("date", flat=True))
    duties = []
    for index, d in enumerate(days):
        if d in staffed:
            continue
        rota = staff[:1] + staff[1:][index % max(1, len(staff) - 1):] + staff[1:][:index % max(1, len(staff) - 1)]
        duties += [WindowDuty(window=windows[number], user=user, date=d)
                   for number, user in zip(N.OPEN_NOW, rota, strict=False)]
    WindowDuty.objects.bulk_create(duties)
    return len(slots) + len(duties)


def _kiosk_operator(admin: User, center: Center) -> None:
    """The kiosk's terminal account (终端账号, decision 0008): the staff account its self-fill acts
    as. It never logs in (no usable password); idempotent, so an older demo database gets it too."""
    kiosk = Device.objects.filter(center=center, kind=DeviceKind.KIOSK).first()
    if kiosk is None or kiosk.operator_id is not None:
        return
    user = User.objects.filter(username=KIOSK_OPERATOR).first()
    if user is None:
        user = User(username=KIOSK_OPERATOR)
        user.set_unusable_password()
        user.save()
        account_services.staff_role_grant(by=admin, user=user, role=StaffRoleKind.WINDOW_CLERK,
                                          department=center.department)
    Device.objects.filter(pk=kiosk.pk).update(operator=user)


def _kiosk_account(center: Center, seed: int) -> tuple[str, str, str]:
    prefix, secret = _kiosk_bearer(seed)
    kiosk = Device.objects.filter(center=center, kind=DeviceKind.KIOSK).select_related("token").first()
    shown = (format_token(prefix, secret) if kiosk is not None and kiosk.token.prefix == prefix
             and kiosk.token.secret_hash == hash_token_secret(secret) else "(shown at the first load only)")
    return ("device:kiosk", shown, f"自助服务一体机 device token of {N.CENTER_SHORT} (Authorization: Bearer …)")


def _kiosk_enrolment(center: Center) -> tuple[str, str, str]:
    """How to make a browser the demo kiosk or hall display (the pages refuse any other browser)."""
    return ("enrol:kiosk", "/centers/devices/enrol/",
            f"in the browser to use as the kiosk or display: log in as manager, open this page, pick "
            f"大厅自助服务一体机 (→ /centers/{center.code}/kiosk/) or 大厅叫号显示屏")


def load(progress: Callable[[int], object], seed: int,
         today: datetime.date | None = None, size: str = "full") -> list[tuple[str, str, str]]:
    """Load the 临汾路 center and its history once (see the module docstring); a second run only
    tops up slots and duties. Returns the ``centerclerk`` account and the kiosk's device token.
    ``size="small"`` (``demo_data --size small``, for CI) simulates one month of history instead
    of 18."""
    today = today or timezone.localdate()
    admin = User.objects.filter(username="admin").first()
    manager = User.objects.filter(username="manager").first()
    if admin is None or manager is None or not Department.objects.filter(code=N.DEPARTMENT_CODE).exists():
        raise RuntimeError("load the catalog and accounts demo data first (the 临汾路 department, admin, manager)")
    rng = random.Random(f"centers-{seed}")  # a stream of its own, apart from the other demos
    with transaction.atomic():
        center = Center.objects.filter(code=N.CENTER_CODE).first()
        if center is None:
            center = _setup(admin, manager, rng, seed)
        if not Ticket.objects.filter(center=center).exists():
            first, last = _days_from(today, 1 if size == "small" else 18)
            from .history import _History

            history = _History(center, rng, today, manager)
            history.calendar(first, today + datetime.timedelta(days=60))
            history.persons_create()
            progress(len(history.persons))
            month = (first.year, first.month)
            for index, day in enumerate(history.working):
                if day > last:
                    break
                if (day.year, day.month) != month:
                    history.flush(progress)
                    month = (day.year, day.month)
                history.day(index)
            history.flush(progress)
            reset_sequences(AppointmentSlot, Appointment, AppointmentEvent, Ticket, TicketEvent, Rating, FollowUp,
                            WindowDuty, WindowEvent)
            audit_record(actor=system_actor("demo_data"), action="centers.demo_load", target=center,
                         after={**history.counts, "first_day": first.isoformat(), "last_day": last.isoformat(),
                                "seed": seed})
        _kiosk_operator(admin, center)
        progress(_future(center, today))
    return [CENTERCLERK, _kiosk_account(center, seed), _kiosk_enrolment(center)]
