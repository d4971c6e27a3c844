"""``python -m bench.staffing [--postgres] [--centers N] [--weeks W]``: elastic staffing at city scale
(issue #15 benchmark).

**(a) A week's proposal needs, from the rollups, for one center and for all the centers.** The
input is synthetic: ``--centers`` (220: Shanghai's community service centers, one per street or
town) centers on the street regions of the core table, each with its own department, 3–7 ticket
categories, windows for the busiest slot (综合窗口 serving most categories, specialised windows one), opening hours
(Monday to Friday, 08:30 or 09:00 to 16:30 or 17:00, working days of the core calendar) and ``--weeks`` (52) weeks of
``analytics.TicketSlotFact`` rows, drawn from parameters varied per center — the day's volume
(60–300 visits), category shares and service times (lognormal, medians 3–10 minutes), the day's profile
(morning and afternoon peaks of their own time and height), weekday factors, a yearly trend and a
month seasonality — never 220 copies; written by bulk insert (``executemany``) once and kept.
Per center, the pipeline a proposal runs: ``staffing.services.demand.demand_model_build`` (reads
the rollups, fits, saves the model), then ``staffing.services.proposal.needs_for`` for the week
after the history (Erlang C per slot, simulation for pooled windows). Measured: seconds, the peak
of Python allocations (``tracemalloc``, in a second pass: tracing slows the code) and the process's
peak resident size (``resource.getrusage`` maxrss; each step runs in a child process of its own, so
the figure is that step's). Baseline in the same run: just reading those rollup rows
(``analytics.selectors.slots.slot_history`` per center). Ratios: pipeline time / read time.

**(b) Simulation events per second**: ``staffing.simulation.simulate`` on a realistic day (a
center of 8 windows, two lunch shifts, 6 categories with priorities and transfers, ~260 people),
repeated, and on one long M/M/c run (``poisson_day``, c windows at utilisation 0.9); baseline: a
bare simpy loop of the same number of timeouts (one process, ``env.step`` until the schedule is
empty). Ratio: simulate's events/s / the bare loop's.

The machine's load average is printed beside every figure. Figures are saved to
``bench/results/<time>-staffing-<db>.json``. Database: ``var/bench/staffing-<N>c-<W>w.sqlite3`` (or
PostgreSQL ``bench_staffing_<N>c_<W>w``), migrated and filled once — never the developer's database.

Usage: python -m bench.staffing [--postgres] [--centers N] [--weeks W] [--seed S] [--mmc-people P]
                                [--sim-days D] [--trace-sample K] [--no-needs] [--no-sim]
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .run import RESULTS, ROOT, VAR, loadavg, log, own_database_env

HISTORY_END = datetime.date(2026, 11, 27)  # a Friday: the proposal is for the week from 30 Nov 2026
SEED = 20170929
CODE = "BENCH-ST-{k:03d}"


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def env_for(args: argparse.Namespace) -> dict[str, str]:
    label = f"{args.centers}c-{args.weeks}w"
    return own_database_env(args.postgres, f"bench_staffing_{label.replace('-', '_')}", f"staffing-{label}.sqlite3")


def setup_django(env: dict[str, str]) -> None:
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "ONEWINDOW_VAR_DIR")})
    import django

    django.setup()


# ---- the synthetic centers and their rollups ---------------------------------------------------------


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 40:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


class Shape:
    """The drawn parameters of one synthetic center."""

    def __init__(self, rng: random.Random) -> None:
        self.volume = rng.uniform(60, 300)
        n = rng.randint(3, 7)
        raw = [rng.random() + 0.3 for _ in range(n)]
        self.shares = [r / sum(raw) for r in raw]
        self.service = [(rng.uniform(3, 10) * 60, rng.uniform(0.3, 0.7)) for _ in range(n)]  # median s, sigma
        self.opens = rng.choice((17, 18))  # slot: 08:30 or 09:00
        self.closes = rng.choice((33, 34))  # 16:30 or 17:00
        m1, m2 = rng.uniform(9.0, 10.5), rng.uniform(13.5, 15.0)
        a1, a2 = rng.uniform(0.6, 1.6), rng.uniform(0.3, 1.0)
        hours = [(s + 0.5) / 2 for s in range(48)]
        weights = [0.35 + a1 * math.exp(-((h - m1) / 0.8) ** 2) + a2 * math.exp(-((h - m2) / 0.7) ** 2)
                   - (0.25 if 12 <= h < 13 else 0) for h in hours]
        open_slots = range(self.opens, self.closes - 1)  # last ticket half an hour before closing
        total = sum(weights[s] for s in open_slots)
        self.profile = {s: weights[s] / total for s in open_slots}
        self.weekday = [rng.uniform(1.1, 1.35), rng.uniform(0.95, 1.1), 1.0, rng.uniform(0.9, 1.05),
                        rng.uniform(0.8, 0.95), 0.8]  # an adjusted workday (调休) on a weekend: 0.8
        self.trend = rng.uniform(-0.1, 0.15)  # per year
        self.season = (rng.uniform(0, 0.15), rng.randint(1, 12))
        mean_service = sum(sh * math.exp(math.log(m) + s * s / 2)
                           for sh, (m, s) in zip(self.shares, self.service, strict=True))
        # Enough windows for the busiest slot of the busiest day (Monday at the seasonal peak, a
        # year of trend, a margin of 1.35) at a utilisation of 0.8, and one or two more.
        peak = (self.volume * max(self.weekday) * 1.35 * (1 + self.season[0]) * (1 + max(0.0, self.trend))
                * max(self.profile.values()) * mean_service / 1800)
        self.windows = max(4, math.ceil(peak / 0.8) + rng.randint(1, 2))

    def day_factor(self, day: datetime.date, first: datetime.date) -> float:
        amp, peak = self.season
        return (self.weekday[min(day.weekday(), 5)] * (1 + self.trend * (day - first).days / 365)
                * (1 + amp * math.cos(2 * math.pi * (day.month - peak) / 12)))


def make_centers(count: int, seed: int) -> list[tuple[int, Shape, dict[int, int]]]:
    """The bench centers (made once, found again by code): (center id, shape, category index → id)."""
    from onewindow.centers.choices import CenterLevel, WindowKind, WindowState
    from onewindow.centers.models import Center, OpeningHours, TicketCategory, Window
    from onewindow.core.models import Department, Region

    streets = list(Region.objects.filter(level="street", valid_to__isnull=True).order_by("code"))
    out = []
    for k in range(1, count + 1):
        shape = Shape(random.Random(f"{seed}-center-{k}"))
        code = CODE.format(k=k)
        center = Center.objects.filter(code=code).first()
        if center is None:
            region = streets[(k - 1) % len(streets)]
            name = f"{region.name}社区事务受理服务中心（基准）"
            department = Department.objects.create(code=code, name=name, level="street", region=region)
            center = Center.objects.create(code=code, name=name, level=CenterLevel.STREET, region=region,
                                           department=department)
            for weekday in range(5):
                closes = shape.closes
                OpeningHours.objects.create(center=center, weekday=weekday,
                                            opens=datetime.time(shape.opens // 2, 30 * (shape.opens % 2)),
                                            closes=datetime.time(closes // 2, 30 * (closes % 2)),
                                            last_ticket=datetime.time((closes - 1) // 2, 30 * ((closes - 1) % 2)))
            categories = [TicketCategory.objects.create(center=center, prefix=chr(65 + i), name=f"类别{chr(65 + i)}",
                                                        service_minutes=round(m / 60), sort=i + 1)
                          for i, (m, _s) in enumerate(shape.service)]
            ranked = sorted(range(len(categories)), key=lambda i: -shape.shares[i])
            for number in range(1, shape.windows + 1):
                special = number > max(2, shape.windows * 2 // 3)
                window = Window.objects.create(center=center, number=number,
                                               kind=WindowKind.SPECIALISED if special else WindowKind.COMPREHENSIVE,
                                               state=WindowState.OPEN)
                if special:
                    window.categories.set([categories[ranked[(number - 1) % len(ranked)]]])
                else:
                    window.categories.set(categories if number % 2 else [categories[i] for i in ranked[:-1]])
        ids = dict(enumerate(TicketCategory.objects.filter(center=center).order_by("sort")
                             .values_list("pk", flat=True)))
        out.append((center.pk, shape, ids))
    return out


def fact_rows(center_id: int, shape: Shape, ids: dict[int, int], days: list[datetime.date],
              rng: random.Random) -> list[tuple[Any, ...]]:
    """One center's TicketSlotFact rows (a row only where someone took a ticket, as the rollups)."""
    from onewindow.analytics.histogram import of

    out = []
    lognorm, expo = rng.lognormvariate, rng.expovariate
    for day in days:
        factor = shape.day_factor(day, days[0])
        for slot, weight in shape.profile.items():
            for i, share in enumerate(shape.shares):
                arrivals = _poisson(rng, shape.volume * factor * share * weight)
                if not arrivals:
                    continue
                mu, sigma = math.log(shape.service[i][0]), shape.service[i][1]
                served = arrivals - sum(1 for _ in range(arrivals) if rng.random() < 0.05)
                services = [int(lognorm(mu, sigma)) for _ in range(served)]
                waits = [int(expo(1 / (300 + 1200 * weight * shape.volume / 60))) for _ in range(served)]
                booked = sum(1 for _ in range(arrivals) if rng.random() < 0.15)
                out.append((center_id, day, slot, ids[i], arrivals, booked,
                            sum(1 for _ in range(arrivals) if rng.random() < 0.08), served, arrivals - served, 0,
                            sum(1 for _ in range(served) if rng.random() < 0.04), len(waits), sum(waits),
                            json.dumps(of(waits)), len(services), sum(services), json.dumps(of(services))))
    return out


def fill(args: argparse.Namespace) -> list[int]:
    """Migrate, load the regions, make the centers and write their rollups once; their ids."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from onewindow.core import demo as core_demo
    from onewindow.core.calendar import is_working_day

    from .run import create_postgres_database

    VAR.mkdir(parents=True, exist_ok=True)
    if args.postgres:
        create_postgres_database(os.environ["DATABASE_URL"])
    call_command("migrate", "--noinput", verbosity=0)
    core_demo.load(progress=lambda n: None, seed=args.seed)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_staffing_filled (center_id INTEGER NOT NULL)")
        cursor.execute("SELECT center_id FROM bench_staffing_filled")
        filled = {row[0] for row in cursor.fetchall()}
    first = HISTORY_END - datetime.timedelta(weeks=args.weeks) + datetime.timedelta(days=1)
    days = [first + datetime.timedelta(days=n) for n in range((HISTORY_END - first).days + 1)]
    days = [d for d in days if is_working_day(d)]
    centers = make_centers(args.centers, args.seed)
    columns = ("center_id", "day", "slot", "category_id", "arrivals", "appointments", "priority", "served",
               "no_shows", "cancelled", "transfers", "waits", "wait_seconds", "wait_hist", "services",
               "service_seconds", "service_hist")
    sql = (f"INSERT INTO analytics_ticketslotfact ({', '.join(columns)}) "  # noqa: S608 - our names
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    started, written = time.perf_counter(), 0
    for k, (center_id, shape, ids) in enumerate(centers, start=1):
        if center_id in filled:
            continue
        rows = fact_rows(center_id, shape, ids, days, random.Random(f"{args.seed}-rows-{k}"))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
            cursor.execute("INSERT INTO bench_staffing_filled (center_id) VALUES (%s)", [center_id])
        written += len(rows)
        if k % 20 == 0:
            log(f"{k} centers filled, {written:,} slot facts in {time.perf_counter() - started:.0f} s")
    if written:
        log(f"{written:,} slot facts written in {time.perf_counter() - started:.0f} s")
    return [c for c, _s, _i in centers]


# ---- (a) a week's needs from the rollups ---------------------------------------------------------------


def week_dates() -> list[datetime.date]:
    """The working days of the week after the history (the centers are closed at weekends)."""
    from onewindow.core.calendar import is_working_day

    monday = HISTORY_END + datetime.timedelta(days=7 - HISTORY_END.weekday())
    return [d for d in (monday + datetime.timedelta(days=n) for n in range(7)) if is_working_day(d)]


def read_rollups(center_ids: list[int]) -> int:
    """The baseline: every slot fact the demand model reads (``STAFFING_HISTORY_WEEKS`` to the
    history's end), through the same selector."""
    from onewindow.analytics.selectors.slots import slot_history
    from onewindow.staffing.services.demand import history_span

    since, until = history_span(HISTORY_END)
    return sum(len(slot_history(c, since, until)) for c in center_ids)


def pipeline(center_ids: list[int]) -> int:
    """Per center: build the demand model from the rollups, then the needs of the week after."""
    from onewindow.core.actors import system_actor
    from onewindow.staffing.services.demand import demand_model_build
    from onewindow.staffing.services.proposal import needs_for

    by, dates, slots = system_actor("bench_staffing"), week_dates(), 0
    for center_id in center_ids:
        demand_model_build(by=by, center_id=center_id, until=HISTORY_END)
        slots += len(needs_for(center_id, dates))
    return slots


def measure(step: Callable[[], int], trace_step: Callable[[], int] | None) -> dict[str, Any]:
    """Seconds of ``step`` untraced, then the tracemalloc peak of ``trace_step`` (the same or a sample)."""
    started = time.perf_counter()
    count = step()
    out: dict[str, Any] = {"seconds": round(time.perf_counter() - started, 3), "count": count, "load": loadavg(),
                           "maxrss_mb": round(maxrss_mb(), 1)}  # before tracing, which takes memory of its own
    if trace_step is not None:
        tracemalloc.start()
        trace_step()
        out["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    return out


def child_step(args: argparse.Namespace) -> dict[str, Any]:
    """One measured step in this (child) process: ``args.step`` of one | all, read | pipeline."""
    setup_django(env_for(args))
    if args.step == "fill":
        from onewindow.analytics.models import TicketSlotFact

        started = time.perf_counter()
        ids = fill(args)
        return {"facts": TicketSlotFact.objects.filter(center_id__in=ids).count(),
                "seconds": round(time.perf_counter() - started, 1)}
    from onewindow.centers.models import Center

    ids = list(Center.objects.filter(code__startswith="BENCH-ST-").order_by("code").values_list("pk", flat=True))
    which, what = args.step.split("-")
    chosen = ids[:1] if which == "one" else ids
    sample = chosen[:args.trace_sample]
    base = round(maxrss_mb(), 1)
    if what == "read":
        r = measure(lambda: read_rollups(chosen), lambda: read_rollups(sample))
    else:
        r = measure(lambda: pipeline(chosen), lambda: pipeline(sample))
    return {**r, "centers": len(chosen), "traced_centers": len(sample), "maxrss_before_mb": base}


def run_child(args: argparse.Namespace, step: str) -> dict[str, Any]:
    out = VAR / f".staffing-{step}.json"
    command = [sys.executable, "-m", "bench.staffing", "--step", step, "--json-out", str(out),
               "--centers", str(args.centers), "--weeks", str(args.weeks), "--seed", str(args.seed),
               "--trace-sample", str(args.trace_sample)] + ["--postgres"] * args.postgres
    subprocess.run(command, check=True, cwd=ROOT)
    data: dict[str, Any] = json.loads(out.read_text())
    return data


# ---- (b) simulation events per second ------------------------------------------------------------------


def realistic_day(seed: int) -> tuple[list[Any], list[Any]]:
    """A 临汾路-like day: ~260 people over 09:00–16:30 by ``QUARTER_WEIGHTS``, six categories by
    their shares and lognormal service times, 6 % with a priority (10 minutes' head start), 5 %
    transferred after 2 minutes; eight windows as the demo's first eight, lunch in two shifts."""
    from onewindow.centers import demo_names as names
    from onewindow.staffing.plans import Arrival, Span

    rng = random.Random(seed)
    prefixes = [c[0] for c in names.CATEGORIES]
    cat = {p: i + 1 for i, p in enumerate(prefixes)}
    people = []
    for prefix, _name, median, share, _planned in names.CATEGORIES:
        for q in rng.choices(range(len(names.QUARTER_WEIGHTS)), weights=names.QUARTER_WEIGHTS,
                             k=_poisson(rng, 260 * share)):
            at = 9 * 3600 + q * 900 + rng.randrange(900)
            priority = rng.random() < 0.06
            transfer = rng.random() < 0.05
            people.append(Arrival(at=at, category_id=cat[prefix], key=at - 600 if priority else at,
                                  service=int(rng.lognormvariate(math.log(median * 60), 0.45)),
                                  priority="elderly" if priority else "normal",
                                  transfer_to=cat[rng.choice(prefixes)] if transfer else None,
                                  transfer_after=120 if transfer else 0))
    spans = []
    for i, (number, _kind, _name, served) in enumerate(names.WINDOWS[:8]):
        cats = frozenset(cat[p] for p in served)
        lunch = (11 * 3600 + 1800, 12 * 3600 + 900) if i % 2 == 0 else (12 * 3600 + 900, 13 * 3600)
        spans += [Span(window_id=number, category_ids=cats, start=9 * 3600, end=lunch[0]),
                  Span(window_id=number, category_ids=cats, start=lunch[1], end=17 * 3600)]
    return people, spans


def bare_simpy(n: int) -> tuple[int, float]:
    """A bare simpy loop of ``n`` timeouts: (events processed, seconds)."""
    import simpy
    from simpy.core import EmptySchedule

    env = simpy.Environment()

    def proc() -> Any:
        timeout = env.timeout
        for _ in range(n):
            yield timeout(1)

    env.process(proc())
    events, step = 0, env.step
    started = time.perf_counter()
    try:
        while True:
            step()
            events += 1
    except EmptySchedule:
        pass
    return events, time.perf_counter() - started


def sim_bench(args: argparse.Namespace) -> dict[str, Any]:
    from onewindow.staffing.plans import Span
    from onewindow.staffing.simulation import poisson_day, simulate

    out: dict[str, Any] = {}
    days = [realistic_day(args.seed + n) for n in range(args.sim_days)]
    started, events, people = time.perf_counter(), 0, 0
    for arrivals, spans in days:
        result = simulate(arrivals, spans)
        events += result.events
        people += len(arrivals)
    seconds = time.perf_counter() - started
    out["day"] = {"days": args.sim_days, "people": people, "events": events, "seconds": round(seconds, 3),
                  "events_per_s": round(events / seconds), "load": loadavg()}
    c, service_mean = 10, 480.0
    rate = 0.9 * c / service_mean
    arrivals = poisson_day(rate, service_mean, int(args.mmc_people / rate), category_id=1, seed=args.seed)
    spans = [Span(window_id=w, category_ids=frozenset({1}), start=0, end=int(args.mmc_people / rate))
             for w in range(1, c + 1)]
    started = time.perf_counter()
    result = simulate(arrivals, spans)
    seconds = time.perf_counter() - started
    out["mmc"] = {"servers": c, "utilisation": 0.9, "people": len(arrivals), "events": result.events,
                  "seconds": round(seconds, 3), "events_per_s": round(result.events / seconds),
                  "mean_wait_s": round(result.mean_wait(), 1), "load": loadavg()}
    for key in ("day", "mmc"):
        n, bare_s = bare_simpy(out[key]["events"])
        out[key]["bare_events_per_s"] = round(n / bare_s)
        out[key]["ratio"] = round(out[key]["events_per_s"] / (n / bare_s), 3)
    return out


# ---- report --------------------------------------------------------------------------------------------


def print_report(r: dict[str, Any]) -> None:
    print()
    print(f"elastic staffing ({r['database']}, {os.cpu_count()} CPUs)")
    if "needs" in r:
        n = r["needs"]
        print(f"(a) a week's needs from the rollups: {r['centers']} synthetic centers, {r['weeks']} weeks, "
              f"{r['facts']:,} slot facts")
        print(f"{'':<44} {'seconds':>9} {'ratio':>7} {'tracemalloc':>12} {'maxrss':>8} {'(Django)':>9}  load")
        for key, label in (("one-read", "read the rollups, one center"),
                           ("one-pipeline", "model build + needs_for, one center"),
                           ("all-read", f"read the rollups, all {r['centers']} centers"),
                           ("all-pipeline", f"model build + needs_for, all {r['centers']} centers")):
            m = n[key]
            base = n[key.split("-")[0] + "-read"]["seconds"]
            traced = f"{m['tracemalloc_peak_mb']:>9.1f} MB" + ("" if m["traced_centers"] == m["centers"]
                                                                else f" ({m['traced_centers']} c.)")
            print(f"{label:<44} {m['seconds']:>9.2f} {m['seconds'] / base:>7.1f} {traced:>12} "
                  f"{m['maxrss_mb']:>5.0f} MB {m['maxrss_before_mb']:>6.0f} MB  {m['load']}")
        one, every = n["one-pipeline"], n["all-pipeline"]
        print(f"  per center in the all-centers run: {every['seconds'] / every['centers']:.2f} s "
              f"({every['count']:,} slot needs; one center alone {one['seconds']:.2f} s)")
    if "sim" in r:
        s = r["sim"]
        print("(b) simulation events per second")
        print(f"{'':<44} {'events':>10} {'seconds':>8} {'events/s':>10} {'bare simpy/s':>13} {'ratio':>6}  load")
        for key, label in (("day", f"simulate: realistic day x{s['day']['days']} ({s['day']['people']:,} p.)"),
                           ("mmc", f"simulate: M/M/{s['mmc']['servers']} rho 0.9 ({s['mmc']['people']:,} p.)")):
            m = s[key]
            print(f"{label:<44} {m['events']:>10,} {m['seconds']:>8.2f} {m['events_per_s']:>10,} "
                  f"{m['bare_events_per_s']:>13,} {m['ratio']:>6.3f}  {m['load']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (database bench_staffing_<N>c_<W>w)")
    parser.add_argument("--centers", type=int, default=220)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--trace-sample", type=int, default=10,
                        help="centers traced by tracemalloc in the all-centers steps (default 10)")
    parser.add_argument("--sim-days", type=int, default=1000, help="realistic days simulated (default 1000)")
    parser.add_argument("--mmc-people", type=int, default=500_000, help="people of the M/M/c run (default 500k)")
    parser.add_argument("--no-needs", dest="needs", action="store_false")
    parser.add_argument("--no-sim", dest="sim", action="store_false")
    parser.add_argument("--step", help=argparse.SUPPRESS)  # a child process's step
    parser.add_argument("--json-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        Path(args.json_out).write_text(json.dumps(child_step(args)))
        return 0
    # Django is set up in the child processes only: a child's maxrss starts from its parent's at
    # exec on Linux, so the parent stays small (the simulation below needs no database).
    result: dict[str, Any] = {"database": "PostgreSQL" if args.postgres else "SQLite", "cpu_count": os.cpu_count(),
                              "centers": args.centers, "weeks": args.weeks}
    if args.needs:
        filled = run_child(args, "fill")
        result["facts"] = filled["facts"]
        log(f"{args.centers} centers, {result['facts']:,} slot facts (load {loadavg()})")
        result["needs"] = {}
        for step in ("one-read", "one-pipeline", "all-read", "all-pipeline"):
            result["needs"][step] = run_child(args, step)
            log(f"{step}: {result['needs'][step]}")
    if args.sim:
        result["sim"] = sim_bench(args)
    print_report(result)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"{stamp}-staffing-{'postgres' if args.postgres else 'sqlite'}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    log(f"figures saved to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
