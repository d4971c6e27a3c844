"""The simulated queue history of the demo center (see the package docstring)."""

from __future__ import annotations

import datetime
import heapq
import math
import random
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from onewindow.accounts.models import Person, User
from onewindow.accounts.sample_identifiers import sample_mobile, sample_resident_id
from onewindow.cases.demo.year import CENTERCLERK
from onewindow.core import crypto
from onewindow.core.calendar import is_working_day
from onewindow.ratings.choices import RatingLevel
from onewindow.ratings.models import FollowUp, Rating
from onewindow.ratings.services import score_of

from .. import demo_names as N
from ..choices import TicketPriority
from ..models import (
    Appointment,
    AppointmentEvent,
    AppointmentSlot,
    Center,
    Ticket,
    TicketEvent,
    WindowDuty,
)
from ..services.queue import CODE_ALPHABET, priority_minutes
from . import (
    COLUMNS,
    OLD_AREA,
    OPEN_S,
    PATIENCE,
    PERSON_POOL,
    SLOT_CAPACITY,
    SLOT_STARTS,
    _spring_festival,
    _staff_of,
    duty,
)


def _insert(model: Any, rows: list[tuple[Any, ...]]) -> None:
    ops = connection.ops
    columns = COLUMNS[model]
    names = ", ".join(ops.quote_name(c) for c in columns)
    sql = (f"INSERT INTO {ops.quote_name(model._meta.db_table)} ({names}) "  # noqa: S608 - names from _meta
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start:start + 5000])


@dataclass
class _Win:
    window_id: int
    clerk_id: int
    prefixes: str
    lunch: tuple[int, int]
    paused: int | None = None  # when it went to lunch (the window was free), for the duty events
    done: int = 0  # when it had nothing left to call


@dataclass
class _Tk:
    """A ticket during the simulation of its day (times in seconds from midnight)."""

    id: int
    prefix: str  # of its number (a transfer changes the category, never the number the person holds)
    number: int
    taken: int
    key: int
    patience: int
    priority: str
    source: str
    person_id: int | None
    phone: str
    appointment_id: int | None
    cat: str = ""
    status: str = "waiting"
    window_id: int | None = None
    clerk_id: int | None = None
    called: int | None = None
    started: int | None = None
    finished: int | None = None
    recalls: int = 0
    requeued: bool = False
    transferred: bool = False
    events: list[tuple[str, str, str, int | None, int | None, int, Any]] = field(default_factory=list)


class _History:
    """Plans the history day by day (in memory, as tuples ready for the database) and writes it
    month by month."""

    def __init__(self, center: Center, rng: random.Random, today: datetime.date, manager: User) -> None:
        self.center, self.rng, self.today, self.manager_id = center, rng, today, manager.pk
        self.department_id = center.department_id
        self.categories = {c.prefix: c.pk for c in center.categories.all()}
        self.items = {c.prefix: list(c.items.order_by("code").values_list("pk", flat=True))
                      for c in center.categories.all()}
        self.windows = {w.number: w.pk for w in center.windows.all()}
        self.staff = _staff_of(center)
        self.clerk_pk = next((u.pk for u in self.staff if u.username == CENTERCLERK[0]), None)
        self.medians = {p: math.log(median * 60) for p, _n, median, _s, _m in N.CATEGORIES}
        self.tz = timezone.get_current_timezone()
        self.sqlite = connection.vendor == "sqlite"
        self.next_id = {m: (m._default_manager.aggregate(m=Max("id"))["m"] or 0) + 1 for m in COLUMNS}
        self.codes: set[str] = set(Ticket.objects.values_list("status_code", flat=True))
        self.appointment_codes: set[str] = set(Appointment.objects.values_list("code", flat=True))
        self.persons: list[tuple[int, str]] = []
        self.counts = {"tickets": 0, "events": 0, "appointments": 0, "ratings": 0, "followups": 0}
        self.out: dict[Any, list[tuple[Any, ...]]] = {m: [] for m in COLUMNS}
        self.working: list[datetime.date] = []
        self.json: dict[Any, Any] = {}
        self.empty = self.data({})
        self.head_start = {p: priority_minutes(p) * 60 for p in TicketPriority.values}
        self.scores = {level: score_of(level) for level in RatingLevel.values}
        self.times: dict[Any, Any] = {t: connection.ops.adapt_timefield_value(t) for t in SLOT_STARTS}
        self.times.update({(t, "end"): connection.ops.adapt_timefield_value(
            (datetime.datetime.combine(today, t) + datetime.timedelta(minutes=30)).time()) for t in SLOT_STARTS})

    # -- ids and database-ready values
    def ids(self, model: Any) -> int:
        self.next_id[model] += 1
        return int(self.next_id[model] - 1)

    def set_day(self, day: datetime.date) -> None:
        self.date = connection.ops.adapt_datefield_value(day)
        self.midnight = datetime.datetime.combine(day, datetime.time(0), tzinfo=self.tz)
        self.utc_midnight = self.midnight.astimezone(datetime.UTC).replace(tzinfo=None)

    def dt(self, seconds: int | None) -> Any:
        """A moment of the current day as the backend stores it (SQLite: naive UTC text)."""
        if seconds is None:
            return None
        if self.sqlite:
            return str(self.utc_midnight + datetime.timedelta(seconds=seconds))
        return self.midnight + datetime.timedelta(seconds=seconds)

    def moment(self, value: datetime.datetime | None) -> Any:
        if value is None or not self.sqlite:
            return value
        return str(value.astimezone(datetime.UTC).replace(tzinfo=None))

    def data(self, value: dict[str, Any]) -> Any:
        key = repr(value)
        if key not in self.json:
            self.json[key] = connection.ops.adapt_json_value(value, None)
        return self.json[key]

    def code(self, taken: set[str], length: int) -> str:
        while True:
            value = "".join(self.rng.choices(CODE_ALPHABET, k=length))
            if value not in taken:
                taken.add(value)
                return value

    def persons_create(self) -> None:
        existing = set(Person.objects.values_list("id_number_hash", flat=True))
        rng, seen = self.rng, set()
        rows: list[Person] = []
        phones: list[str] = []
        verified = timezone.make_aware(datetime.datetime(2025, 3, 1, 9, 0))
        while len(rows) < PERSON_POOL:
            # Many visitors are elderly (为老服务, 医保, 养老金): birth years skew old.
            birth = datetime.date(1935, 1, 1) + datetime.timedelta(days=int(rng.triangular(0, 365 * 70, 365 * 22)))
            female = rng.random() < 0.53
            area = OLD_AREA if birth.year < 2000 and rng.random() < 0.7 else "310106"
            number = sample_resident_id(area, birth, 300 + rng.randrange(300), female=female)
            if number in seen or crypto.keyed_hash(number.upper()) in existing:
                continue
            seen.add(number)
            phone = sample_mobile(rng)
            name = rng.choice(N.SURNAMES) + "".join(rng.choice(N.GIVEN) for _ in range(rng.choice((1, 2))))
            rows.append(Person(name=name, id_number=number, phone=phone, birth_date=birth,
                               gender="female" if female else "male", real_name_verified=True,
                               real_name_verified_at=verified))
            phones.append(phone)
        created = Person.objects.bulk_create(rows, batch_size=1000)
        self.persons = [(person.pk, phone) for person, phone in zip(created, phones, strict=True)]

    # -- the calendar and the volume of a day
    def calendar(self, first: datetime.date, last: datetime.date) -> None:
        day = first
        while day <= last:
            if is_working_day(day):
                self.working.append(day)
            day += datetime.timedelta(days=1)

    def volume(self, index: int) -> dict[str, float]:
        day = self.working[index]
        factor = N.WEEKDAY_FACTOR[day.weekday()] if day.weekday() < 5 else N.ADJUSTED_WORKDAY_FACTOR
        if index and (day - self.working[index - 1]).days > 3:
            factor *= N.AFTER_HOLIDAY_FACTOR
        if any(_spring_festival(day + datetime.timedelta(days=n)) for n in range(1, 8)):
            factor *= N.PRE_FESTIVAL_FACTOR
        factor *= N.MONTH_FACTOR[day.month]
        return {p: N.BASE_VISITS * factor * share * N.CATEGORY_MONTH_BOOST.get((day.month, p), 1.0)
                for p, _n, _m, share, _s in N.CATEGORIES}

    def staffed(self, day: datetime.date, expected: float) -> list[_Win]:
        """排班: more windows on busy days (7 to 10), clerks off now and then; lunch in two shifts."""
        rng = self.rng
        absent = {u.pk for u in self.staff if rng.random() < 0.06 and u.pk != self.clerk_pk}
        present = [u.pk for u in self.staff if u.pk not in absent] + [u.pk for u in self.staff if u.pk in absent]
        present = present[:max(7, len(self.staff) - len(absent))]
        count = min(len(present), max(7, min(10, round(expected / N.VISITS_PER_WINDOW))))
        rng.shuffle(present)
        prefixes = {number: p for number, _k, _n, p in N.WINDOWS}
        wins = []
        for i, number in enumerate(N.STAFFING_ORDER[:count]):
            lunch = 11 * 3600 + 1800 if i % 2 == 0 else 12 * 3600 + 900
            wins.append(_Win(self.windows[number], present[i], prefixes[number], (lunch, lunch + 2700)))
            self.out[WindowDuty].append((self.ids(WindowDuty), self.windows[number], present[i], self.date))
        return wins

    # -- one day
    def arrivals(self, volume: dict[str, float]) -> list[tuple[int, str]]:
        rng, out = self.rng, []
        quarters = range(len(N.QUARTER_WEIGHTS))
        for prefix, mean in volume.items():
            count = max(0, round(rng.gauss(mean, math.sqrt(mean))))
            out += [(OPEN_S + q * 900 + rng.randrange(900), prefix)
                    for q in rng.choices(quarters, weights=N.QUARTER_WEIGHTS, k=count)]
        out.sort()
        return out

    def day(self, index: int) -> None:
        day = self.working[index]
        self.set_day(day)
        volume = self.volume(index)
        wins = self.staffed(day, sum(volume.values()))
        rng = self.rng
        booked: dict[tuple[str, int], int] = {}
        slots = {(prefix, band): self.ids(AppointmentSlot) for prefix in self.categories for band in range(15)}
        day_persons: set[tuple[int, str]] = set()
        numbers: dict[str, int] = {}
        tickets: list[_Tk] = []
        for taken, prefix in self.arrivals(volume):
            band = min(14, (taken - OPEN_S) // 1800)
            person_id, phone = self.persons[rng.randrange(len(self.persons))]
            appointment_id = None
            if (rng.random() < 0.15 and booked.get((prefix, band), 0) < SLOT_CAPACITY
                    and (person_id, prefix) not in day_persons):
                appointment_id = self.appointment(slots[prefix, band], band, person_id, prefix, "checked_in", taken)
                booked[prefix, band] = booked.get((prefix, band), 0) + 1
                day_persons.add((person_id, prefix))
            priority, source = self.kind(prefix, appointment_id is not None)
            person: int | None = person_id
            if appointment_id is None and source in ("kiosk", "device") and rng.random() < 0.2:
                person = None  # a ticket taken without swiping the ID card
            numbers[prefix] = numbers.get(prefix, 0) + 1
            tk = _Tk(self.ids(Ticket), prefix, numbers[prefix], taken, taken - self.head_start[priority],
                     int(rng.lognormvariate(PATIENCE, 0.45)), priority, source, person,
                     phone if source in ("wechat", "appointment") else "", appointment_id, cat=prefix)
            tk.events.append(("take", "", "waiting", None, None, taken,
                              self.data({"priority": priority, "source": source})))
            tickets.append(tk)
        for (prefix, band), slot_id in slots.items():  # no-shows (爽约) and cancellations of bookings
            if booked.get((prefix, band), 0) and rng.random() < 0.07:
                person_id, _phone = self.persons[rng.randrange(len(self.persons))]
                if booked[prefix, band] < SLOT_CAPACITY and (person_id, prefix) not in day_persons:
                    self.appointment(slot_id, band, person_id, prefix, "no_show", 0)
                    booked[prefix, band] += 1
                    day_persons.add((person_id, prefix))
            if rng.random() < 0.05:
                self.appointment(slot_id, band, self.persons[rng.randrange(len(self.persons))][0], prefix,
                                 "cancelled", 0)
            starts = SLOT_STARTS[band]
            self.out[AppointmentSlot].append((slot_id, self.center.pk, self.categories[prefix], self.date,
                                              self.times[starts], self.times[starts, "end"], SLOT_CAPACITY,
                                              booked.get((prefix, band), 0)))
        self.simulate(tickets, wins)

    def kind(self, prefix: str, appointment: bool) -> tuple[str, str]:
        rng = self.rng
        if appointment:
            return "appointment", "appointment"
        r = rng.random()
        priority = "vip" if r < 0.003 else "elderly" if r < (0.18 if prefix == "C" else 0.08) else "normal"
        r = rng.random()
        return priority, "kiosk" if r < 0.55 else "device" if r < 0.8 else "wechat" if r < 0.96 else "window"

    def appointment(self, slot_id: int, band: int, person_id: int, prefix: str, status: str, taken: int) -> int:
        rng = self.rng
        start = OPEN_S + band * 1800
        before = rng.randint(1, 7) * 86400 - rng.randrange(8 * 3600, 22 * 3600)  # booked 1 to 7 days ahead
        changed = {"checked_in": taken, "no_show": start + 3000,
                   "cancelled": min(-before + rng.randint(1, 20) * 3600, start - 1800)}[status]
        items = self.items[prefix]
        pk = self.ids(Appointment)
        code, channel = self.code(self.appointment_codes, 8), rng.choice(("wechat", "wechat", "web"))
        self.out[Appointment].append((
            pk, slot_id, self.categories[prefix], self.date, person_id, None, code,
            status, channel, rng.choice(items) if items else None,
            self.dt(-before), self.dt(changed), True, True, ""))  # booked on the web: the person's own phone
        # Its timeline as services.booking writes it: booked, then checked in, cancelled or a no-show.
        action, label = {"checked_in": ("check_in", ""), "cancelled": ("cancel", ""),
                         "no_show": ("no_show", "centers_appointment_upkeep")}[status]
        self.out[AppointmentEvent] += [
            (self.ids(AppointmentEvent), pk, "book", "", "booked", None, "",
             self.data({"slot": slot_id, "channel": channel}), self.dt(-before)),
            (self.ids(AppointmentEvent), pk, action, "booked", status, None, label, self.empty, self.dt(changed))]
        self.counts["appointments"] += 1
        return pk

    # -- the windows at work
    def simulate(self, tickets: list[_Tk], wins: list[_Win]) -> None:
        """The staffed windows call the next ticket of their categories by queue key, as
        ``ticket_call_next`` does; waits come out of this, they are not drawn."""
        heaps: dict[str, list[tuple[int, int, _Tk]]] = {p: [] for p in self.categories}
        pending: list[tuple[int, int, _Tk]] = []  # re-queued and transferred tickets, from a time on
        clock = [(OPEN_S, i) for i in range(len(wins))]
        i, n = 0, len(tickets)
        while clock:
            free, wi = heapq.heappop(clock)
            win = wins[wi]
            if win.lunch[0] <= free < win.lunch[1]:
                win.paused = free
                heapq.heappush(clock, (win.lunch[1], wi))
                continue
            while i < n and tickets[i].taken <= free:
                heapq.heappush(heaps[tickets[i].cat], (tickets[i].key, tickets[i].id, tickets[i]))
                i += 1
            while pending and pending[0][0] <= free:
                tk = heapq.heappop(pending)[2]
                heapq.heappush(heaps[tk.cat], (tk.key, tk.id, tk))
            best: tuple[int, int, _Tk] | None = None
            for p in win.prefixes:
                if heaps[p] and (best is None or heaps[p][0][:2] < best[:2]):
                    best = heaps[p][0]
            if best is None:  # idle until something for this window arrives, or done for the day
                later = next((t.taken for t in tickets[i:] if t.cat in win.prefixes), None)
                times = [t for t, _s, tk in pending if tk.cat in win.prefixes] + ([later] if later else [])
                if times:
                    heapq.heappush(clock, (max(min(times), free + 1), wi))
                else:
                    win.done = free
                continue
            heapq.heappop(heaps[best[2].cat])
            heapq.heappush(clock, (self.serve(best[2], win, free, pending), wi))
        duty.day_events(self, wins)
        self.write(tickets)

    def write(self, tickets: list[_Tk]) -> None:
        center, date, dt, events = self.center.pk, self.date, self.dt, self.out[TicketEvent]
        for tk in tickets:
            if tk.status == "waiting":
                raise RuntimeError(f"demo simulation left {tk.prefix}{tk.number} of {date} waiting")
            self.out[Ticket].append((
                tk.id, center, self.categories[tk.cat], date, tk.number, f"{tk.prefix}{tk.number:03d}", tk.status,
                tk.priority, tk.source, dt(tk.key), self.code(self.codes, 10), tk.person_id,
                crypto.encrypt(tk.phone) if tk.phone else "", tk.appointment_id, None, tk.window_id, tk.clerk_id,
                dt(tk.taken), dt(tk.called), dt(tk.started), dt(tk.finished), tk.recalls, False))
            events += [(self.ids(TicketEvent), tk.id, action, before, after, window, actor, data, dt(at))
                       for action, before, after, window, actor, at, data in tk.events]
            self.counts["events"] += len(tk.events)
        self.counts["tickets"] += len(tickets)

    def serve(self, tk: _Tk, win: _Win, free: int, pending: list[Any]) -> int:
        """One call at ``free``; returns when the window is free again."""
        rng, w, clerk = self.rng, win.window_id, win.clerk_id
        if not tk.requeued and free - tk.taken > tk.patience:  # the holder gave up waiting
            if rng.random() < 0.35:  # … and cancelled on the ticket's status page (its QR code)
                tk.events.append(("cancel", "waiting", "cancelled", None, None, tk.taken + tk.patience, self.empty))
                tk.status = "cancelled"
                return free
            return self.no_show(tk, win, free, pending, may_return=False)
        if rng.random() < 0.025:
            return self.no_show(tk, win, free, pending, may_return=not tk.requeued)
        tk.events.append(("call", "waiting", "called", w, clerk, free, self.empty))
        called = free
        if rng.random() < 0.05:
            called = free + rng.randint(30, 60)
            tk.events.append(("recall", "called", "called", w, clerk, called, self.empty))
            tk.recalls += 1
        start = called + rng.randint(20, 90)
        tk.events.append(("start", "called", "serving", w, clerk, start, self.empty))
        if not tk.transferred and rng.random() < 0.03:  # the wrong line: sent on, keeping its place
            at = start + rng.randint(60, 240)
            tk.cat = rng.choice([p for p in "ABCDE" if p != tk.cat])
            tk.transferred = True
            tk.events.append(("transfer", "serving", "waiting", None, clerk, at,
                              self.data({"to": {"category": tk.cat, "window": None}})))
            heapq.heappush(pending, (at, tk.id, tk))
            return at + rng.randint(10, 30)
        end = start + int(min(3600, max(60, rng.lognormvariate(self.medians[tk.cat], 0.5))))
        tk.events.append(("finish", "serving", "done", w, clerk, end, self.data({"cases": []})))
        tk.status, tk.window_id, tk.clerk_id, tk.called, tk.started, tk.finished = "done", w, clerk, called, start, end
        self.rate(tk, clerk, end, free - tk.taken)
        return end + rng.randint(10, 40)

    def no_show(self, tk: _Tk, win: _Win, free: int, pending: list[Any], *, may_return: bool) -> int:
        """过号: called, called again, skipped; now and then the person comes back late (re-queued)."""
        w, clerk = win.window_id, win.clerk_id
        tk.events += [("call", "waiting", "called", w, clerk, free, self.empty),
                      ("recall", "called", "called", w, clerk, free + 60, self.empty),
                      ("skip", "called", "no_show", w, clerk, free + 120, self.empty)]
        tk.recalls += 1
        tk.status, tk.window_id, tk.clerk_id, tk.called = "no_show", w, clerk, free + 60
        if may_return and self.rng.random() < 0.25:
            back = free + 120 + self.rng.randint(300, 1800)
            tk.events.append(("requeue", "no_show", "waiting", None, clerk, back, self.empty))
            tk.key, tk.requeued = back, True
            tk.status, tk.window_id, tk.clerk_id, tk.called = "waiting", None, None, None
            heapq.heappush(pending, (back, tk.id, tk))
        return free + 130

    # -- ratings and their follow-ups
    def rate(self, tk: _Tk, clerk: int, end: int, wait: int) -> None:
        """一次一评 on most services; bad ones mostly after long waits or a second round."""
        rng = self.rng
        if rng.random() > 0.62:
            return
        bad = 0.018 + (0.05 if wait > 2700 else 0.0) + (0.04 if tk.requeued or tk.transferred else 0.0)
        if rng.random() < bad:
            level = 2 if rng.random() < 0.7 else 1
            comment = rng.choice(N.BAD_COMMENTS)
        else:
            r = rng.random()
            level = 5 if r < 0.8 else 4 if r < 0.96 else 3
            comment = rng.choice(N.GOOD_COMMENTS) if rng.random() < 0.08 else ""
        r = rng.random()
        channel = "pad" if r < 0.85 else "sms" if r < 0.95 else "wechat"
        at = end + (rng.randint(3, 40) if channel == "pad" else rng.randint(300, 7200))
        pk = self.ids(Rating)
        self.out[Rating].append((pk, "service", str(tk.id), level, self.scores[level], comment, channel,
                                 self.department_id, clerk, None, tk.person_id, self.dt(at)))
        self.counts["ratings"] += 1
        if level <= 2:
            self.followup(pk, self.midnight + datetime.timedelta(seconds=at))

    def followup(self, rating_id: int, created: datetime.datetime) -> None:
        rng = self.rng
        day = created.date()
        due = self.working[bisect_right(self.working, day) + 4]  # RATINGS_FOLLOWUP_WORKING_DAYS (5)
        age = (self.today - day).days
        status = "closed" if age > 14 else "open" if age <= 2 else rng.choice(("open", "contacted", "contacted"))
        contacted = created + datetime.timedelta(hours=rng.randint(18, 50)) if status != "open" else None
        closed = contacted + datetime.timedelta(hours=rng.randint(20, 70)) if contacted and status == "closed" else None
        self.out[FollowUp].append((
            self.ids(FollowUp), rating_id, self.department_id, status, connection.ops.adapt_datefield_value(due),
            self.moment(contacted), N.FOLLOWUP_CONTACT if contacted else "", rng.choice(N.FOLLOWUP_FIX) if closed
            else "", N.FOLLOWUP_REPLY if closed else "", self.moment(closed), self.manager_id if contacted else None,
            None, self.moment(created)))
        self.counts["followups"] += 1

    def flush(self, progress: Callable[[int], object]) -> None:
        written = 0
        for model, rows in self.out.items():  # in the order of COLUMNS: referenced tables first
            _insert(model, rows)
            written += len(rows)
            rows.clear()
        progress(written)


# ---- today and the days ahead, and the entry point ------------------------------------------------

