"""The demo 临汾路 center (issue #4 part 10): the seed's 170 items, the categories and windows as
designed, a history whose numbers, clocks, calendar, ratings and bookings are what the services
would have written, the real services continuing it today, and a second load that adds nothing."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, F, Q
from django.test import Client
from django.utils import timezone

from onewindow.accounts import demo as accounts_demo
from onewindow.accounts.models import ApiToken, User, hash_token_secret, parse_token
from onewindow.cases.demo import CENTERCLERK
from onewindow.catalog import demo as catalog_demo
from onewindow.catalog.models import ServiceItem
from onewindow.centers import demo
from onewindow.centers import demo_names as names
from onewindow.centers.models import (
    Appointment,
    AppointmentEvent,
    AppointmentSlot,
    Center,
    CenterStaff,
    Device,
    OpeningHours,
    Ticket,
    TicketEvent,
    WindowDuty,
)
from onewindow.centers.services import ticket_call_next, ticket_take
from onewindow.core.actors import system_actor
from onewindow.core.calendar import is_working_day
from onewindow.core.services import regions_load
from onewindow.ratings.models import FollowUp, Rating

SEED = 20170929
TODAY = datetime.date(2026, 11, 27)  # a Friday: the history runs from 2025-05-01 to 2026-11-26


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Center, Ticket, TicketEvent, Appointment, AppointmentSlot, Rating,
                                             FollowUp, WindowDuty, Device, ApiToken, User, CenterStaff))


@pytest.mark.django_db
def test_demo_center_has_a_consistent_history_and_loads_once() -> None:
    regions_load(by=system_actor("test"))
    catalog_demo.load(progress=lambda n: None, seed=SEED)
    accounts_demo.load(progress=lambda n: None, seed=SEED)
    ticks: list[int] = []
    accounts = demo.load(progress=ticks.append, seed=SEED, today=TODAY)

    # The accounts printed: the center clerk, and a kiosk token that authenticates as the kiosk.
    assert accounts[0] == CENTERCLERK
    assert accounts[1][0] == "device:kiosk"
    parsed = parse_token(accounts[1][1])
    assert parsed is not None
    token = ApiToken.objects.get(prefix=parsed[0])
    assert token.secret_hash == hash_token_secret(parsed[1]) and token.scopes == ["device"]
    assert token.device.kind == "kiosk"
    response = Client().get("/api/v1/centers/devices/me", HTTP_AUTHORIZATION=f"Bearer {accounts[1][1]}")
    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("kind", "center_code", "window")} == {
        "kind": "kiosk", "center_code": "310106021", "window": None}

    # The center as designed: the catalog's 170 items of 310106021-SQSW, each in one category.
    center = Center.objects.get(code="310106021")
    assert (center.level, center.region.code, center.department.code) == ("street", "310106021", "310106021-SQSW")
    assert center.items.count() == 170
    assert set(center.items.values_list("pk", flat=True)) == set(
        ServiceItem.objects.filter(department__code="310106021-SQSW").values_list("pk", flat=True))
    categories = {c.prefix: c for c in center.categories.all()}
    assert {p: (c.name, c.items.count()) for p, c in categories.items()} == {
        "A": ("社会保障（就业·养老·社保卡）", 30), "B": ("医疗保险·医疗救助", 21),
        "C": ("民政救助·为老服务·助残", 64), "D": ("居住证·居住登记·住房", 20),
        "E": ("计划生育·人口（生育·独生子女）", 20), "F": ("综合咨询·材料补正·证照领取", 15)}
    per_item = Counter(pk for c in categories.values() for pk in c.items.values_list("pk", flat=True))
    assert len(per_item) == 170 and set(per_item.values()) == {1}
    assert categories["D"].items.filter(name="居住证办理").exists()
    assert categories["B"].items.filter(name="医保卡申领").exists()
    windows = [(w.number, w.kind, "".join(sorted(c.prefix for c in w.categories.all())), w.state)
               for w in center.windows.order_by("number")]
    assert windows == [(n, k, p, "open" if n <= 8 else "closed") for n, k, _name, p in names.WINDOWS]
    assert list(OpeningHours.objects.filter(center=center).values_list("weekday", "opens", "closes", "last_ticket")) \
        == [(d, datetime.time(9), datetime.time(17), datetime.time(16, 30)) for d in range(5)]
    staff = CenterStaff.objects.filter(center=center)
    assert staff.count() == 11
    assert list(staff.filter(is_manager=True).values_list("user__username", flat=True)) == ["manager"]
    assert staff.filter(user__username="centerclerk", is_manager=False).exists()
    assert User.objects.filter(username__startswith="lfl-clerk", password__startswith="!").count() == 9
    assert Counter(Device.objects.filter(center=center).values_list("kind", flat=True)) == {
        "call_keypad": 10, "rating_pad": 10, "kiosk": 1, "ticket_printer": 1, "display": 1}
    assert Device.objects.filter(kind__in=["call_keypad", "rating_pad"], window__isnull=True).count() == 0

    # The history: its size and outcomes (exact for the seed), from 2025-05-01 to yesterday.
    tickets = Ticket.objects.filter(center=center)
    assert dict(Counter(tickets.values_list("status", flat=True))) == {"done": 85495, "no_show": 2084, "cancelled": 160}
    dates = Counter(tickets.values_list("date", flat=True))
    assert min(dates) == datetime.date(2025, 5, 6)  # 1–5 May 2025: Labour Day holiday
    assert max(dates) == TODAY - datetime.timedelta(days=1)
    assert all(is_working_day(d) for d in dates)
    assert not any(datetime.date(2026, 2, 15) + datetime.timedelta(n) in dates for n in range(9))  # 春节
    assert 150 <= sorted(dates.values())[len(dates) // 2] <= 300

    # Numbers gap-free per center, category (the number's letter) and day; display = letter + number.
    rows = _sql("SELECT date, substr(display, 1, 1), COUNT(*), COUNT(DISTINCT number), MIN(number), MAX(number) "
                "FROM centers_ticket WHERE center_id = %s GROUP BY date, substr(display, 1, 1)", [center.pk])
    assert len(rows) == 6 * len(dates)
    assert all(n == distinct == high and low == 1 for _d, _p, n, distinct, low, high in rows)
    assert all(display == f"{display[0]}{number:03d}" for display, number in tickets.values_list("display", "number"))
    for day in sorted(dates)[::40]:
        numbers = defaultdict(list)
        for display, number in tickets.filter(date=day).order_by("taken_at", "id").values_list("display", "number"):
            numbers[display[0]].append(number)
        assert all(v == list(range(1, len(v) + 1)) for v in numbers.values()), day

    # Clocks: taken ≤ called ≤ started ≤ finished for every done ticket; events in order.
    done = tickets.filter(status="done")
    assert done.filter(Q(called_at=None) | Q(started_at=None) | Q(finished_at=None) | Q(window=None)
                       | Q(clerk=None)).count() == 0
    assert done.filter(Q(taken_at__gt=F("called_at")) | Q(called_at__gt=F("started_at"))
                       | Q(started_at__gt=F("finished_at"))).count() == 0
    assert tickets.exclude(status="done").filter(finished_at__isnull=False).count() == 0
    assert _sql("SELECT COUNT(*) FROM centers_ticketevent e JOIN centers_ticket t ON t.id = e.ticket_id "
                "WHERE e.at < t.taken_at")[0][0] == 0
    last: dict[Any, Any] = dict(_sql("SELECT e.ticket_id, e.action FROM centers_ticketevent e WHERE e.id IN "
                                     "(SELECT MAX(id) FROM centers_ticketevent GROUP BY ticket_id)"))
    assert Counter(last[pk] for pk in done.values_list("pk", flat=True)) == {"finish": done.count()}
    assert TicketEvent.objects.filter(action="take").count() == tickets.count()
    assert set(TicketEvent.objects.values_list("action", flat=True)) == {
        "take", "call", "recall", "skip", "requeue", "transfer", "start", "finish", "cancel"}
    # The clerk of a service was on duty at that window that day.
    assert _sql("SELECT COUNT(*) FROM centers_ticket t LEFT JOIN centers_windowduty d ON d.window_id = t.window_id "
                "AND d.date = t.date AND d.user_id = t.clerk_id WHERE t.status = 'done' AND d.id IS NULL")[0][0] == 0

    # Patterns: Monday busiest, Friday quieter; the morning peak; January and July busier; waits
    # longer in the morning peak than late in the afternoon (they come out of the simulation).
    per_weekday = defaultdict(list)
    for day, n in dates.items():
        per_weekday[day.weekday()].append(n)
    mean = {w: sum(v) / len(v) for w, v in per_weekday.items()}
    assert mean[0] > mean[1] > mean[4] and max(mean, key=lambda w: mean[w]) == 0
    per_month = defaultdict(list)
    for day, n in dates.items():
        per_month[day.month].append(n)
    month = {m: sum(v) / len(v) for m, v in per_month.items()}
    assert month[1] > month[5] and month[7] > month[10]
    local = [timezone.localtime(t) for t in done.values_list("taken_at", flat=True)]
    assert sum(1 for t in local if 9 <= t.hour < 10) > 3 * sum(1 for t in local if t.hour == 12)
    waits = defaultdict(list)
    for taken, called in done.values_list("taken_at", "called_at"):
        assert called is not None
        waits[timezone.localtime(taken).hour].append((called - taken).total_seconds())
    assert sum(waits[9]) / len(waits[9]) > sum(waits[15]) / len(waits[15])

    # Ratings: one per service at most, of done tickets only; ~2 % bad, each with its follow-up.
    ratings = Rating.objects.filter(subject_type="service")
    assert ratings.values("subject_id").annotate(n=Count("id")).filter(n__gt=1).count() == 0
    assert set(map(int, ratings.values_list("subject_id", flat=True))) <= set(done.values_list("pk", flat=True))
    bad = ratings.filter(level__lte=2)
    assert 0.015 < bad.count() / ratings.count() < 0.03
    assert FollowUp.objects.filter(rating__in=bad).count() == bad.count() == FollowUp.objects.count()
    assert FollowUp.objects.filter(status="closed").count() > 0.9 * bad.count()
    closed = FollowUp.objects.filter(status="closed")
    assert closed.filter(Q(fix_note="") | Q(reply="") | Q(closed_at=None) | Q(handled_by=None)).count() == 0

    # Appointments: ~15 % of visits booked; a checked-in booking is its ticket; slots never overbooked.
    booked = Appointment.objects.filter(status="checked_in")
    assert 0.12 < booked.count() / tickets.count() < 0.17
    assert tickets.filter(appointment__isnull=False).count() == booked.count()
    assert tickets.filter(priority="appointment").exclude(appointment__status="checked_in").count() == 0
    assert Appointment.objects.filter(status="no_show").count() > 0
    # Each booking's timeline is what services.booking writes: booked, then its one last step.
    steps = {"checked_in": "check_in", "cancelled": "cancel", "no_show": "no_show"}
    timelines: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for row in AppointmentEvent.objects.order_by("pk").values_list("appointment_id", "action", "from_status",
                                                                   "to_status"):
        timelines[row[0]].append(row[1:])
    assert {pk: timelines[pk] for pk, _s in Appointment.objects.values_list("pk", "status")} == {
        pk: [("book", "", "booked"), (steps[status], "booked", status)]
        for pk, status in Appointment.objects.values_list("pk", "status")}
    assert _sql("SELECT COUNT(*) FROM centers_appointmentslot s WHERE s.booked <> (SELECT COUNT(*) FROM "
                "centers_appointment a WHERE a.slot_id = s.id AND a.status <> 'cancelled')")[0][0] == 0

    # Today and ahead: slots and duties for today and 14 working days; today starts empty, and the
    # real services continue: the first ticket of the day is A001, the demo clerk calls it at window 1.
    ahead = sorted(set(AppointmentSlot.objects.filter(date__gte=TODAY).values_list("date", flat=True)))
    assert len(ahead) == 15 and ahead[0] == TODAY
    assert AppointmentSlot.objects.filter(date__gte=TODAY).count() == 15 * 6 * 15
    assert WindowDuty.objects.get(date=TODAY, window__number=1).user.username == "centerclerk"
    assert not tickets.filter(date=TODAY).exists()
    moment = timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(9, 5)))
    ticket = ticket_take(by=None, center_id=center.pk, category_id=categories["A"].pk, now=moment)
    assert ticket.display == "A001"
    clerk = User.objects.get(username="centerclerk")
    window = center.windows.get(number=1)
    assert ticket_call_next(by=clerk, window_id=window.pk, now=moment).pk == ticket.pk

    # A second run adds nothing.
    before = _counts()
    assert demo.load(progress=lambda n: None, seed=SEED, today=TODAY) == accounts
    assert _counts() == before
    assert sum(ticks) > tickets.count()


def _sql(sql: str, params: list[int] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return list(cursor.fetchall())
