"""The demo's live hall (issue #16 "Done means: … the service wall shows today's live queue of
Linfen Road"): a scheduled tick that plays today's queue of a demo center through the real
services, so the hall display, the clerk desk and the service wall see a live day.

``demo_hall_tick`` is deterministic per (seed, date) and idempotent:

- today's arrivals (times, categories, priorities) are drawn from a ``HallProfile``: the demo
  history's (``centers.schedules.demo_hall_profile`` builds it from ``demo_names``, which sits
  above the services layer: BASE_VISITS, weekday and month factors, category shares, the
  quarter-hour weights from opening; service times lognormal around each category's median;
  2.5 % no-shows, called, called again and skipped) — so today looks like the history;
- every arrival due by ``now`` and not yet taken is taken with ``ticket_take`` at its own time by
  the simulator's ticket printer "演示取号机" (created if missing). The state is the tickets
  themselves: the i-th ticket of that device today is arrival i, so a tick counts them instead
  of keeping a cursor; the center row is locked for the whole tick, so a second worker running
  the same tick waits and then finds nothing due (the services' own locks do the rest);
- at opening the duty clerks of today's plan (``WindowDuty``) are signed in and their windows
  opened through ``clerk_sign_in`` / ``window_set_state``; a window is played only when its duty
  clerk is a generated clerk who never logs in (no usable password): a window of a clerk who can
  log in (the demo's ``centerclerk``) is left to the person using the demo;
- each played window calls the next ticket when its current service has lasted its drawn time
  (``ticket_call_next``, ``ticket_start``, ``ticket_finish``; ``ticket_recall`` and
  ``ticket_skip`` for a no-show), at the simulated moments — a first tick at 10:00 replays the day
  from opening in one go (events in time order, so nobody is called before they arrive);
- after closing, once its queue is empty, a played window is closed (its clerk signed out); before
  opening, on non-working days and closed days, the tick only closes the windows left open
  (never one where a clerk who can log in is signed in, nor one still calling or serving).

Window opening and sign-in are stamped by their services with the real clock (they take no
``now``), the ticket steps with the simulated moments.
"""

from __future__ import annotations

import datetime
import heapq
import math
import random
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from onewindow.accounts.models import ApiToken, User, hash_token_secret, new_token_parts
from onewindow.core.errors import DomainError

from .. import hours
from ..choices import DeviceKind, TicketPriority, TicketSource, TicketStatus, WindowState
from ..models import Center, CenterStaff, Device, Ticket, TicketEvent, Window, WindowDuty
from .queue import ticket_call_next, ticket_finish, ticket_recall, ticket_skip, ticket_start, ticket_take
from .windows import clerk_sign_in, signed_in_at, window_set_state

DEVICE_NAME = "演示取号机"
DEFAULT_SEED = 16
GAP_SECONDS = 20  # between the end of one service and the next call
S = TicketStatus


@dataclass(frozen=True)
class HallProfile:
    """The arrival and service profile of a demo day (the history generator's tables)."""

    base_visits: float  # an ordinary Wednesday's visits
    weekday_factor: tuple[float, ...]  # Monday … Friday (and on)
    adjusted_workday_factor: float  # 调休 working day on a weekend
    month_factor: dict[int, float]
    categories: dict[str, tuple[float, float]]  # prefix → (share of visits, median service minutes)
    month_boost: dict[tuple[int, str], float]  # (month, prefix) → factor
    quarter_weights: tuple[float, ...]  # arrivals per quarter hour from opening
    no_show_share: float = 0.025  # as the history (centers.demo.history ``serve``)

    def as_json(self) -> dict[str, Any]:
        return {"base_visits": self.base_visits, "weekday_factor": list(self.weekday_factor),
                "adjusted_workday_factor": self.adjusted_workday_factor,
                "month_factor": {str(m): f for m, f in self.month_factor.items()},
                "categories": {p: list(v) for p, v in self.categories.items()},
                "month_boost": [[m, p, f] for (m, p), f in self.month_boost.items()],
                "quarter_weights": list(self.quarter_weights), "no_show_share": self.no_show_share}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HallProfile:
        return cls(base_visits=float(data["base_visits"]),
                   weekday_factor=tuple(float(f) for f in data["weekday_factor"]),
                   adjusted_workday_factor=float(data["adjusted_workday_factor"]),
                   month_factor={int(m): float(f) for m, f in data["month_factor"].items()},
                   categories={str(p): (float(v[0]), float(v[1])) for p, v in data["categories"].items()},
                   month_boost={(int(m), str(p)): float(f) for m, p, f in data["month_boost"]},
                   quarter_weights=tuple(float(w) for w in data["quarter_weights"]),
                   no_show_share=float(data["no_show_share"]))


@dataclass(frozen=True)
class Arrival:
    seconds: int  # from midnight, local time
    prefix: str
    priority: str


@dataclass
class _Play:
    """A played window during one tick."""

    window: Window
    clerk: User
    prefixes: set[str]
    busy: Ticket | None = None
    counts: dict[str, int] = field(default_factory=dict)


def _rng(seed: int, day: datetime.date, *key: Any) -> random.Random:
    return random.Random("demo-hall-" + "-".join(str(k) for k in (seed, day.isoformat(), *key)))


def _windows_of_day(center: Center, day: datetime.date) -> list[tuple[int, int, int]]:
    """(opens, last ticket, closes) of each opening period of ``day``, seconds from midnight."""
    def s(t: datetime.time | None) -> int:
        return t.hour * 3600 + t.minute * 60 + t.second if t is not None else 0

    return [(s(h.opens), s(h.last_ticket), s(h.closes)) for h in hours.hours_on(center, day)
            if h.opens is not None and h.last_ticket is not None and h.closes is not None]


def day_arrivals(center: Center, day: datetime.date, profile: HallProfile, *, seed: int = DEFAULT_SEED
                 ) -> list[Arrival]:
    """The day's arrivals, deterministic per (seed, date): the demo history's volume and shares
    for the center's categories (a prefix the demo profile does not know gets a share of 0.1),
    spread over the quarter hours from opening by ``QUARTER_WEIGHTS``; only moments at which a
    ticket may be taken are kept."""
    periods = _windows_of_day(center, day)
    if not periods:
        return []
    rng = _rng(seed, day, center.code)
    weekday = day.weekday()
    factor = profile.weekday_factor[weekday] if weekday < 5 else profile.adjusted_workday_factor
    factor *= profile.month_factor.get(day.month, 1.0)
    opens = min(p[0] for p in periods)
    quarters = range(len(profile.quarter_weights))
    out: list[Arrival] = []
    for prefix in center.categories.filter(is_active=True).order_by("sort", "prefix").values_list("prefix", flat=True):
        share = profile.categories.get(prefix, (0.1, 8.0))[0]
        mean = profile.base_visits * factor * share * profile.month_boost.get((day.month, prefix), 1.0)
        count = max(0, round(rng.gauss(mean, math.sqrt(mean))))
        for q in rng.choices(quarters, weights=profile.quarter_weights, k=count):
            seconds = opens + q * 900 + rng.randrange(900)
            r = rng.random()
            priority = TicketPriority.ELDERLY if r < (0.18 if prefix == "C" else 0.08) else TicketPriority.NORMAL
            if any(start <= seconds <= last for start, last, _c in periods):
                out.append(Arrival(seconds, prefix, priority))
    out.sort(key=lambda a: (a.seconds, a.prefix))
    return out


def _service_plan(profile: HallProfile, seed: int, day: datetime.date, key: Any, prefix: str
                  ) -> tuple[bool, int, int]:
    """(no-show, seconds from call to start, service seconds) of one ticket."""
    rng = _rng(seed, day, "ticket", key)
    median = profile.categories.get(prefix, (0.1, 8.0))[1]
    no_show = rng.random() < profile.no_show_share
    delay = rng.randint(20, 90)
    service = int(min(3600, max(60, rng.lognormvariate(math.log(median * 60), 0.5))))
    return no_show, delay, service


def demo_device(center: Center) -> Device:
    """The simulator's ticket printer (its own API token, as every device has)."""
    device = Device.objects.filter(center=center, kind=DeviceKind.TICKET_PRINTER, name=DEVICE_NAME).first()
    if device is None:
        prefix, secret = new_token_parts()
        token = ApiToken.objects.create(name=DEVICE_NAME, system_name=f"device:{center.code}:demo-hall"[:100],
                                        prefix=prefix, secret_hash=hash_token_secret(secret), scopes=["device"])
        device = Device.objects.create(center=center, kind=DeviceKind.TICKET_PRINTER, name=DEVICE_NAME, token=token)
    return device


def _manager(center: Center) -> User | None:
    row = (CenterStaff.objects.filter(center=center, is_manager=True, valid=True, user__is_active=True)
           .select_related("user").order_by("pk").first())
    return row.user if row is not None else None


def _busy(window: Window) -> Ticket | None:
    return (Ticket.objects.filter(window=window, status__in=[S.CALLED, S.SERVING]).select_related("category")
            .order_by("pk").first())


def _close_idle(center: Center, day: datetime.date, manager: User | None, counts: dict[str, int]) -> None:
    """Close the open windows with nothing called or served, nobody waiting for them today and no
    clerk who can log in signed in."""
    if manager is None:
        return
    for window in Window.objects.filter(center=center, state__in=[WindowState.OPEN, WindowState.PAUSED]):
        clerk_id = signed_in_at(window.pk)
        if clerk_id is not None and User.objects.get(pk=clerk_id).has_usable_password():
            continue
        if _busy(window) is not None:
            continue
        if Ticket.objects.filter(center=center, date=day, status=S.WAITING,
                                 category__in=window.categories.all()).exists():
            continue
        window_set_state(by=manager, window_id=window.pk, state=WindowState.CLOSED)
        counts["closed"] += 1


def demo_hall_tick(*, center_code: str, profile: HallProfile, now: datetime.datetime | None = None,
                   seed: int = DEFAULT_SEED) -> dict[str, int]:
    """One tick of the live hall of ``center_code`` at ``now`` (see the module docstring).
    Returns what it did: taken, called, started, finished, skipped, opened, signed_in, closed."""
    moment = timezone.localtime(now or timezone.now())
    day = moment.date()
    counts = dict.fromkeys(("taken", "called", "started", "finished", "skipped", "opened", "signed_in", "closed"), 0)
    with transaction.atomic():
        # the center row is the tick's lock: a second worker waits here, then finds nothing due
        center = Center.objects.select_for_update().filter(code=center_code, is_active=True).first()
        if center is None:
            return counts
        device = demo_device(center)
        manager = _manager(center)
        periods = _windows_of_day(center, day)
        midnight = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
        seconds_now = int((moment - midnight).total_seconds())
        if not periods or seconds_now < min(p[0] for p in periods):
            _close_idle(center, day, manager, counts)
            return counts
        opens, closes = min(p[0] for p in periods), max(p[2] for p in periods)
        plays = _open_windows(center, day, manager, counts, opening=seconds_now < closes)
        if plays or seconds_now < closes:  # after closing, a day nobody played is not played at all
            _replay(center, device, day, midnight, seconds_now, opens, plays, profile, seed, counts)
        if seconds_now >= closes:
            _close_idle(center, day, manager, counts)
    return counts


def _open_windows(center: Center, day: datetime.date, manager: User | None, counts: dict[str, int],
                  *, opening: bool) -> list[_Play]:
    """Today's played windows: sign the duty clerk in and open the window (while open hours last);
    a window is played while it is open with its duty clerk signed in."""
    plays: list[_Play] = []
    duties = (WindowDuty.objects.filter(window__center=center, date=day).select_related("window", "user")
              .order_by("window__number"))
    for duty in duties:
        window, clerk = duty.window, duty.user
        if not clerk.is_active or clerk.has_usable_password():
            continue
        if opening and signed_in_at(window.pk) is None:
            try:
                clerk_sign_in(by=clerk, window_id=window.pk)
                counts["signed_in"] += 1
            except DomainError:
                continue
        if opening and window.state != WindowState.OPEN and manager is not None:
            window = window_set_state(by=manager, window_id=window.pk, state=WindowState.OPEN)
            counts["opened"] += 1
        window.refresh_from_db(fields=["state"])
        if window.state == WindowState.OPEN and signed_in_at(window.pk) == clerk.pk:
            prefixes = set(window.categories.values_list("prefix", flat=True))
            plays.append(_Play(window=window, clerk=clerk, prefixes=prefixes, busy=_busy(window)))
    return plays


def _replay(center: Center, device: Device, day: datetime.date, midnight: datetime.datetime, until: int,
            opens: int, plays: list[_Play], profile: HallProfile, seed: int, counts: dict[str, int]) -> None:
    """Play the arrivals and the played windows' steps in time order, from where the tickets
    stand up to ``until`` (seconds from midnight)."""
    arrivals = day_arrivals(center, day, profile, seed=seed)
    mine = list(Ticket.objects.filter(device=device, date=day).order_by("taken_at", "pk").values_list("pk", flat=True))
    index_of = {pk: i for i, pk in enumerate(mine)}
    taken = len(mine)

    def at(seconds: int) -> datetime.datetime:
        return midnight + datetime.timedelta(seconds=seconds)

    def secs(value: datetime.datetime) -> int:
        return int((timezone.localtime(value) - midnight).total_seconds())

    def plan(ticket: Ticket) -> tuple[bool, int, int]:
        key = index_of.get(ticket.pk, f"t{ticket.pk}")
        return _service_plan(profile, seed, day, key, ticket.category.prefix)

    def next_step(play: _Play) -> int:
        ticket = play.busy
        if ticket is None:
            last = (TicketEvent.objects.filter(window=play.window, ticket__date=day).aggregate(m=Max("at"))["m"])
            return max(opens, secs(last) + GAP_SECONDS) if last is not None else opens
        no_show, delay, service = plan(ticket)
        if ticket.status == S.SERVING and ticket.started_at is not None:
            return secs(ticket.started_at) + service
        called = secs(ticket.called_at) if ticket.called_at is not None else opens
        return called + (60 if no_show else delay)

    queue: list[tuple[int, int, int]] = []  # (seconds, 0 arrival / 1 window, index)
    for i in range(taken, len(arrivals)):
        if arrivals[i].seconds > until:
            break
        heapq.heappush(queue, (arrivals[i].seconds, 0, i))
    for n, play in enumerate(plays):
        heapq.heappush(queue, (next_step(play), 1, n))
    while queue and queue[0][0] <= until:
        seconds, kind, n = heapq.heappop(queue)
        if kind == 0:
            arrival = arrivals[n]
            category = center.categories.get(prefix=arrival.prefix)
            ticket = ticket_take(by=device, center_id=center.pk, category_id=category.pk, priority=arrival.priority,
                                 source=TicketSource.DEVICE, device=device, now=at(seconds))
            index_of[ticket.pk] = n
            counts["taken"] += 1
            continue
        play = plays[n]
        when = _step(play, at(seconds), plan, counts)
        if when is None:  # queue empty: wait for the next arrival it could serve
            later = next((a.seconds for a in arrivals[counts["taken"] + taken:]
                          if a.seconds > seconds and a.prefix in play.prefixes), None)
            if later is not None:
                heapq.heappush(queue, (later, 1, n))
            continue
        heapq.heappush(queue, (next_step(play) if when is True else int(when), 1, n))


def _step(play: _Play, moment: datetime.datetime, plan: Any, counts: dict[str, int]) -> int | bool | None:
    """One step of a played window at ``moment``: call, recall, skip, start or finish. Returns
    True when the window has a next step (computed from the ticket), an int (seconds) for the next
    call after a finish or skip, None when nothing waits for it."""
    by, ticket = play.clerk, play.busy
    midnight = timezone.make_aware(datetime.datetime.combine(moment.date(), datetime.time.min))
    seconds = int((moment - midnight).total_seconds())
    if ticket is None:
        try:
            play.busy = ticket_call_next(by=by, window_id=play.window.pk, now=moment)
        except DomainError:
            return None
        counts["called"] += 1
        return True
    no_show, _delay, _service = plan(ticket)
    if ticket.status == S.CALLED and no_show:
        if ticket.recalls == 0:
            play.busy = ticket_recall(by=by, ticket_id=ticket.pk, now=moment)
            return True
        ticket_skip(by=by, ticket_id=ticket.pk, now=moment)
        play.busy = None
        counts["skipped"] += 1
        return seconds + GAP_SECONDS
    if ticket.status == S.CALLED:
        play.busy = ticket_start(by=by, ticket_id=ticket.pk, now=moment)
        counts["started"] += 1
        return True
    ticket_finish(by=by, ticket_id=ticket.pk, now=moment)
    play.busy = None
    counts["finished"] += 1
    return seconds + GAP_SECONDS
