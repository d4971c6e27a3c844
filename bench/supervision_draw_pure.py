"""``python -m bench.supervision_draw_pure``: the pure 双随机 draw (issue #12 part 3), in process.

No database: a synthetic pool of N credit-code-like strings (sorted, as the freeze query returns
them) in strata A/B/C/D/- and a roster of 150 officers. Prints, as medians over R rounds:

- building the frozen pool (canonicalise, sort check, duplicate check) and its digest;
- the digest alone over the pool text (the baseline: one SHA-256 over the same bytes);
- the selection: 1,000 entities with 2 officers each (entities, officer walks, selection digest).

Each figure is printed as wall time and as CPU time (``process_time``): on a shared machine the
wall time grows with the load, the CPU time much less. Garbage is collected before each timed
phase (timeit turns the collector off for the same reason): the million row tuples this script
keeps alive make a full collection that lands inside the selection cost ~100 ms; the frozen pool
itself holds only lists of strings.

Aims (issue #12): selection far under 100 ms; freezing 1M entities well under 2 s.
Usage: python -m bench.supervision_draw_pure [--count N] [--select K] [--rounds R]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import random
import statistics
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.config.settings.test")

import django

django.setup()

from onewindow.supervision import draw  # noqa: E402

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def synthetic_pool(count: int) -> list[tuple[str, str, str]]:
    rng = random.Random(12)
    codes = sorted({"91310" + "".join(rng.choices(ALPHABET, k=13)) for _ in range(count)})
    while len(codes) < count:  # collisions are rare; top up
        codes = sorted(set(codes) | {"91310" + "".join(rng.choices(ALPHABET, k=13))})
    grades = rng.choices("ABCD-", weights=[40, 30, 15, 5, 10], k=len(codes))
    return [
        (c, g, f"3101{rng.randrange(1, 17):02d}{rng.randrange(1, 15):03d}") for c, g in zip(codes, grades, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--select", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rows = synthetic_pool(args.count)
    roster = draw.Roster(
        (f"31{i:06d}", "SCJ", ("*",) if i % 3 else (f"3101{i % 16 + 1:02d}",), ("registration",)) for i in range(150)
    )
    share = {"A": 0.2, "B": 0.3, "C": 0.3, "D": 0.1, "-": 0.1}
    quotas = {s: int(args.select * r) for s, r in share.items()}
    conflicts = {(f"31{i:06d}", rows[i * 997][0]) for i in range(150)}
    plan = draw.Plan(
        quotas=quotas, departments=["SCJ"], secret_commitment=draw.commit_secret("bench"), conflicts=conflicts
    )
    names = ("build", "digest", "group", "check", "bare", "select")
    timings: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}

    def timed(name: str, fn: Any) -> Any:
        start, start_cpu = time.perf_counter(), time.process_time()
        value = fn()
        timings[name].append(time.perf_counter() - start)
        cpu[name].append(time.process_time() - start_cpu)
        return value

    for round_ in range(args.rounds):
        gc.collect()
        pool = timed("build", lambda: draw.Pool(rows))
        timed("digest", lambda: pool.digest)  # noqa: B023
        timed("group", lambda: pool.members)  # noqa: B023
        timed("check", lambda: draw.check_feasible(pool, roster, plan))  # noqa: B023
        text = pool.text().encode()
        timed("bare", lambda: hashlib.sha256(text).hexdigest())  # noqa: B023
        inputs = draw.DrawInputs(pool, roster, plan, f"lottery {round_}", "bench")
        inputs.seed  # noqa: B018
        gc.collect()
        result = timed("select", lambda: draw.draw(inputs))  # noqa: B023
    ms = {name: statistics.median(values) * 1000 for name, values in timings.items()}
    cpu_ms = {name: statistics.median(values) * 1000 for name, values in cpu.items()}
    freeze = ms["build"] + ms["digest"] + ms["group"]
    print(
        f"pool {len(pool):,} entities, roster {len(roster)} officers, {len(result.selection)} selected, "
        f"{len(result.assignments)} officers, {len(result.skips)} skips; medians of {args.rounds} rounds, ms"
    )
    build, digest, group, bare = ms["build"], ms["digest"], ms["group"], ms["bare"]
    print(f"freeze: build {build:.0f} + digest {digest:.0f} + group {group:.0f} = {freeze:.0f}  (aim < 2000)")
    print(f"digest {digest:.0f} vs bare SHA-256 of the same text {bare:.0f} (ratio {digest / bare:.1f}x)")
    print(f"feasibility check at freeze: {ms['check']:.0f}")
    print(
        "CPU time (process_time, less sensitive to a loaded machine): "
        + ", ".join(f"{k} {v:.1f}" for k, v in cpu_ms.items())
    )
    print(f"selection (entities + officers + selection digest): {ms['select']:.1f}  (aim < 100)")


if __name__ == "__main__":
    main()
