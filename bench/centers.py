"""``python -m bench.centers``: the hall's two hot writes (issue #4) through the device API.

1. Take a ticket: ``POST /api/v1/centers/devices/ticket`` (a ticket printer's token; four
   categories in turn: a gap-free number from the counter row, the ticket, its event, an audit
   entry, the wait estimate for the printout) against the bare counter-plus-INSERT view
   (``/bench/bare/counter-insert``: one counter UPDATE and one INSERT in a transaction, four counter
   rows in turn): throughput at 64 concurrent clients and p99 at 16, as ratios in the same run.
2. Call the next: ``POST /api/v1/centers/devices/call-next`` by call keypads, one window each; each
   client skips (``POST devices/skip``) the ticket it called before calling again, so its window is
   free. Both are one-ticket writes; the throughput counts both requests (call-next and skip),
   the latency is the call-next requests' alone; same baseline.
3. Correctness at 200 clients: 200 clients take tickets of one category at once, then 200 keypads
   (200 windows) call and skip until the queue is empty. Counted in the database: tickets issued
   (= 201 answers), duplicates (must be 0), gaps in the numbers (must be 0), tickets called twice
   (must be 0; call events per ticket, and ticket ids in the 200 answers).

Aims: throughput ≥ 0.5 of the bare view; p99 < 100 ms at 16 clients. The city line: Shanghai's
community centers serve over 10 million visits a year (one ticket and one call each); at the
measured rates one machine carries that many visits this many times over, counting only
opening hours (250 working days × 8 hours) and a peak hour 3 times the day's average.

The center is created anew for each run ("BENCH-<time>"), open every day 00:00–23:59:59, with
CalendarDay rows making the bench days working days. SQLite: ``var/bench/centers.sqlite3``;
PostgreSQL (``--postgres``): the database ``onewindow_bench_centers`` on the server of DATABASE_URL.

Usage: python -m bench.centers [--postgres] [--rounds R] [--requests N] [--seconds T] [--workers W]
                               [--check-clients 200] [--check-tickets 2000]
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import itertools
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from .load import LoadResult, run_load
from .run import (
    BIN,
    LATENCY_CLIENTS,
    RESULTS,
    ROOT,
    THROUGHPUT_CLIENTS,
    VAR,
    create_bench_table,
    create_postgres_database,
    django_shell,
    free_port,
    log,
    own_database_env,
    start_server,
    stop_server,
)

PG_DATABASE = "onewindow_bench_centers"
AIMS = {"throughput_ratio_at_64": 0.5, "p99_ms_at_16": 100.0}
SHANGHAI_VISITS_PER_YEAR = 10_000_000
OPEN_SECONDS_PER_YEAR = 250 * 8 * 3600
PEAK_FACTOR = 3
BASE_PATHS = [f"/bench/bare/counter-insert?k={k}" for k in range(4)]
TAKE = "/api/v1/centers/devices/ticket"
CALL = "/api/v1/centers/devices/call-next"
SKIP = "/api/v1/centers/devices/skip"


def database_env(postgres: bool) -> dict[str, str]:
    return own_database_env(postgres, PG_DATABASE, "centers.sqlite3")


def shell(env: dict[str, str], script: str) -> str:
    return django_shell(env, script)


SETUP_SCRIPT = """
import datetime, json
from django.db import connection, transaction
from django.utils import timezone
from onewindow.accounts.testing import make_api_token
from onewindow.centers.models import Center, Device, OpeningHours, TicketCategory, Window
from onewindow.core.models import CalendarDay, Department, Region

with connection.cursor() as c:
    c.execute("CREATE TABLE IF NOT EXISTS bench_counter (scope VARCHAR(8) PRIMARY KEY, value BIGINT NOT NULL)")
    for k in range(4):
        c.execute("SELECT 1 FROM bench_counter WHERE scope = %s", [str(k)])
        if c.fetchone() is None:
            c.execute("INSERT INTO bench_counter (scope, value) VALUES (%s, 0)", [str(k)])
stamp = timezone.localtime().strftime("%m%d%H%M%S")
with transaction.atomic():
    region, _ = Region.objects.get_or_create(code="310106", defaults={"name": "静安区", "level": "district"})
    dept, _ = Department.objects.get_or_create(code="BENCH-CENTERS", defaults={
        "name": "基准测试社区事务受理服务中心", "level": "street", "region": region})
    today = timezone.localdate()
    for offset in range(3):
        CalendarDay.objects.update_or_create(date=today + datetime.timedelta(days=offset),
                                             defaults={"is_working_day": True, "name": "基准测试"})
    center = Center.objects.create(code="BENCH-" + stamp, name="基准测试中心 " + stamp, level="street",
                                   region=region, department=dept)
    for weekday in range(7):
        OpeningHours.objects.create(center=center, weekday=weekday, opens=datetime.time(0, 0),
                                    closes=datetime.time(23, 59, 59), last_ticket=datetime.time(23, 59, 59))
    cats = [TicketCategory.objects.create(center=center, prefix=p, name="业务" + p, sort=i)
            for i, p in enumerate("ABCD")]
    z = TicketCategory.objects.create(center=center, prefix="Z", name="正确性检查", sort=9)
    def keypads(first, count, categories):
        bearers = []
        for number in range(first, first + count):
            window = Window.objects.create(center=center, number=number, state="open")
            window.categories.set(categories)
            token, bearer = make_api_token(name=f"bench keypad {number}", scopes=["device"],
                                           system_name=f"bench-{stamp}-{number}")
            Device.objects.create(center=center, window=window, kind="call_keypad", name=f"{number}", token=token)
            bearers.append(bearer)
        return bearers
    bench_keypads = keypads(1, KEYPADS, cats)
    check_keypads = keypads(1001, CHECK, [z])
    token, printer = make_api_token(name="bench printer", scopes=["device"], system_name=f"bench-{stamp}-printer")
    Device.objects.create(center=center, kind="ticket_printer", name="printer", token=token)
print("SETUP " + json.dumps({"center": center.pk, "code": center.code, "categories": [c.pk for c in cats],
                             "z": z.pk, "printer": printer, "keypads": bench_keypads, "check": check_keypads}))
"""

CHECK_SCRIPT = """
import json
from collections import Counter
from django.db.models import Count
from onewindow.centers.models import Ticket, TicketEvent
tickets = list(Ticket.objects.filter(center_id=CENTER, category_id=Z).values_list("date", "number", "display",
                                                                                   "status"))
days = sorted({t[0] for t in tickets})
gaps = 0
for day in days:
    numbers = sorted(t[1] for t in tickets if t[0] == day)
    gaps += (numbers[-1] - len(set(numbers))) if numbers else 0
displays = Counter((t[0], t[2]) for t in tickets)
twice = (TicketEvent.objects.filter(ticket__center_id=CENTER, ticket__category_id=Z, action="call")
         .values("ticket_id").annotate(n=Count("id")).filter(n__gt=1).count())
print("CHECK " + json.dumps({"tickets": len(tickets), "days": [str(d) for d in days],
                             "duplicates": sum(n - 1 for n in displays.values() if n > 1), "gaps": gaps,
                             "called_twice_events": twice,
                             "not_called": sum(1 for t in tickets if t[3] == "waiting")}))
"""


def prepare(env: dict[str, str], postgres: bool, keypads: int, check: int) -> dict[str, Any]:
    VAR.mkdir(parents=True, exist_ok=True)
    if postgres:
        create_postgres_database(env["DATABASE_URL"])
    subprocess.run([str(BIN / "onewindow"), "migrate", "--noinput", "--verbosity", "0"], env=env, check=True,
                   cwd=ROOT)
    create_bench_table(env)
    out = shell(env, f"KEYPADS = {keypads}\nCHECK = {check}\n" + SETUP_SCRIPT)
    return dict(json.loads(out.strip().splitlines()[-1][6:]))


class Conn:
    """One keep-alive connection of a client thread, reopened after a failure."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, float]:
        t0 = time.perf_counter()
        try:
            self.conn.request("POST", path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            status, data = 0, b""
        return status, data, (time.perf_counter() - t0) * 1000

    def close(self) -> None:
        self.conn.close()


def headers_for(bearer: str) -> dict[str, str]:
    return {"Connection": "keep-alive", "Accept": "application/json", "Content-Type": "application/json",
            "Authorization": f"Bearer {bearer}"}


Step = Callable[[int, Conn, list[float], list[int], list[int]], bool]


def drive(port: int, clients: int, max_requests: int, max_seconds: float, step: Step) -> tuple[LoadResult, float]:
    """Run ``step`` in ``clients`` threads until max_requests steps or max_seconds; a step appends the
    latencies it measures and its failed statuses and returns False to stop its client. Returns the
    result of the measured requests and the total requests per second (all requests sent)."""
    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[int] = []
    sent = [0]
    barrier = threading.Barrier(clients + 1)
    deadline = [0.0]

    def worker(index: int) -> None:
        conn = Conn(port)
        mine: list[float] = []
        bad: list[int] = []
        count = [0]
        barrier.wait()
        try:
            while next(counter) < max_requests and time.perf_counter() < deadline[0]:
                if not step(index, conn, mine, bad, count):
                    break
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)
                errors.extend(bad)
                sent[0] += count[0]

    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    started = time.perf_counter()
    deadline[0] = started + max_seconds
    barrier.wait()
    for t in threads:
        t.join(max_seconds + 120)
    elapsed = time.perf_counter() - started
    sys.setswitchinterval(previous)
    if errors:
        log(f"WARNING: {len(errors)} requests failed: {sorted(set(errors))}")
    result = LoadResult(clients=clients, requests=len(latencies), errors=len(errors), seconds=elapsed,
                        latencies_ms=tuple(latencies))
    return result, sent[0] / elapsed if elapsed else 0.0


def take_step(info: dict[str, Any], *, record: list[int] | None = None, category: int | None = None) -> Step:
    headers = headers_for(info["printer"])
    bodies = [json.dumps({"category_id": c}).encode() for c in ([category] if category else info["categories"])]
    turn = itertools.count()

    def step(index: int, conn: Conn, mine: list[float], bad: list[int], count: list[int]) -> bool:
        status, data, ms = conn.post(TAKE, bodies[next(turn) % len(bodies)], headers)
        mine.append(ms)
        count[0] += 1
        if status != 201:
            bad.append(status)
        elif record is not None:
            record.append(json.loads(data)["id"])
        return True

    return step


def call_step(bearers: list[str], *, record: list[int] | None = None, until_empty: bool = False) -> Step:
    """Call the next at the client's own window, then skip it (the window is free again)."""
    heads = [headers_for(b) for b in bearers]

    def step(index: int, conn: Conn, mine: list[float], bad: list[int], count: list[int]) -> bool:
        headers = heads[index]
        status, data, ms = conn.post(CALL, b"{}", headers)
        mine.append(ms)
        count[0] += 1
        if status == 409 and until_empty and json.loads(data).get("code") == "queue_empty":
            return False
        if status != 200:
            bad.append(status)
            return True
        if record is not None:
            record.append(json.loads(data)["id"])
        skipped, _, _ = conn.post(SKIP, b"{}", headers)
        count[0] += 1
        if skipped != 200:
            bad.append(skipped)
        return True

    return step


def correctness(port: int, env: dict[str, str], info: dict[str, Any], clients: int, tickets: int) -> dict[str, Any]:
    taken: list[int] = []
    result, _ = drive(port, clients, tickets, 300, take_step(info, record=taken, category=info["z"]))
    called: list[int] = []
    calls, _ = drive(port, clients, 10 * tickets, 300,
                     call_step(info["check"][:clients], record=called, until_empty=True))
    db = json.loads(shell(env, f"CENTER = {info['center']}\nZ = {info['z']}\n" + CHECK_SCRIPT)
                    .strip().splitlines()[-1][6:])
    return {"clients": clients, "take_answers_201": len(taken), "take_errors": result.errors,
            "tickets_in_database": db["tickets"], "duplicates": db["duplicates"], "gaps": db["gaps"],
            "called": len(called), "called_twice_in_answers": len(called) - len(set(called)),
            "called_twice_events": db["called_twice_events"], "left_waiting": db["not_called"],
            "call_errors": calls.errors, "days": db["days"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help=f"PostgreSQL (database {PG_DATABASE})")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--requests", type=int, default=2000, help="requests per phase (default 2000)")
    parser.add_argument("--seconds", type=float, default=10, help="time limit per phase (default 10 s)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3, as make demo)")
    parser.add_argument("--check-clients", type=int, default=200, help="clients of the correctness line")
    parser.add_argument("--check-tickets", type=int, default=2000, help="tickets of the correctness line")
    args = parser.parse_args(argv)

    env = database_env(args.postgres)
    info = prepare(env, args.postgres, THROUGHPUT_CLIENTS, args.check_clients)
    log(f"center {info['code']}: {THROUGHPUT_CLIENTS} keypads for the load, {args.check_clients} for the check")
    port = free_port()
    log(f"gunicorn on 127.0.0.1:{port}, {args.workers} workers, {'PostgreSQL' if args.postgres else 'SQLite'}")
    server = start_server(env, port, args.workers, 1)
    rounds: list[dict[str, Any]] = []
    try:
        run_load(port, BASE_PATHS, clients=LATENCY_CLIENTS, max_requests=300, max_seconds=5)
        drive(port, LATENCY_CLIENTS, 600, 20, take_step(info))  # warm-up; also fills the queue
        for index in range(args.rounds):
            log(f"round {index + 1} of {args.rounds}")
            one: dict[str, Any] = {}
            for clients in (LATENCY_CLIENTS, THROUGHPUT_CLIENTS):
                one[f"base_{clients}"] = run_load(port, BASE_PATHS, clients=clients, max_requests=args.requests,
                                                  max_seconds=args.seconds)
                one[f"take_{clients}"], _ = drive(port, clients, args.requests, args.seconds, take_step(info))
            for clients in (LATENCY_CLIENTS, THROUGHPUT_CLIENTS):
                one[f"call_{clients}"], one[f"call_rps_{clients}"] = drive(
                    port, clients, args.requests // 2, args.seconds, call_step(info["keypads"]))
            rounds.append(one)
        log(f"correctness line: {args.check_clients} clients, {args.check_tickets} tickets")
        check = correctness(port, env, info, args.check_clients, args.check_tickets)
    finally:
        stop_server(server)
    return report(args, rounds, check)


def report(args: argparse.Namespace, rounds: list[dict[str, Any]], check: dict[str, Any]) -> int:
    med = statistics.median

    def fig(key: str) -> dict[str, float]:
        rs: list[LoadResult] = [r[key] for r in rounds]
        return {"clients": rs[0].clients, "requests": sum(r.requests for r in rs), "errors": sum(r.errors for r in rs),
                "req_per_s": round(med([r.throughput for r in rs]), 1), "p50_ms": round(med([r.p50 for r in rs]), 2),
                "p99_ms": round(med([r.p99 for r in rs]), 2)}

    figures = {key: fig(key) for key in ("base_16", "take_16", "base_64", "take_64", "call_16", "call_64")}
    call_rps_64 = med([r["call_rps_64"] for r in rounds])
    ratios = {
        "take_throughput_ratio_at_64": med([r["take_64"].throughput / r["base_64"].throughput for r in rounds]),
        "take_p99_ratio_at_16": med([r["take_16"].p99 / r["base_16"].p99 for r in rounds]),
        "call_throughput_ratio_at_64": med([r["call_rps_64"] / r["base_64"].throughput for r in rounds]),
        "call_p99_ratio_at_16": med([r["call_16"].p99 / r["base_16"].p99 for r in rounds]),
    }
    database = "PostgreSQL" if args.postgres else "SQLite"
    print()
    print(f"centers ({database}, {args.workers} gunicorn workers, {os.cpu_count()} CPUs): median of {len(rounds)} "
          f"interleaved rounds")
    print(f"{'':<40} {'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    labels = {"base_16": "bare counter+INSERT view", "take_16": "take POST devices/ticket",
              "base_64": "bare counter+INSERT view", "take_64": "take POST devices/ticket",
              "call_16": "call-next POST devices/call-next", "call_64": "call-next POST devices/call-next"}
    for key, label in labels.items():
        f = figures[key]
        print(f"{label:<40} {f['clients']:>7} {f['requests']:>8} {f['errors']:>6} {f['req_per_s']:>9.0f} "
              f"{f['p50_ms']:>8.1f} {f['p99_ms']:>8.1f}")
    verdict = {
        "take_throughput": ratios["take_throughput_ratio_at_64"] >= AIMS["throughput_ratio_at_64"],
        "take_p99": figures["take_16"]["p99_ms"] < AIMS["p99_ms_at_16"],
        "call_throughput": ratios["call_throughput_ratio_at_64"] >= AIMS["throughput_ratio_at_64"],
        "call_p99": figures["call_16"]["p99_ms"] < AIMS["p99_ms_at_16"],
    }

    def met(key: str) -> str:
        return "met" if verdict[key] else "NOT met"

    take64, call64 = figures["take_64"]["req_per_s"], figures["call_64"]["req_per_s"]
    print(f"take throughput at {THROUGHPUT_CLIENTS}: {take64:.0f} tickets/s = "
          f"{ratios['take_throughput_ratio_at_64']:.2f} of the bare view (aim >= 0.5: {met('take_throughput')})")
    print(f"take p99 at {LATENCY_CLIENTS}: {figures['take_16']['p99_ms']:.1f} ms = "
          f"{ratios['take_p99_ratio_at_16']:.2f}x the bare view (aim < 100 ms: {met('take_p99')})")
    print(f"call-next throughput at {THROUGHPUT_CLIENTS}: {call64:.0f} calls/s ({call_rps_64:.0f} keypad requests/s "
          f"with the skips) = {ratios['call_throughput_ratio_at_64']:.2f} of the bare view (aim >= 0.5: "
          f"{met('call_throughput')})")
    print(f"call-next p99 at {LATENCY_CLIENTS}: {figures['call_16']['p99_ms']:.1f} ms = "
          f"{ratios['call_p99_ratio_at_16']:.2f}x the bare view (aim < 100 ms: {met('call_p99')})")
    print(f"correctness at {check['clients']} clients: {check['tickets_in_database']} tickets issued "
          f"({check['take_answers_201']} answers 201, {check['take_errors']} errors), "
          f"duplicates {check['duplicates']}, "
          f"gaps {check['gaps']}, called {check['called']}, called twice {check['called_twice_in_answers']} in the "
          f"answers / {check['called_twice_events']} by the events, left waiting {check['left_waiting']}")
    # One visit = one ticket taken + one call (the other steps are as cheap as a call).
    visit_seconds = 1 / take64 + 1 / call64 if take64 and call64 else float("inf")
    visits_per_second = 1 / visit_seconds
    city_average = SHANGHAI_VISITS_PER_YEAR / OPEN_SECONDS_PER_YEAR
    cities = visits_per_second / city_average
    print(f"cities: one visit costs 1 take + 1 call = {visit_seconds * 1000:.1f} ms of this machine -> "
          f"{visits_per_second:.0f} visits/s; Shanghai's community centers average {city_average:.2f} visits/s over "
          f"250 days x 8 h -> {cities:.0f} such cities, {cities / PEAK_FACTOR:.0f} at a peak hour of "
          f"{PEAK_FACTOR}x the average")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"{stamp}-centers-{'postgres' if args.postgres else 'sqlite'}.json"
    out.write_text(json.dumps({"workers": args.workers, "figures": figures, "call_rps_64": call_rps_64,
                               "ratios": {k: round(v, 3) for k, v in ratios.items()}, "aims_met": verdict,
                               "correctness": check, "cities": round(cities, 1),
                               "cities_at_peak": round(cities / PEAK_FACTOR, 1),
                               "load_average_1min": os.getloadavg()[0]}, indent=2))
    log(f"figures saved to {out.relative_to(ROOT)}")
    bad = (check["duplicates"] or check["gaps"] or check["called_twice_in_answers"] or check["called_twice_events"]
           or check["tickets_in_database"] != check["take_answers_201"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
