"""``python -m bench.analytics_history [--postgres] --events N``: a synthetic history of the centers.

The input of the rollup benchmark (``bench.analytics_rollups``, issue #14): N queue-ticket and
case events (``centers_ticketevent`` + ``cases_caseevent`` rows) of three bench centers over
several years, with the ticket, case, rating and window-duty rows they belong to, written in bulk
(``executemany`` on SQLite, ``COPY`` on PostgreSQL) — not through the services, which would take
hours per million (docs/benchmarks.md: one ticket take is ~6 ms, one case submission ~25 ms).

Shape (deterministic from ``--seed``; the same N gives the same rows on both databases):

- working days Monday–Friday from ``--years`` years before ``HISTORY_END`` (30 Nov 2026) to it;
  day volume by weekday (Monday busiest), month (the weeks around the Spring Festival quiet,
  month ends busier) and noise; arrivals by hour (9–10 h and 14–15 h peaks, a lunch dip);
- tickets: categories and sources by weight; 93 % served (take, call, start, finish), 8 % of all
  transferred to another window (… start, transfer, call, start, finish) and 6 % of all skipped
  once and requeued before (… call, skip, requeue, call …); 4 % no-shows (take, call, skip), 3 %
  cancelled (take, cancel); waits longer at the peak hours;
- cases: about 0.55 per ticket, items Zipf-skewed (a few items take most cases), channels window /
  online / wechat / kiosk; lifecycles create → submit → accept | refuse | withdraw → start review →
  approve | reject → deliver, the last ~30 days' cases partly still open;
- ratings: ~30 % of served tickets (评价器) and ~10 % of concluded cases; windows: each clerk's
  sign-in, open, lunch pause and resume, close, sign-out per day.

Each center has its own department, 4 categories, 12 windows, 12 clerks (``bench-c<k>-clerk<n>``)
and a manager (``bench-c<k>-manager``, no password: the benchmark logs in with a made session).
Resumable: days are written in order, a batch of days per transaction with the progress row; a
stopped run continues after the last day written. ``--day YYYY-MM-DD`` writes one more day of
average volume (the benchmark's incremental update) and ``truncate_after`` removes it again.

Databases: ``var/bench/analytics-<N>.sqlite3`` or PostgreSQL ``bench_analytics_<N>`` (N as 100k,
1m, 10m; ``-<Y>y`` added for a history of other than 3 years), migrated, with the core, catalog
and accounts demo data loaded once (the bench centers need regions, departments, items and their
versions).

Usage: python -m bench.analytics_history [--postgres] [--events N] [--years Y] [--seed S]
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .run import log, own_database_env

HISTORY_END = datetime.date(2026, 11, 30)
NEW_DAY = datetime.date(2026, 12, 1)
CENTERS = 3
WINDOWS = 12
CATEGORIES = (("A", "综合受理", 0.45, 9), ("B", "社保医保", 0.25, 7), ("C", "户籍证照", 0.2, 6),
              ("D", "企业开办", 0.1, 14))
SOURCES = (("kiosk", 0.55), ("wechat", 0.25), ("appointment", 0.12), ("window", 0.08))
HOUR_WEIGHTS = {9: 1.6, 10: 1.5, 11: 1.1, 12: 0.45, 13: 0.9, 14: 1.4, 15: 1.2, 16: 0.8}
WEEKDAY_FACTOR = (1.25, 1.05, 1.0, 0.95, 0.85)
CHANNELS = (("window", 0.55), ("online", 0.3), ("wechat", 0.1), ("kiosk", 0.05))
LEVELS = ((5, 0.8), (4, 0.12), (3, 0.04), (2, 0.02), (1, 0.02))
SCORES = {5: 10, 4: 8, 3: 6, 2: 3, 1: 0}
EVENTS_PER_TICKET = 7.5  # ticket events (~4.2) + case events (~0.55 x ~6.0) per ticket, measured
DAYS_PER_BATCH = 20
TABLES = ("centers_ticket", "centers_ticketevent", "cases_case", "cases_caseevent", "ratings_rating",
          "centers_windowevent")


def size_label(events: int) -> str:
    if events % 1_000_000 == 0:
        return f"{events // 1_000_000}m"
    if events % 1_000 == 0:
        return f"{events // 1_000}k"
    return str(events)


def history_env(postgres: bool, events: int, years: int = 3) -> dict[str, str]:
    """The benchmark database of a history size (and length, when not the default 3 years)."""
    label = size_label(events) + ("" if years == 3 else f"-{years}y")
    return own_database_env(postgres, f"bench_analytics_{label}", f"analytics-{label}.sqlite3")


def setup_django(env: dict[str, str]) -> None:
    """Set Django up in this process on the benchmark database of ``env``."""
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "ONEWINDOW_VAR_DIR")})
    import django

    django.setup()


def working_days(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    days, day = [], start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    x = rng.random() * sum(w for _, w in weighted)
    for value, weight in weighted:
        x -= weight
        if x <= 0:
            return value
    return weighted[-1][0]


# ---- the fixture: database, bench centers ----------------------------------------------------------


def prepare(env: dict[str, str], postgres: bool) -> None:
    """Create, migrate and load the base demo steps once (marker table ``bench_analytics_base``)."""
    from django.core.management import call_command
    from django.db import connection

    from .run import VAR, create_postgres_database

    VAR.mkdir(parents=True, exist_ok=True)
    if postgres:
        create_postgres_database(env["DATABASE_URL"])
    call_command("migrate", "--noinput", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_analytics_base (done INTEGER NOT NULL)")
        cursor.execute("SELECT COUNT(*) FROM bench_analytics_base")
        if cursor.fetchone()[0]:
            return
    import importlib

    for name in ("onewindow.core.demo", "onewindow.catalog.demo", "onewindow.accounts.demo"):
        started = time.monotonic()
        importlib.import_module(name).load(progress=lambda n: None, seed=20170929)
        log(f"{name} loaded in {time.monotonic() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_analytics_base (done) VALUES (1)")


@dataclass
class BenchCenter:
    id: int
    department_id: int
    manager_id: int
    categories: list[tuple[int, str, float, int]]  # (id, prefix, share, service minutes)
    windows: list[tuple[int, int]]  # (window id, clerk id)


@dataclass
class Fixture:
    centers: list[BenchCenter]
    items: list[tuple[int, int, int, str]]  # (item id, version id, department id, name), Zipf order
    persons: list[int]  # applicants (the accounts demo's residents)
    next_ids: dict[str, int] = field(default_factory=dict)


def bench_centers() -> Fixture:
    """The three bench centers with departments, categories, windows, clerks and a manager (made
    once, found again by code)."""
    from django.contrib.auth import get_user_model

    from onewindow.catalog.models import ItemVersion, ServiceItem
    from onewindow.centers.models import Center, CenterStaff, TicketCategory, Window
    from onewindow.core.models import Department, Region

    user_model = get_user_model()
    region = Region.objects.filter(code="310106").first() or Region.objects.order_by("code")[0]
    centers = []
    for k in range(1, CENTERS + 1):
        code = f"BENCH-AN-{k}"
        department, _ = Department.objects.get_or_create(
            code=code, defaults={"name": f"基准测试第{k}行政服务中心", "level": region.level, "region": region})
        center = Center.objects.filter(code=code).first()
        if center is None:
            center = Center.objects.create(code=code, name=f"基准测试第{k}行政服务中心", level="street",
                                           region=region, department=department)
            for sort, (prefix, name, _share, minutes) in enumerate(CATEGORIES, start=1):
                TicketCategory.objects.create(center=center, prefix=prefix, name=name, service_minutes=minutes,
                                              sort=sort)
            manager = user_model.objects.create(username=f"bench-c{k}-manager", is_staff=True)
            CenterStaff.objects.create(center=center, user=manager, is_manager=True)
            for n in range(1, WINDOWS + 1):
                Window.objects.create(center=center, number=n, name=f"{n}号窗口")
                clerk = user_model.objects.create(username=f"bench-c{k}-clerk{n:02d}", is_staff=True)
                CenterStaff.objects.create(center=center, user=clerk)
        manager = user_model.objects.get(username=f"bench-c{k}-manager")
        categories = [(c.id, c.prefix, next(s for p, _n, s, _m in CATEGORIES if p == c.prefix), c.service_minutes)
                      for c in TicketCategory.objects.filter(center=center).order_by("sort")]
        windows = list(Window.objects.filter(center=center).order_by("number").values_list("id", flat=True))
        clerks = list(user_model.objects.filter(username__startswith=f"bench-c{k}-clerk")
                      .order_by("username").values_list("id", flat=True))
        staffed = list(zip(windows, clerks, strict=True))
        centers.append(BenchCenter(center.id, department.id, manager.id, categories, staffed))
    versions = {v.item_id: v.id for v in ItemVersion.objects.order_by("item_id", "id")}
    items = [(i.id, versions[i.id], i.department_id, i.name[:200])
             for i in ServiceItem.objects.order_by("code") if i.id in versions]
    random.Random(7).shuffle(items)
    from onewindow.accounts.models import Person

    persons = list(Person.objects.order_by("id").values_list("id", flat=True)[:500])
    return Fixture(centers=centers, items=items, persons=persons)


# ---- writing rows ----------------------------------------------------------------------------------


class Writer:
    """Rows of one batch, per table, written at ``flush`` (COPY on PostgreSQL)."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        self.rows: dict[str, list[tuple[Any, ...]]] = {}
        self.columns: dict[str, tuple[str, ...]] = {}
        self.defaults: dict[str, dict[str, Any]] = {}

    def table(self, model: Any, columns: Sequence[str]) -> str:
        """Register ``model``'s table with the given varying columns; every other concrete column
        gets its field default, prepared once."""
        name = model._meta.db_table
        if name not in self.columns:
            defaults = {}
            for f in model._meta.concrete_fields:
                if f.column in columns:
                    continue
                value = f.get_default()
                if type(value).__name__ == "DatabaseDefault":  # a db_default: its constant
                    value = getattr(f.db_default, "value", None)
                if value is None and not f.null and f.empty_strings_allowed:
                    value = ""
                defaults[f.column] = f.get_db_prep_save(value, self.connection)
            self.columns[name] = (*columns, *defaults)
            self.defaults[name] = defaults
            self.rows[name] = []
        return name

    def add(self, table: str, values: tuple[Any, ...]) -> None:
        self.rows[table].append(values)

    def count(self, table: str) -> int:
        return len(self.rows.get(table, ()))

    def flush(self) -> None:
        with self.connection.cursor() as cursor:
            for table, rows in self.rows.items():
                if not rows:
                    continue
                tail = tuple(self.defaults[table].values())
                columns = self.columns[table]
                quoted = ", ".join(self.connection.ops.quote_name(c) for c in columns)
                if self.postgres:
                    self.copy(cursor, table, quoted, rows, tail)
                else:
                    sql = (f"INSERT INTO {table} ({quoted}) "  # noqa: S608 - names from _meta
                           f"VALUES ({', '.join(['%s'] * len(columns))})")
                    cursor.executemany(sql, [r + tail for r in rows])
                rows.clear()

    @staticmethod
    def copy(cursor: Any, table: str, quoted: str, rows: list[tuple[Any, ...]], tail: tuple[Any, ...]) -> None:
        raw = cursor.cursor  # psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row + tail)


def stamp(day: datetime.date, seconds: float, postgres: bool) -> str:
    """A UTC timestamp of ``seconds`` after local midnight (Asia/Shanghai, UTC+8) as stored."""
    moment = datetime.datetime.combine(day, datetime.time()) + datetime.timedelta(seconds=seconds - 8 * 3600)
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    return text + "+00:00" if postgres else text


# ---- one day of one center ------------------------------------------------------------------------


def day_volume(rng: random.Random, day: datetime.date, per_day: float) -> int:
    factor = WEEKDAY_FACTOR[day.weekday()]
    if (day.month == 2 and day.day <= 20) or (day.month == 1 and day.day >= 25):
        factor *= 0.6  # the weeks around the Spring Festival (approximate)
    if day.day >= 24:
        factor *= 1.15  # month ends: social-insurance and tax deadlines
    return max(0, round(per_day * factor * math.exp(rng.gauss(0, 0.18) - 0.016)))


def write_day(w: Writer, fx: Fixture, center: BenchCenter, day: datetime.date, per_day: float,
              seed: int) -> int:
    """Tickets, cases, ratings and window events of one center's day; returns the ticket and case
    events written."""
    from onewindow.cases.models import Case, CaseEvent
    from onewindow.centers.models import Ticket, TicketEvent, WindowEvent
    from onewindow.ratings.models import Rating

    pg = w.postgres
    rng = random.Random(f"{seed}-{center.id}-{day.isoformat()}")
    ids = fx.next_ids
    t_ticket = w.table(Ticket, ("id", "center_id", "category_id", "date", "number", "display", "status", "priority",
                                "source", "queue_key", "status_code", "window_id", "clerk_id", "taken_at",
                                "called_at", "started_at", "finished_at"))
    t_tev = w.table(TicketEvent, ("id", "ticket_id", "action", "from_status", "to_status", "window_id", "actor_id",
                                  "at"))
    t_case = w.table(Case, ("id", "number", "query_code", "status", "channel", "item_id", "item_version_id", "title",
                            "receiving_department_id", "handling_department_id", "handler_id", "submitter_id",
                            "applicant_person_id",
                            "created_at", "updated_at", "submitted_at", "accepted_at", "decided_at",
                            "delivered_at", "closed_at"))
    t_cev = w.table(CaseEvent, ("id", "case_id", "action", "from_status", "to_status", "actor_id", "department_id",
                                "created_at"))
    t_rating = w.table(Rating, ("id", "subject_type", "subject_id", "level", "score", "channel", "department_id",
                                "staff_id", "created_at"))
    t_wev = w.table(WindowEvent, ("id", "center_id", "window_id", "action", "clerk_id", "actor_id", "at"))

    def next_id(table: str) -> int:
        ids[table] += 1
        return ids[table]

    def ts(seconds: float) -> str:
        return stamp(day, seconds, pg)

    events = 0
    # A clerk's day at each window: sign in, open, lunch pause and resume, close, sign out.
    turn = day.toordinal() % len(center.windows)
    rota = center.windows[turn:] + center.windows[:turn]
    for window_id, clerk_id in center.windows:
        lunch = 12 * 3600 + rng.randrange(0, 1800)
        for action, at in (("sign_in", 8 * 3600 + 3000), ("open", 9 * 3600), ("pause", lunch),
                           ("resume", lunch + 3600), ("close", 17 * 3600), ("sign_out", 17 * 3600 + 300)):
            w.add(t_wev, (next_id(t_wev), center.id, window_id, action, clerk_id, clerk_id,
                          ts(at + rng.randrange(120))))
    hours = list(HOUR_WEIGHTS.items())
    cats = [(c, c[2]) for c in center.categories]
    volume = day_volume(rng, day, per_day)
    numbers: dict[str, int] = {}
    age = (NEW_DAY - day).days
    for _ in range(volume):
        hour = pick(rng, hours)
        taken = hour * 3600 + rng.randrange(3600)
        cat_id, prefix, _share, minutes = pick(rng, cats)
        numbers[prefix] = numbers.get(prefix, 0) + 1
        tid = next_id(t_ticket)
        window_id, clerk_id = rota[rng.randrange(len(rota))]
        source = pick(rng, SOURCES)
        busy = HOUR_WEIGHTS[hour]
        wait = rng.expovariate(1 / (300 + 900 * busy))
        service = max(60.0, rng.lognormvariate(math.log(minutes * 60), 0.5))
        called = taken + wait
        outcome = rng.random()
        trail: list[tuple[str, str, str, float, int | None]] = [("take", "", "waiting", taken, None)]
        status, started, finished = "done", None, None
        w_id: int | None = window_id
        c_id: int | None = clerk_id
        if outcome < 0.03:
            trail.append(("cancel", "waiting", "cancelled", taken + rng.randrange(60, 1800), None))
            status, w_id, c_id, called_at = "cancelled", None, None, None
        elif outcome < 0.07:
            trail += [("call", "waiting", "called", called, window_id),
                      ("skip", "called", "no_show", called + 180, window_id)]
            status, called_at = "no_show", called
        else:
            called_at = called
            trail.append(("call", "waiting", "called", called, window_id))
            at = called + rng.randrange(20, 90)
            if outcome < 0.13:  # skipped once, back in the queue, called again
                trail += [("skip", "called", "no_show", called + 180, window_id),
                          ("requeue", "no_show", "waiting", called + 400, None),
                          ("call", "waiting", "called", called + 700, window_id)]
                at = called + 760
            trail.append(("start", "called", "serving", at, window_id))
            started = at
            if outcome < 0.15:  # transferred to another window
                other, other_clerk = rota[(rota.index((window_id, clerk_id)) + 1) % len(rota)]
                trail += [("transfer", "serving", "waiting", at + service / 3, window_id),
                          ("call", "waiting", "called", at + service / 3 + 240, other),
                          ("start", "called", "serving", at + service / 3 + 300, other)]
                w_id, c_id, at = other, other_clerk, at + service / 3 + 300
            finished = at + service
            trail.append(("finish", "serving", "done", finished, w_id))
        clerks = dict(center.windows)
        for action, before, after, at_s, win in trail:
            w.add(t_tev, (next_id(t_tev), tid, action, before, after, win, clerks.get(win) if win else None, ts(at_s)))
        events += len(trail)
        w.add(t_ticket, (tid, center.id, cat_id, day.isoformat(), numbers[prefix], f"{prefix}{numbers[prefix]:03d}",
                         status, "appointment" if source == "appointment" else "normal", source, ts(taken),
                         f"BA{tid:014d}", w_id, c_id, ts(taken), ts(called_at) if called_at else None,
                         ts(started) if started else None, ts(finished) if finished else None))
        if status == "done" and rng.random() < 0.3:
            level = pick(rng, LEVELS)
            w.add(t_rating, (next_id(t_rating), "service", str(tid), level, SCORES[level], "pad", center.department_id,
                             c_id, ts((finished or taken) + 30)))
        # Cases: about 0.55 per ticket, received at the window or online, items Zipf-skewed.
        if rng.random() < 0.55:
            events += case_rows(w, fx, center, rng, day, taken + wait + 60, c_id or clerk_id, age,
                                (t_case, t_cev, t_rating), next_id, ts)
    return events


def case_rows(w: Writer, fx: Fixture, center: BenchCenter, rng: random.Random, day: datetime.date, at: float,
              clerk_id: int, age: int, tables: tuple[str, str, str], next_id: Any, ts: Any) -> int:
    t_case, t_cev, t_rating = tables
    rank = min(len(fx.items) - 1, int(rng.paretovariate(1.1)) - 1)
    item_id, version_id, item_dept, title = fx.items[rank]
    channel = pick(rng, CHANNELS)
    cid = next_id(t_case)
    dept = center.department_id
    trail = [("create", "", "draft", at - 600), ("submit", "draft", "submitted", at)]
    accepted = decided = delivered = closed = None
    fate, status = rng.random(), "submitted"
    accept_at = at + (rng.randrange(60, 900) if channel == "window" else rng.randrange(3600, 3 * 86400))
    handling = rng.lognormvariate(math.log(6 * 86400), 0.8)
    if fate < 0.02:
        trail.append(("withdraw", "submitted", "withdrawn", accept_at))
        status, closed = "withdrawn", accept_at
    elif fate < 0.06:
        trail.append(("refuse", "submitted", "not_accepted", accept_at))
        status, closed = "not_accepted", accept_at
    elif age * 86400 < accept_at - at:
        pass  # not yet accepted
    else:
        trail.append(("accept", "submitted", "accepted", accept_at))
        status, accepted = "accepted", accept_at
        if age * 86400 > accept_at - at + 3600:
            trail.append(("start_review", "accepted", "under_review", accept_at + 3600))
            status = "under_review"
            if age * 86400 > accept_at - at + handling:
                verdict = "rejected" if fate < 0.09 else "approved"
                decided = accept_at + handling
                trail.append(("reject" if verdict == "rejected" else "approve", "under_review", verdict, decided))
                status = verdict
                if age * 86400 > accept_at - at + handling + 86400:
                    delivered = closed = decided + rng.randrange(3600, 86400)
                    trail.append(("deliver", verdict, "delivered", delivered))
                    status = "delivered"
    for action, before, after, moment in trail:
        w.add(t_cev, (next_id(t_cev), cid, action, before, after, clerk_id, dept, ts(moment)))
    last = trail[-1][3]
    w.add(t_case, (cid, f"BA{day:%Y%m%d}{cid:010d}", f"BA{cid:014d}", status, channel, item_id, version_id, title,
                   dept, item_dept, clerk_id, clerk_id, fx.persons[cid % len(fx.persons)], ts(at - 600), ts(last),
                   ts(at),
                   ts(accepted) if accepted else None, ts(decided) if decided else None,
                   ts(delivered) if delivered else None, ts(closed) if closed else None))
    if status == "delivered" and rng.random() < 0.1:
        level = pick(rng, LEVELS)
        w.add(t_rating, (next_id(t_rating), "case", str(cid), level, SCORES[level], "web", dept, clerk_id,
                         ts(last + 3600)))
    return len(trail)


# ---- the whole history -----------------------------------------------------------------------------


def max_ids() -> dict[str, int]:
    from django.db import connection

    found = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - our table names
            found[table] = int(cursor.fetchone()[0])
    return found


def fix_sequences() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - ours
                           f"(SELECT GREATEST(MAX(id), 1) FROM {table}))")


def progress_row(events: int) -> tuple[str | None, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_analytics_progress (target BIGINT NOT NULL, "
                       "last_day VARCHAR(10) NOT NULL, events BIGINT NOT NULL, done INTEGER NOT NULL)")
        cursor.execute("SELECT last_day, events, done FROM bench_analytics_progress WHERE target = %s", [events])
        row = cursor.fetchone()
    if row is None:
        return None, 0
    return (None if row[2] else row[0]), int(row[1]) if not row[2] else -1


def generate(events: int, years: int, seed: int) -> dict[str, Any]:
    """Write the history up to ``events`` ticket and case events (resuming after the last day)."""
    from django.db import connection, transaction

    fx = bench_centers()
    last_day, written = progress_row(events)
    if written == -1:
        return {"events": events, "resumed": False, "seconds": 0.0, "already": True}
    days = working_days(HISTORY_END.replace(year=HISTORY_END.year - years) + datetime.timedelta(days=1), HISTORY_END)
    per_day = events / (len(days) * CENTERS * EVENTS_PER_TICKET)
    todo = [d for d in days if last_day is None or d.isoformat() > last_day]
    fx.next_ids = max_ids()
    w = Writer()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -500000")
        if last_day is None:
            cursor.execute("DELETE FROM bench_analytics_progress WHERE target = %s", [events])
            cursor.execute("INSERT INTO bench_analytics_progress (target, last_day, events, done) "
                           "VALUES (%s, '', 0, 0)", [events])
    for start in range(0, len(todo), DAYS_PER_BATCH):
        batch = todo[start:start + DAYS_PER_BATCH]
        with transaction.atomic():
            for day in batch:
                for center in fx.centers:
                    written += write_day(w, fx, center, day, per_day, seed)
            w.flush()
            with connection.cursor() as cursor:
                cursor.execute("UPDATE bench_analytics_progress SET last_day = %s, events = %s WHERE target = %s",
                               [batch[-1].isoformat(), written, events])
        rate = written / max(time.perf_counter() - started, 1e-9)
        log(f"history to {batch[-1]}: {written:,} events ({rate:,.0f}/s)")
    fix_sequences()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE bench_analytics_progress SET done = 1, events = %s WHERE target = %s",
                       [written, events])
    return {"events": written, "days": len(days), "centers": CENTERS, "per_center_day_tickets": round(per_day, 1),
            "seconds": round(time.perf_counter() - started, 1), "resumed": last_day is not None}


def add_day(events: int, years: int, seed: int, day: datetime.date = NEW_DAY) -> tuple[dict[str, int], int]:
    """Write one more day of average volume after the history; returns the ids before it (for
    ``truncate_after``) and the events written."""
    from django.db import transaction

    fx = bench_centers()
    days = working_days(HISTORY_END.replace(year=HISTORY_END.year - years) + datetime.timedelta(days=1), HISTORY_END)
    per_day = events / (len(days) * CENTERS * EVENTS_PER_TICKET)
    before = max_ids()
    fx.next_ids = dict(before)
    w = Writer()
    with transaction.atomic():
        written = sum(write_day(w, fx, center, day, per_day, seed) for center in fx.centers)
        w.flush()
    fix_sequences()
    return before, written


def truncate_after(marks: dict[str, int]) -> None:
    """Remove the rows above ``marks`` (the appended day), children first."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for table in ("ratings_rating", "cases_caseevent", "centers_ticketevent", "centers_windowevent",
                      "cases_case", "centers_ticket"):
            cursor.execute(f"DELETE FROM {table} WHERE id > %s", [marks[table]])  # noqa: S608 - our names
    fix_sequences()


def counts() -> dict[str, int]:
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - our table names
            out[table] = int(cursor.fetchone()[0])
    return out


def iter_rows(sql: str, batch: int = 50_000) -> Iterable[list[tuple[Any, ...]]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(batch):
            yield rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (database bench_analytics_<N>)")
    parser.add_argument("--events", type=int, default=1_000_000, help="ticket and case events (default 1,000,000)")
    parser.add_argument("--years", type=int, default=3, help="years of history (default 3)")
    parser.add_argument("--seed", type=int, default=20170929)
    args = parser.parse_args(argv)
    env = history_env(args.postgres, args.events, args.years)
    setup_django(env)
    prepare(env, args.postgres)
    summary = generate(args.events, args.years, args.seed)
    summary["rows"] = counts()
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
