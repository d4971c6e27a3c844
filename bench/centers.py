"""``python -m bench.centers``: the hall's two hot writes (issues #4 and #17) through the device API, each
beside a bare view that makes the same writes in raw SQL in one transaction (centers/bench_urls.py).

1. Take a ticket: ``POST /api/v1/centers/devices/ticket`` by PRINTERS ticket printers (a printer's take
   limit is per device, so the load comes from many), the four categories A–D in turn — the gap-free
   number, the ticket, its event, the audit entry, the printout's people-ahead and wait estimate —
   against ``/bench/bare/centers/take`` (counter upsert, ticket, event, audit; four categories of its own).
2. Call the next: ``POST devices/call-next`` by KEYPADS call keypads, one window each, and ``POST
   devices/skip`` of the ticket called (so the window is free again): the request list is pairs, each
   keypad's call then its skip, keypad after keypad; wrk sends a pair on one connection, the skip after the
   call's answer (bench.wrk's units of 2: one wrk thread per connection), and at any moment its connections
   hold different keypads (16 and 64 divide KEYPADS); a pair that wrk's stop cut in two is finished before
   the next phase, so every phase starts with every window free. The figures count both requests. Against
   ``/bench/bare/centers/call`` and ``/skip`` (the claim, event and audit of each) on windows of their own,
   in the same pairs. Before the calls, each side's queue is topped up (:func:`top_up`) so that it cannot
   run dry. Both measured with wrk (bench/wrk.py: Lua, C, far cheaper than the server), interleaved with
   their bare view in each round: latency at 16 connections, throughput at 64.
3. Correctness at 200 clients (its own Python client, as before): 200 clients take tickets of one category
   at once, then 200 keypads (200 windows) call and skip until the queue is empty. Counted in the
   database: tickets issued (= 201 answers), duplicates (must be 0), gaps in the numbers (must be 0),
   tickets called twice (must be 0; call events per ticket, and ticket ids in the 200 answers).

Aims (issue #17): throughput ≥ 0.5 of the same-writes bare view; p99 < 100 ms at 16 clients. The city
line: Shanghai's community centers serve over 10 million visits a year (one ticket and one call each);
at the measured rates one machine carries that many visits this many times over, counting only opening
hours (250 working days × 8 hours) and a peak hour 3 times the day's average.

The center is created anew for each run ("BENCH-<time>"), open every day 00:00–23:59:59, with
CalendarDay rows making the bench days working days. SQLite: ``var/bench/centers.sqlite3``;
PostgreSQL (``--postgres``): the database ``onewindow_bench_centers`` on the server of DATABASE_URL.

Usage: python -m bench.centers [--postgres] [--rounds R] [--seconds T] [--workers W]
                               [--check-clients 200] [--check-tickets 2000] [--profile NAME]
(``--profile NAME``: py-spy flame graphs of the workers during one extra 64-connection phase of each path,
docs/profiles/NAME-take.svg and NAME-call.svg; the collapsed stacks go to var/bench/.)
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from . import profile as pyspy
from .load import LoadResult
from .run import (
    BIN,
    RESULTS,
    ROOT,
    VAR,
    create_postgres_database,
    django_shell,
    free_port,
    log,
    own_database_env,
    start_server,
    stop_server,
)
from .wrk import LATENCY_CLIENTS, THROUGHPUT_CLIENTS, Req, loadavg, measure_pair, run_wrk, settle
from .wrk import report as wrk_report

PG_DATABASE = "onewindow_bench_centers"
AIMS = {"throughput_ratio_at_64": 0.5, "p99_ms_at_16": 100.0}
SHANGHAI_VISITS_PER_YEAR = 10_000_000
OPEN_SECONDS_PER_YEAR = 250 * 8 * 3600
PEAK_FACTOR = 3
PRINTERS = 600  # 60 tickets per printer per 10 minutes (CENTERS_TAKE_LIMITS): many printers carry the load
KEYPADS = 256  # a multiple of both connection counts: a phase's connections never share a keypad
#: A call + skip pair costs more than a take on both sides (API: 9 + 7 statements against 10; bare view: 6
#: writes against 4), so a side calls at most as fast as it took at the same load. The queue is topped up to
#: this many times the side's fastest take rate over the call phases' seconds: room for the load to halve.
QUEUE_MARGIN = 2
WARM_SECONDS = 3
TAKE = "/api/v1/centers/devices/ticket"
CALL = "/api/v1/centers/devices/call-next"
SKIP = "/api/v1/centers/devices/skip"
PROFILES = ROOT / "docs" / "profiles"


def database_env(postgres: bool) -> dict[str, str]:
    return own_database_env(postgres, PG_DATABASE, "centers.sqlite3")


def shell(env: dict[str, str], script: str) -> str:
    return django_shell(env, script)


SETUP_SCRIPT = """
import datetime, json
from django.db import transaction
from django.utils import timezone
from onewindow.accounts.testing import make_api_token
from onewindow.centers.models import Center, Device, OpeningHours, TicketCategory, Window
from onewindow.core.models import CalendarDay, Department, Region

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
    bare = [TicketCategory.objects.create(center=center, prefix=p, name="裸视图" + p, sort=10 + i)
            for i, p in enumerate("WXYV")]
    z = TicketCategory.objects.create(center=center, prefix="Z", name="正确性检查", sort=9)
    def windows(first, count, categories):
        made = []
        for number in range(first, first + count):
            window = Window.objects.create(center=center, number=number, state="open")
            window.categories.set(categories)
            made.append(window)
        return made
    def keypads(first, count, categories):
        bearers = []
        for window in windows(first, count, categories):
            token, bearer = make_api_token(name=f"bench keypad {window.number}", scopes=["device"],
                                           system_name=f"bench-{stamp}-{window.number}")
            Device.objects.create(center=center, window=window, kind="call_keypad", name=f"{window.number}",
                                  token=token)
            bearers.append(bearer)
        return bearers
    def printers(first, count):
        made = []
        for number in range(first, first + count):
            token, bearer = make_api_token(name=f"bench printer {number}", scopes=["device"],
                                           system_name=f"bench-{stamp}-printer-{number}")
            device = Device.objects.create(center=center, kind="ticket_printer", name=f"printer {number}",
                                           token=token)
            made.append([device.pk, bearer])
        return made
    bench_keypads = keypads(1, KEYPADS, cats)
    bare_windows = [w.pk for w in windows(501, KEYPADS, bare)]
    check_keypads = keypads(1001, CHECK, [z])
    bench_printers = printers(1, PRINTERS)
    check_printers = [b for _, b in printers(1001, CHECK)]
print("SETUP " + json.dumps({"center": center.pk, "code": center.code, "categories": [c.pk for c in cats],
                             "bare_categories": [[c.pk, c.prefix] for c in bare], "bare_windows": bare_windows,
                             "z": z.pk, "printers": bench_printers, "keypads": bench_keypads,
                             "check": check_keypads, "check_printers": check_printers}))
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


CPU_SCRIPT = """
import json, time
from django.test import Client
client = Client(SERVER_NAME="localhost")
info = INFO
def run(reqs):
    statuses = {}
    t0 = time.process_time()
    for path, headers in reqs:
        status = client.post(path, data=b"{}" if "body" not in headers else headers["body"],
                             content_type="application/json",
                             **{k: v for k, v in headers.items() if k != "body"}).status_code
        statuses[status] = statuses.get(status, 0) + 1
    return (time.process_time() - t0) * 1000 / len(reqs), statuses
center = info["center"]
takes, bare_takes = [], []
for n in range(N):
    device, token = info["printers"][n % len(info["printers"])]
    cat = info["categories"][n % 4]
    takes.append(("TAKE", {"HTTP_AUTHORIZATION": "Bearer " + token, "body": json.dumps({"category_id": cat})}))
    bcat, prefix = info["bare_categories"][n % 4]
    bare_takes.append((f"/bench/bare/centers/take?center={center}&c={bcat}&p={prefix}&d={device}", {}))
calls, bare_calls = [], []
cats = ",".join(str(c) for c, _ in info["bare_categories"])
keypads = info["keypads"][:N // 2]
windows = info["bare_windows"][:N // 2]
calls = [("CALL", {"HTTP_AUTHORIZATION": "Bearer " + k}) for k in keypads]
calls += [("SKIP", {"HTTP_AUTHORIZATION": "Bearer " + k}) for k in keypads]
bare_calls = [(f"/bench/bare/centers/call?center={center}&w={w}&d={w}&cats={cats}", {}) for w in windows]
bare_calls += [(f"/bench/bare/centers/skip?w={w}&d={w}", {}) for w in windows]
fix = {"TAKE": TAKE, "CALL": CALL, "SKIP": SKIP}
takes = [(fix[p], h) for p, h in takes]
calls = [(fix[p], h) for p, h in calls]
out = {}
for name, api, bare in (("take", takes, bare_takes), ("call+skip", calls, bare_calls)):
    # the first 8 of each warm up (imports, URL resolver), the rest are measured; all distinct requests
    run(api[:8])
    run(bare[:8])
    a_ms, a_st = run(api[8:])
    b_ms, b_st = run(bare[8:])
    out[name] = {"api_ms": round(a_ms, 2), "bare_ms": round(b_ms, 2), "ratio": round(b_ms / a_ms, 2),
                 "api_status": a_st, "bare_status": b_st}
print("CPU " + json.dumps(out))
"""


def cpu(env: dict[str, str], info: dict[str, Any], n: int) -> dict[str, Any]:
    """CPU per request in one process (Django's test Client, time.process_time), the path against its bare
    view over n distinct requests each: on a shared machine the wall-clock ratios are noisy, CPU is not."""
    head = f"INFO = {json.dumps(info)}\nN = {n}\nTAKE = {TAKE!r}\nCALL = {CALL!r}\nSKIP = {SKIP!r}\n"
    return dict(json.loads(shell(env, head + CPU_SCRIPT).strip().splitlines()[-1][4:]))


def prepare(env: dict[str, str], postgres: bool, check: int) -> dict[str, Any]:
    VAR.mkdir(parents=True, exist_ok=True)
    if postgres:
        create_postgres_database(env["DATABASE_URL"])
    subprocess.run([str(BIN / "onewindow"), "migrate", "--noinput", "--verbosity", "0"], env=env, check=True,
                   cwd=ROOT)
    out = shell(env, f"KEYPADS = {KEYPADS}\nPRINTERS = {PRINTERS}\nCHECK = {check}\n" + SETUP_SCRIPT)
    return dict(json.loads(out.strip().splitlines()[-1][6:]))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def take_lists(info: dict[str, Any]) -> tuple[list[Req], list[Req]]:
    """The API's takes (printer i, category i % 4) and the bare view's (the same printer ids, its own
    four categories), PRINTERS × 4 distinct requests each."""
    center = info["center"]
    api, bare = [], []
    for n in range(PRINTERS * 4):
        device, token = info["printers"][n % PRINTERS]
        api.append(Req.json(TAKE, {"category_id": info["categories"][(n // PRINTERS + n) % 4]}, headers=bearer(token)))
        category, prefix = info["bare_categories"][(n // PRINTERS + n) % 4]
        bare.append(Req(f"/bench/bare/centers/take?center={center}&c={category}&p={prefix}&d={device}", "POST"))
    return bare, api


#: Units of the call lists: a keypad's call, then its skip (bench.wrk sends them in order on one connection).
CALL_UNIT = 2


def call_lists(info: dict[str, Any], cycles: int = 20) -> tuple[list[Req], list[Req]]:
    """Pairs: keypad k's call, then its skip of the ticket called, keypad after keypad, ``cycles`` times
    over (each call claims a different ticket: the list does not repeat a request's effect). Pair *j* is
    keypad ``j % KEYPADS``: wrk's thread *t* of *T* sends pairs ≡ t + offset (mod T), so with *T* dividing
    KEYPADS no two connections ever hold the same keypad."""
    if any(len(info["keypads"]) % clients for clients in (LATENCY_CLIENTS, THROUGHPUT_CLIENTS)):
        raise ValueError(f"{len(info['keypads'])} keypads: not a multiple of {LATENCY_CLIENTS} and "
                         f"{THROUGHPUT_CLIENTS} connections")
    center = info["center"]
    cats = ",".join(str(c) for c, _ in info["bare_categories"])
    api, bare = [], []
    for _ in range(cycles):
        for k in info["keypads"]:
            api += [Req.json(CALL, {}, headers=bearer(k)), Req.json(SKIP, {}, headers=bearer(k))]
        for w in info["bare_windows"]:
            bare += [Req(f"/bench/bare/centers/call?center={center}&w={w}&d={w}&cats={cats}", "POST"),
                     Req(f"/bench/bare/centers/skip?w={w}&d={w}", "POST")]
    return bare, api


TOP_UP_SCRIPT = """
import datetime, json
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from onewindow.centers.models import Ticket, TicketCategory
from onewindow.centers.services.queue import CODE_ALPHABET
from onewindow.core.codes import random_code
from onewindow.core.models import NumberCounter

now = timezone.now()
day = timezone.localdate(now)
added = {}
for side, categories in SIDES.items():
    waiting = Ticket.objects.filter(center_id=CENTER, date=day, status="waiting", category_id__in=categories).count()
    missing = max(0, NEED[side] - waiting)
    share = -(-missing // len(categories))
    with transaction.atomic():
        for index, category in enumerate(TicketCategory.objects.filter(pk__in=categories).order_by("pk")):
            scope = f"ticket:{CENTER}:{category.pk}:{day.isoformat()}"
            counter, _ = NumberCounter.objects.select_for_update().get_or_create(scope=scope)
            first = counter.value + 1
            NumberCounter.objects.filter(pk=counter.pk).update(value=F("value") + share)
            # After every ticket taken so far (queue_key later than now): the calls reach them last.
            Ticket.objects.bulk_create([
                Ticket(center_id=CENTER, category=category, date=day, number=number,
                       display=f"{category.prefix}{number:03d}", status="waiting", priority="normal",
                       source="device", queue_key=now + datetime.timedelta(microseconds=number * 8 + index),
                       status_code=random_code(CODE_ALPHABET, 10), taken_at=now)
                for number in range(first, first + share)], batch_size=2000)
    added[side] = {"waiting": waiting, "added": share * len(categories)}
print("TOPUP " + json.dumps(added))
"""


def call_seconds(rounds: int, seconds: float, warm_seconds: float, profile: bool) -> float:
    """The seconds of the call phases of one side (wrk rounds a phase to whole seconds, at least 1)."""
    def phase(s: float) -> int:
        return max(1, round(s))
    return phase(warm_seconds) + rounds * 2 * phase(seconds) + (phase(seconds) if profile else 0)


def queue_need(take_rounds: list[dict[str, Any]], side: str, seconds: float) -> int:
    """The waiting tickets a side's calls may use over ``seconds``: QUEUE_MARGIN × its fastest take rate."""
    fastest = max(r[f"{side}_{phase}"]["req_per_s"] for r in take_rounds for phase in ("latency", "throughput"))
    return int(QUEUE_MARGIN * fastest * seconds) + 1


def top_up(env: dict[str, str], info: dict[str, Any], need: dict[str, int]) -> dict[str, Any]:
    """Waiting tickets added to each side's categories (after every ticket taken) up to ``need``."""
    sides = {"api": info["categories"], "bare": [c for c, _ in info["bare_categories"]]}
    head = f"CENTER = {info['center']}\nSIDES = {json.dumps(sides)}\nNEED = {json.dumps(need)}\n"
    return dict(json.loads(shell(env, head + TOP_UP_SCRIPT).strip().splitlines()[-1][6:]))


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


def take_step(printers: list[str], category: int, *, record: list[int] | None = None) -> Step:
    """Take a ticket of ``category``; client *i* uses printer *i* (a printer's take limit is per device)."""
    heads = [headers_for(p) for p in printers]
    body = json.dumps({"category_id": category}).encode()

    def step(index: int, conn: Conn, mine: list[float], bad: list[int], count: list[int]) -> bool:
        status, data, ms = conn.post(TAKE, body, heads[index % len(heads)])
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
    result, _ = drive(port, clients, tickets, 300, take_step(info["check_printers"], info["z"], record=taken))
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


def profile_phase(server_pid: int, port: int, reqs: list[Req], out: str, seconds: float, offset: int,
                  expected: tuple[int, ...], *, group: int = 1) -> str:
    """One extra 64-connection phase under py-spy: the SVG to docs/profiles/, the stacks to var/bench/."""
    stacks = VAR / f"{out}.txt"
    recorders = pyspy.start(server_pid, seconds, VAR / out)
    run_wrk(port, reqs, THROUGHPUT_CLIENTS, seconds, offset=offset, expected=expected, group=group)
    pyspy.finish(recorders, timeout=seconds + 60)
    PROFILES.mkdir(parents=True, exist_ok=True)
    (VAR / f"{out}.svg").replace(PROFILES / f"{out}.svg")
    top = pyspy.top_costs(stacks, 30)
    log(f"profile {out}: docs/profiles/{out}.svg, stacks {stacks.relative_to(ROOT)}\n{top}")
    return top


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help=f"PostgreSQL (database {PG_DATABASE})")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--seconds", type=float, default=10, help="seconds per phase (default 10)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3, as make demo)")
    parser.add_argument("--check-clients", type=int, default=200, help="clients of the correctness line")
    parser.add_argument("--check-tickets", type=int, default=2000, help="tickets of the correctness line")
    parser.add_argument("--profile", metavar="NAME", help="flame graphs docs/profiles/NAME-take.svg, NAME-call.svg")
    parser.add_argument("--skip-check", action="store_true", help="leave out the 200-client correctness line")
    parser.add_argument("--cpu", type=int, metavar="N", help="only CPU per request in one process, N requests each")
    args = parser.parse_args(argv)

    env = database_env(args.postgres)
    info = prepare(env, args.postgres, args.check_clients)
    if args.cpu:
        print(json.dumps({"load_average": loadavg(), **cpu(env, info, args.cpu)}, indent=2))
        return 0
    log(f"center {info['code']}: {PRINTERS} printers and {KEYPADS} keypads for the load, {args.check_clients} of "
        "each for the check")
    port = free_port()
    database = "PostgreSQL" if args.postgres else "SQLite"
    log(f"gunicorn on 127.0.0.1:{port}, {args.workers} workers, {database}, load average {loadavg()}")
    server = start_server(env, port, args.workers, 1)
    started = datetime.datetime.now(datetime.UTC)
    check: dict[str, Any] = {}
    try:
        bare_take, api_take = take_lists(info)
        take_rounds = measure_pair(port, bare_take, api_take, rounds=args.rounds, seconds=args.seconds,
                                   expected=(201,), base_expected=(201,))
        bare_call, api_call = call_lists(info)
        seconds = call_seconds(args.rounds, args.seconds, WARM_SECONDS, bool(args.profile))
        queue = top_up(env, info, {"api": queue_need(take_rounds, "bench", seconds),
                                   "bare": queue_need(take_rounds, "base", seconds)})
        log(f"queues for {seconds:.0f} s of calls a side: " + ", ".join(
            f"{side} {q['waiting']} waiting + {q['added']} added" for side, q in queue.items()))
        call_rounds = measure_pair(port, bare_call, api_call, rounds=args.rounds, seconds=args.seconds,
                                   warm_seconds=WARM_SECONDS, group=CALL_UNIT)
        if args.profile:
            profile_phase(server.pid, port, api_take, f"{args.profile}-take", args.seconds, len(api_take) // 2,
                          (201,))
            # The pairs the last measured phase cut in two (the take's profile phase let the server finish them).
            settle(port, api_call, call_rounds[-1]["bench_throughput"]["owed"])
            profile_phase(server.pid, port, api_call, f"{args.profile}-call", args.seconds,
                          (len(api_call) // (4 * KEYPADS)) * 2 * KEYPADS, (200,), group=CALL_UNIT)
        if not args.skip_check:
            log(f"correctness line: {args.check_clients} clients, {args.check_tickets} tickets")
            check = correctness(port, env, info, args.check_clients, args.check_tickets)
    finally:
        stop_server(server)
    return report(args, database, started, take_rounds, call_rounds, check)


def report(args: argparse.Namespace, database: str, started: datetime.datetime, take_rounds: list[dict[str, Any]],
           call_rounds: list[dict[str, Any]], check: dict[str, Any]) -> int:
    print(f"\ncenters ({database}, {args.workers} gunicorn workers, {os.cpu_count()} CPUs, started "
          f"{started:%Y-%m-%d %H:%M} UTC, load average now {loadavg()})")
    take = wrk_report("take POST devices/ticket", "same-writes take", take_rounds, AIMS, distinct=PRINTERS * 4)
    call = wrk_report("call-next + skip POST devices/call-next|skip", "same-writes call+skip", call_rounds, AIMS,
                      distinct=2 * KEYPADS)
    take64 = take["figures"]["bench_throughput"]["req_per_s"]
    calls64 = call["figures"]["bench_throughput"]["req_per_s"] / 2  # every other request is the skip
    print(f"\ncall-next throughput at {THROUGHPUT_CLIENTS}: {calls64:.0f} calls/s (half the keypad requests)")
    bad = 0
    if check:
        print(f"correctness at {check['clients']} clients: {check['tickets_in_database']} tickets issued "
              f"({check['take_answers_201']} answers 201, {check['take_errors']} errors), "
              f"duplicates {check['duplicates']}, gaps {check['gaps']}, called {check['called']}, called twice "
              f"{check['called_twice_in_answers']} in the answers / {check['called_twice_events']} by the events, "
              f"left waiting {check['left_waiting']}")
        bad = int(bool(check["duplicates"] or check["gaps"] or check["called_twice_in_answers"]
                       or check["called_twice_events"] or check["tickets_in_database"] != check["take_answers_201"]))
    # One visit = one ticket taken + one call (the other steps are as cheap as a call).
    visit_seconds = 1 / take64 + 1 / calls64 if take64 and calls64 else float("inf")
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
    out.write_text(json.dumps({"workers": args.workers, "client": "wrk", "started_utc": started.isoformat(),
                               "take": take, "call": call, "correctness": check, "cities": round(cities, 1),
                               "cities_at_peak": round(cities / PEAK_FACTOR, 1), "load_average": loadavg()},
                              indent=2, default=str))
    log(f"figures saved to {out.relative_to(ROOT)}")
    return bad


if __name__ == "__main__":
    sys.exit(main())
