"""``python -m bench.cases --only submit --cpu N``: the CPU time per case submission in one process (issue #17).

No server and no wrk: Django's test client in one process against the bench database (``bench.cases``'
SQLite file or, with ``--postgres``, ``onewindow_bench_cases``), ``time.process_time()`` around N requests —
first N submissions through ``POST /api/v1/cases/`` (the citizen's bearer token, the bench's bodies, a new
``Idempotency-Key`` each), then N through the bare same-writes view (``/bench/bare/cases/submit``), for each
of ``--rounds`` rounds. The other processes of a shared machine move this figure much less than they move
wrk's ratios. ``--cprofile`` adds the top functions (cumulative) of a cProfile of the API requests, and the
statements each submission runs (inside and outside its transaction) are counted on one extra request.
"""

from __future__ import annotations

import json
from typing import Any

from .run import ROOT

CPU_VAR = ROOT / "var" / "bench"

CPU_SCRIPT = """
import cProfile, io, json, pstats, time
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION="Bearer " + TOKEN)
seq = [0]
def one(path, body):
    seq[0] += 1
    response = client.post(path, data=json.dumps(body, ensure_ascii=False), content_type="application/json",
                           headers={"Idempotency-Key": f"{STAMP}-{path[-6:]}-{seq[0]}"})
    if response.status_code != 201:
        raise SystemExit(f"{path}: {response.status_code} {response.content[:300]!r}")
for body in BODIES[:10]:
    one("/api/v1/cases/", body)
    one("/bench/bare/cases/submit", body)
with CaptureQueriesContext(connection) as queries:
    one("/api/v1/cases/", BODIES[11])
sqls = [q["sql"] for q in queries.captured_queries]
opened = [i for i, s in enumerate(sqls) if s.startswith(("SAVEPOINT", "BEGIN"))]
closed = [i for i, s in enumerate(sqls) if s.startswith(("RELEASE SAVEPOINT", "COMMIT"))]
inside = (closed[-1] - opened[0] - 1) if opened and closed else 0
out = {"statements": len(sqls), "inside": inside, "sql": [s[:110] for s in sqls], "rounds": []}
profiler = cProfile.Profile() if PROFILE else None
for r in range(ROUNDS):
    chunk = BODIES[(r * N) % len(BODIES):][:N]
    if profiler:
        profiler.enable()
    t = time.process_time()
    for body in chunk:
        one("/api/v1/cases/", body)
    api = (time.process_time() - t) / len(chunk)
    if profiler:
        profiler.disable()
    t = time.process_time()
    for body in chunk:
        one("/bench/bare/cases/submit", body)
    bare = (time.process_time() - t) / len(chunk)
    out["rounds"].append({"api_ms": round(api * 1000, 2), "bare_ms": round(bare * 1000, 2),
                          "ratio": round(bare / api, 3)})
if profiler:
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats(SORT).print_stats(TOP)
    print(text.getvalue())
print("CPU " + json.dumps(out))
"""


def cpu_per_submission(env: dict[str, str], shell: Any, token: str, bodies: list[dict[str, Any]], stamp: str, *,
                       n: int, rounds: int, cprofile: bool, sort: str = "cumulative", top: int = 60) -> dict[str, Any]:
    """CPU time per API submission and per bare submission in one process (``CPU_SCRIPT``)."""
    listed = CPU_VAR / "submit-cpu-bodies.json"
    listed.parent.mkdir(parents=True, exist_ok=True)
    listed.write_text(json.dumps(bodies, ensure_ascii=False))
    script = (f"import json, pathlib\nBODIES = json.loads(pathlib.Path({str(listed)!r}).read_text())\n"
              f"TOKEN = {token!r}\nSTAMP = {stamp!r}\nN = {n}\nROUNDS = {rounds}\nPROFILE = {cprofile}\n"
              f"SORT = {sort!r}\nTOP = {top}\n" + CPU_SCRIPT)
    lines = shell(env, script).strip().splitlines()
    if cprofile:
        print("\n".join(lines[:-1]))
    return dict(json.loads(lines[-1][len("CPU "):]))
