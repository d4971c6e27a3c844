"""``python -m bench.polled``: the public polled pages (issue #17) against the bare SELECT view.

A hall of 200 waiting people with their status pages open polls 200 times a second per center. The
bench builds CENTERS centers (each: four categories, six open windows, 200 waiting tickets, 60
served today and a few windows calling) and reads the demo's cases with a query code, then sends,
each beside ``/bench/bare/select`` (one SELECT by primary key) in interleaved rounds (bench.wrk):

1. the ticket status fragment ``/centers/t/<status code>/live/?seen=waiting`` (htmx polling), over
   every waiting ticket of every center in turn; three requests in four carry the ``If-None-Match``
   a polling browser sends after its first load (the ETag that ticket's page answered with, when
   the view gives one), the fourth none (a first load);
2. the waiting board fragment ``/centers/<center>/board/`` with ``HX-Request`` (its polled rows),
   each center in turn, with the same three-in-four ``If-None-Match`` mix;
3. 一码查询 ``POST /api/v1/cases/query`` with a query code and the phone's last four digits, every
   request another case (a valid pair; the failure throttle is counted and given back as usual).

The queue does not change during phases 1–3: a real hall changes its version (a take, a call)
every few seconds, so a share of real polls renders anew: the fourth request without
``If-None-Match`` stands for them. Phases 4 and 5 (``status_moving``, ``board_moving``) send the
lists of 1 and 2 while a mover thread of this process takes, calls and skips tickets through the
device API (``--moves`` steps per second over the centers in turn; each center gets a printer and
two more windows with call keypads for it), beside the bare view as well: every step is a new
queue version, so each worker rebuilds that center's snapshot and board once per step, and the
ETags the lists were made with stop matching after a center's first step — from then on every poll
of that center is a full render (a browser would revalidate with the new ETag it got: this phase
is the harsher case). Aim: each ≥ 0.5 of the bare view's throughput at 64 clients.

Databases: SQLite ``var/bench/polled.sqlite3``; PostgreSQL (``--postgres``) ``onewindow_bench_polled``.

By default every 一码查询 comes from 127.0.0.1, so all of them count on one throttle counter (one row
of the shared cache table, one lock); ``--spread-addresses`` sends each from another address, as
phones on a mobile network would (X-Forwarded-For, 127.0.0.1 made a trusted proxy).

Usage: python -m bench.polled [--postgres] [--rounds 3] [--seconds 8] [--workers 3] [--spread-addresses]
                              [--only status|board|query|status_moving|board_moving] [--moves 3]
                              [--profile var/profiles/polled-after]
                              (--rounds 0 with --profile: the flame graph only)
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from . import profile as spy
from .run import (
    BIN,
    RESULTS,
    ROOT,
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
from .wrk import Req, loadavg, measure_pair, report, run_wrk

PG_DATABASE = "onewindow_bench_polled"
CENTERS = 5
WAITING = 200
AIMS = {"throughput_ratio_at_64": 0.5}
BASE = [Req("/bench/bare/select")]
PATHS = ("status", "board", "query", "status_moving", "board_moving")
MOVING = ("status_moving", "board_moving")
TAKE, CALL, SKIP = "/api/v1/centers/devices/ticket", "/api/v1/centers/devices/call-next", "/api/v1/centers/devices/skip"

MARKER_SCRIPT = """
from django.db import connection
with connection.cursor() as c:
    c.execute("CREATE TABLE IF NOT EXISTS bench_polled_ready (version VARCHAR(40) NOT NULL)")
    c.execute("SELECT 1 FROM bench_polled_ready WHERE version = 'demo-1'")
    print("READY" if c.fetchone() else "MISSING")
"""

DEMO_SCRIPT = """
import importlib, time
from django.db import connection
for name in ("onewindow.core.demo", "onewindow.catalog.demo", "onewindow.accounts.demo"):
    started = time.monotonic()
    importlib.import_module(name).load(progress=lambda n: None, seed=20170929)
    print(name, round(time.monotonic() - started, 1), "s")
started = time.monotonic()
importlib.import_module("onewindow.cases.demo").load(progress=lambda n: None, seed=20170929, size="small")
print("onewindow.cases.demo (small)", round(time.monotonic() - started, 1), "s")
with connection.cursor() as c:
    c.execute("INSERT INTO bench_polled_ready (version) VALUES ('demo-1')")
"""

# Centers made anew for each run (today's queue), open all day, their tickets written in bulk.
SETUP_SCRIPT = """
import datetime, json, random
from django.db import transaction
from django.utils import timezone
from onewindow.accounts.testing import make_api_token
from onewindow.cases.models import Case
from onewindow.centers.models import Center, Device, OpeningHours, Ticket, TicketCategory, TicketEvent, Window
from onewindow.core.models import CalendarDay, Department, NumberCounter, Region

rng = random.SystemRandom()  # new codes on every run (status codes are unique)
alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
stamp = timezone.localtime().strftime("%m%d%H%M%S")
now = timezone.localtime()
today = now.date()
out = {"centers": [], "tickets": [], "movers": []}
with transaction.atomic():
    region, _ = Region.objects.get_or_create(code="310106", defaults={"name": "静安区", "level": "district"})
    dept, _ = Department.objects.get_or_create(code="BENCH-POLLED", defaults={
        "name": "基准测试社区事务受理服务中心", "level": "street", "region": region})
    CalendarDay.objects.update_or_create(date=today, defaults={"is_working_day": True, "name": "基准测试"})
    for k in range(CENTERS):
        center = Center.objects.create(code=f"BP{stamp}{k}", name=f"基准测试中心 {k}", level="street",
                                       region=region, department=dept)
        for weekday in range(7):
            OpeningHours.objects.create(center=center, weekday=weekday, opens=datetime.time(0, 0),
                                        closes=datetime.time(23, 59, 59), last_ticket=datetime.time(23, 59, 59))
        cats = [TicketCategory.objects.create(center=center, prefix=p, name="业务" + p, sort=i)
                for i, p in enumerate("ABCD")]
        windows = []
        for number in range(1, 7):
            window = Window.objects.create(center=center, number=number, state="open")
            window.categories.set(cats if number > 2 else cats[:2])
            windows.append(window)
        tickets = []
        numbers = {c.pk: 0 for c in cats}
        start = now - datetime.timedelta(hours=3)
        for i in range(60 + len(windows) + WAITING):
            cat = cats[i % len(cats)]
            numbers[cat.pk] += 1
            taken = start + datetime.timedelta(seconds=30 * i)
            t = Ticket(center=center, category=cat, date=today, number=numbers[cat.pk],
                       display=f"{cat.prefix}{numbers[cat.pk]:03d}", queue_key=taken, taken_at=taken,
                       status_code="".join(rng.choice(alphabet) for _ in range(10)), source="kiosk")
            if i < 60:
                w = windows[i % len(windows)]
                t.status, t.window = "done", w
                t.called_at = taken + datetime.timedelta(minutes=10)
                t.started_at = t.called_at + datetime.timedelta(minutes=1)
                t.finished_at = t.started_at + datetime.timedelta(minutes=6 + i % 5)
            elif i < 60 + len(windows):
                w = windows[i - 60]
                t.status, t.window, t.called_at = "called", w, now - datetime.timedelta(minutes=i - 60)
            tickets.append(t)
        Ticket.objects.bulk_create(tickets)
        # The gap-free counters where the tickets written in bulk leave them (the mover's takes go on from there).
        NumberCounter.objects.bulk_create([NumberCounter(scope=f"ticket:{center.pk}:{pk}:{today.isoformat()}",
                                                         value=n) for pk, n in numbers.items()])
        events = []
        for t in tickets:
            events.append(TicketEvent(ticket=t, action="take", from_status="", to_status="waiting", at=t.taken_at))
            if t.called_at:
                events.append(TicketEvent(ticket=t, action="call", from_status="waiting", to_status="called",
                                          window=t.window, at=t.called_at))
        TicketEvent.objects.bulk_create(events)
        # The mover's devices (phases status_moving, board_moving): a printer, two more windows with keypads.
        mover = {"categories": [c.pk for c in cats], "keypads": []}
        token, mover["printer"] = make_api_token(name=f"bench printer {center.code}", scopes=["device"],
                                                 system_name=f"bench-{center.code}-printer")
        Device.objects.create(center=center, kind="ticket_printer", name="printer", token=token)
        for number in (7, 8):
            window = Window.objects.create(center=center, number=number, state="open")
            window.categories.set(cats)
            token, bearer = make_api_token(name=f"bench keypad {center.code} {number}", scopes=["device"],
                                           system_name=f"bench-{center.code}-{number}")
            Device.objects.create(center=center, window=window, kind="call_keypad", name=str(number), token=token)
            mover["keypads"].append(bearer)
        out["movers"].append(mover)
        out["centers"].append(center.code)
        out["tickets"] += [t.status_code for t in tickets if t.status == "waiting"]
cases = (Case.objects.exclude(status="draft").exclude(phone_tail="").exclude(query_code="")
         .order_by("id").values_list("query_code", "phone_tail")[:QUERIES])
out["cases"] = [list(c) for c in cases]
print("SETUP " + json.dumps(out))
"""


# ``--cpu N``: CPU time per request in one process (Django's test client, no server), each kind of
# request beside the bare SELECT view in blocks of 50, ``time.process_time()`` per request; then the
# statements of one request of each kind. "new version" clears the per-worker caches (the snapshot and
# the board's rows) before each request, outside the timing: what a poll costs after a queue step.
CPU_SCRIPT = """
import json, time
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
info = json.loads(open(INFO).read())
n = N
client = Client(HTTP_HOST="127.0.0.1")
status = [f"/centers/t/{code}/live/?seen=waiting" for code in info["tickets"]]
boards = [f"/centers/{code}/board/" for code in info["centers"]]
etag = {}
for p in status + boards:
    etag[p] = client.get(p, HTTP_HX_REQUEST="true")["ETag"]
cases = info["cases"]

def kinds():
    yield "bare select", lambda i: client.get("/bench/bare/select"), None
    yield "一码查询 API", lambda i: client.post("/api/v1/cases/query", {"code": cases[i % len(cases)][0],
                                                "phone_tail": cases[i % len(cases)][1]},
                                                content_type="application/json"), None
    yield "status 304", lambda i: client.get(status[i % len(status)],
                                             HTTP_IF_NONE_MATCH=etag[status[i % len(status)]]), None
    yield "status 200", lambda i: client.get(status[i % len(status)]), None
    yield "status 200 new version", lambda i: client.get(status[i % len(status)]), True
    yield "board 304", lambda i: client.get(boards[i % len(boards)], HTTP_HX_REQUEST="true",
                                            HTTP_IF_NONE_MATCH=etag[boards[i % len(boards)]]), None
    yield "board 200", lambda i: client.get(boards[i % len(boards)], HTTP_HX_REQUEST="true"), None
    yield "board 200 new version", lambda i: client.get(boards[i % len(boards)], HTTP_HX_REQUEST="true"), True

todo = list(kinds())
for name, call, fresh in todo:  # warm-up
    for i in range(50):
        call(i)
cpu = {name: 0.0 for name, _, _ in todo}
statements = {}
for start in range(0, n, 50):
    for name, call, fresh in todo:
        for i in range(start, start + 5 if not fresh else start):  # this block's snapshots and boards, untimed
            call(i)
        for i in range(start, start + 50):
            if fresh:
                caches["default"].clear()
            began = time.process_time()
            response = call(i)
            cpu[name] += time.process_time() - began
            assert response.status_code in (200, 304), (name, response.status_code)
for name, call, fresh in todo:
    if fresh:
        caches["default"].clear()
    else:
        call(7)
    with CaptureQueriesContext(connection) as queries:
        call(7)
    statements[name] = len(queries)
print("CPU " + json.dumps({name: {"us": round(1e6 * cpu[name] / n), "statements": statements[name]}
                           for name, _, _ in todo}, ensure_ascii=False))
"""


def cpu_per_request(env: dict[str, str], info: dict[str, Any], n: int) -> dict[str, Any]:
    """``--cpu``: CPU time per request in one process (``CPU_SCRIPT``) of each kind beside the bare view."""
    listing = VAR / "polled-cpu-info.json"
    listing.write_text(json.dumps(info))
    out = django_shell(env, CPU_SCRIPT.replace("INFO", repr(str(listing))).replace("n = N", f"n = {n}", 1))
    return dict(json.loads(out.strip().splitlines()[-1][len("CPU "):]))


def database_env(postgres: bool) -> dict[str, str]:
    return own_database_env(postgres, PG_DATABASE, "polled.sqlite3")


def prepare(env: dict[str, str], postgres: bool, queries: int) -> dict[str, Any]:
    VAR.mkdir(parents=True, exist_ok=True)
    if postgres:
        create_postgres_database(env["DATABASE_URL"])
    subprocess.run([str(BIN / "onewindow"), "migrate", "--noinput", "--verbosity", "0"], env=env, check=True,
                   cwd=ROOT)
    create_bench_table(env)
    if django_shell(env, MARKER_SCRIPT).strip().splitlines()[-1] != "READY":
        log("loading the demo steps (regions, catalog, accounts, the small demo year of cases)")
        print(django_shell(env, DEMO_SCRIPT), end="")
    out = django_shell(env, f"CENTERS = {CENTERS}\nWAITING = {WAITING}\nQUERIES = {queries}\n" + SETUP_SCRIPT)
    return dict(json.loads(out.strip().splitlines()[-1][6:]))


def etag_of(port: int, path: str, headers: dict[str, str]) -> str:
    """The ETag a first load answers with ('' when the view sends none)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"{path} answered {response.status}")
        return response.getheader("ETag") or ""
    finally:
        conn.close()


def polled(port: int, paths: list[str], headers: dict[str, str]) -> list[Req]:
    """Each path once without If-None-Match and three times with its ETag (when there is one),
    the lists interleaved so that consecutive requests are different pages."""
    tags = {p: etag_of(port, p, headers) for p in paths}
    plain = tuple(headers.items())
    rows: list[list[Req]] = [[], [], [], []]
    for p in paths:
        cond = plain + ((("If-None-Match", tags[p]),) if tags[p] else ())
        rows[0].append(Req(p, headers=plain))
        rows[1].append(Req(p, headers=cond))
        rows[2].append(Req(p, headers=cond))
        rows[3].append(Req(p, headers=cond))
    return [r for quad in zip(*rows, strict=True) for r in quad]


def workloads(port: int, info: dict[str, Any], *, spread: bool = False
              ) -> dict[str, tuple[list[Req], tuple[int, ...], int]]:
    status = polled(port, [f"/centers/t/{code}/live/?seen=waiting" for code in info["tickets"]], {})
    board = polled(port, [f"/centers/{code}/board/" for code in info["centers"]], {"HX-Request": "true"})
    query = [Req.json("/api/v1/cases/query", {"code": code, "phone_tail": tail},
                      headers={"X-Forwarded-For": f"10.77.{i // 250}.{i % 250 + 1}"} if spread else None)
             for i, (code, tail) in enumerate(info["cases"])]
    return {"status": (status, (200, 304), len(info["tickets"])),
            "board": (board, (200, 304), len(info["centers"])),
            "query": (query, (200,), len(query)),
            "status_moving": (status, (200, 304), len(info["tickets"])),
            "board_moving": (board, (200, 304), len(info["centers"]))}


NAMES = {"status": "ticket status fragment", "board": "waiting board fragment",
         "query": "一码查询 POST /api/v1/cases/query",
         "status_moving": "ticket status fragment, queue moving",
         "board_moving": "waiting board fragment, queue moving"}


class Mover(threading.Thread):
    """Moves the queue while a phase runs: ``rate`` steps per second through the device API, the centers
    in turn, each center's steps a take (its printer), then a call and a skip at one of its two keypads'
    windows (so the window is free again). Each step writes a TicketEvent: a new queue version."""

    def __init__(self, port: int, movers: list[dict[str, Any]], rate: float) -> None:
        super().__init__(daemon=True)
        self.port, self.movers, self.rate = port, movers, rate
        self.stop = threading.Event()
        self.statuses: Counter[int] = Counter()

    def steps(self) -> Any:
        for n in range(10**9):
            for k, mover in enumerate(self.movers):
                cat = mover["categories"][(n + k) % len(mover["categories"])]
                keypad = mover["keypads"][n % 2]
                yield TAKE, {"category_id": cat}, mover["printer"]
                yield CALL, {}, keypad
                yield SKIP, {}, keypad

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        started = time.monotonic()
        for done, (path, payload, bearer) in enumerate(self.steps(), 1):
            if self.stop.is_set():
                break
            try:
                conn.request("POST", path, body=json.dumps(payload), headers={
                    "Content-Type": "application/json", "Accept": "application/json",
                    "Authorization": f"Bearer {bearer}"})
                response = conn.getresponse()
                response.read()
                self.statuses[response.status] += 1
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.statuses[0] += 1
            self.stop.wait(max(0.0, started + done / self.rate - time.monotonic()))
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--queries", type=int, default=600, help="distinct cases queried (default 600)")
    parser.add_argument("--only", action="append", choices=PATHS)
    parser.add_argument("--spread-addresses", action="store_true",
                        help="一码查询 from a distinct client address each (X-Forwarded-For, 127.0.0.1 a trusted "
                             "proxy): the failure throttle's counter is per address, so one address serialises "
                             "every query on one counter row")
    parser.add_argument("--moves", type=float, default=3.0,
                        help="queue steps per second (take, call, skip; the centers in turn) during the *_moving "
                             "phases (default 3: each of the 5 centers changes every ~1.7 s)")
    parser.add_argument("--cpu", type=int, metavar="N",
                        help="CPU per request in one process (no server), N requests of each kind")
    parser.add_argument("--profile", type=Path, help="record a flame graph of the paths (--only) mixed (out stem)")
    args = parser.parse_args(argv)
    env = database_env(args.postgres)
    if args.spread_addresses:
        env["TRUSTED_PROXIES"] = "127.0.0.1"
    info = prepare(env, args.postgres, args.queries)
    log(f"{len(info['centers'])} centers, {len(info['tickets'])} waiting tickets, {len(info['cases'])} query codes")
    if args.cpu:
        log(f"CPU per request, one process, {args.cpu} of each; {datetime.datetime.now(datetime.UTC):%H:%M} UTC, "
            f"load average {loadavg()}")
        for name, figures in cpu_per_request(env, info, args.cpu).items():
            print(f"{name:28} {figures['us']:>7,} µs  {figures['statements']} statements")
        return 0
    port = free_port()
    server = start_server(env, port, args.workers, 1)
    log(f"gunicorn on 127.0.0.1:{port}, {args.workers} workers, {'PostgreSQL' if args.postgres else 'SQLite'}; "
        f"{datetime.datetime.now(datetime.UTC):%H:%M} UTC, load average {loadavg()}")
    results = []
    try:
        loads = workloads(port, info, spread=args.spread_addresses)
        if args.profile:  # the chosen paths (--only) mixed, request by request
            lists = [loads[key][0] for key in args.only or PATHS]
            longest = max(len(reqs) for reqs in lists)
            mixed = [reqs[i % len(reqs)] for i in range(longest) for reqs in lists]
            recorders = spy.start(server.pid, 12, args.profile)
            time.sleep(1)
            run_wrk(port, mixed, 64, 10, expected=(200, 304))
            spy.finish(recorders)
            print(spy.top_costs(args.profile.with_suffix(".txt"), 30))
        for key in (args.only or PATHS) if args.rounds > 0 else ():  # --rounds 0: the profile only
            reqs, expected, distinct = loads[key]
            log(f"measuring the {NAMES[key]} against the bare select view")
            mover = Mover(port, info["movers"], args.moves) if key in MOVING else None
            if mover is not None:
                mover.start()
                log(f"the queue moves: {args.moves:g} steps/s over {len(info['movers'])} centers")
            try:
                rounds = measure_pair(port, BASE, reqs, rounds=args.rounds, seconds=args.seconds, warm_seconds=2,
                                      expected=expected)
            finally:
                if mover is not None:
                    mover.stop.set()
                    mover.join()
            results.append(report(NAMES[key], "select", rounds, AIMS, distinct=distinct))
            if mover is not None:
                steps = sum(mover.statuses.values())
                log(f"queue steps during the phase: {steps} ({dict(sorted(mover.statuses.items()))} by status)")
                results[-1]["queue_steps"] = {"per_second": args.moves, "sent": steps,
                                              "statuses": {str(k): v for k, v in mover.statuses.items()}}
    finally:
        stop_server(server)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"{stamp}-polled-{'postgres' if args.postgres else 'sqlite'}.json"
    out.write_text(json.dumps({"workers": args.workers, "database": "postgresql" if args.postgres else "sqlite",
                               "loadavg": loadavg(), "results": results}, indent=2, ensure_ascii=False))
    log(f"figures saved to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
