"""``python -m bench.aims``: issue #17's aims beside the newest measurement of each, as one Markdown table.

Reads the newest JSON result per bench and database in ``bench/results/`` (the files the benches write,
``<YYYYmmdd-HHMMSS>-<bench>-<sqlite|postgres>.json``) and prints, per path: the aim, the SQLite and the
PostgreSQL measurement (throughput ratio at 64 clients to the bare view, with both rates and the
ratio of each round; p99 at 16 beside the bare view's p99), met / not met, when each run was made, the load
average its file recorded, and the command. A path with no result prints "not run". A file that does not
hold the path (``bench.cases --only inbox``, ``bench.polled --only board``) is passed over for an older one.

The benches, in the order of ``make bench-17``: ``bench.catalog_varied``, ``bench.cases --only submit``,
``bench.cases_inbox``, ``bench.centers``, ``bench.polled`` (each on SQLite, then with ``--postgres``).

Usage: python -m bench.aims [--results DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .run import RESULTS, ROOT

DATABASES = ("sqlite", "postgres")
LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
#: bench.polled's phase names (``bench.polled.NAMES``), by which its results are found.
POLLED = {"status": "ticket status fragment", "board": "waiting board fragment",
          "query": "一码查询 POST /api/v1/cases/query",
          "status_moving": "ticket status fragment, queue moving",
          "board_moving": "waiting board fragment, queue moving"}


@dataclasses.dataclass(frozen=True)
class Measure:
    """One path on one database: the table cell and whether it meets the aim."""

    cell: str
    met: bool


@dataclasses.dataclass(frozen=True)
class Aim:
    path: str
    aim: str
    bench: str  # the result files' name part: <stamp>-<bench>-<database>.json
    command: str
    measure: Callable[[dict[str, Any]], Measure | None]


def _rate(value: float) -> str:
    return f"{value:,.0f}"


def wrk_measure(result: dict[str, Any] | None, ratio_aim: float, p99_aim: float | None = None,
                notes: tuple[str, ...] = ()) -> Measure | None:
    """A ``bench.wrk.report`` result against a throughput-ratio aim (≥) and optionally a p99 aim (<)."""
    if not result or "figures" not in result:
        return None
    figures, ratio = result["figures"], result["ratios"]["throughput_ratio_at_64"]
    rounds = ", ".join(f"{r['throughput_ratio_at_64']:.2f}" for r in result.get("ratios_per_round", []))
    p99, base_p99 = figures["bench_latency"]["p99_ms"], figures["base_latency"]["p99_ms"]
    cell = (f"**{ratio:.3f}** ({_rate(figures['bench_throughput']['req_per_s'])} vs "
            f"{_rate(figures['base_throughput']['req_per_s'])} req/s" + (f"; rounds {rounds}" if rounds else "")
            + f"); p99 at 16 {p99:.1f} ms (bare view {base_p99:.1f} ms)")
    errors = sum(int(f.get("errors", 0)) for f in figures.values())
    extra = list(notes) + ([f"{errors:,} errors"] if errors else [])
    if extra:
        cell += "; " + "; ".join(extra)
    failed = []
    if ratio < ratio_aim:
        failed.append("throughput")
    if p99_aim is not None and p99 >= p99_aim:
        failed.append("p99")
    return Measure(cell, not failed and not errors)


def _catalog(payload: dict[str, Any]) -> Measure | None:
    results = payload.get("results") or [None]
    result = results[0]
    repeated = result.get("repeated_across_rounds") if result else None
    notes = () if repeated is None else (f"{repeated:,} of {result.get('distinct') or 0:,} searches repeated",)
    return wrk_measure(result, 0.5, 30.0, notes)


def _submit(payload: dict[str, Any]) -> Measure | None:
    submit = payload.get("submit")
    if not submit:
        return None
    checked = submit.get("check_ok")
    measure = wrk_measure(submit, 0.5, None, () if checked is None else
                          (f"database check {'passed' if checked else 'FAILED'}",))
    if measure is not None and checked is False:
        return Measure(measure.cell, False)
    return measure


def _inbox(payload: dict[str, Any]) -> Measure | None:
    return wrk_measure(payload, 0.5, 50.0)


def _centers(key: str) -> Callable[[dict[str, Any]], Measure | None]:
    def measure(payload: dict[str, Any]) -> Measure | None:
        return wrk_measure(payload.get(key), 0.5, 100.0)
    return measure


def _correctness(payload: dict[str, Any]) -> Measure | None:
    c = payload.get("correctness")
    if not c:
        return None
    twice = c["called_twice_in_answers"] + c["called_twice_events"]
    cell = (f"{c['tickets_in_database']:,} tickets at {c['clients']} clients ({c['take_answers_201']:,} answered 201): "
            f"{c['duplicates']} duplicates, {c['gaps']} gaps, {twice} called twice")
    ok = not (c["duplicates"] or c["gaps"] or twice) and c["tickets_in_database"] == c["take_answers_201"]
    return Measure(cell, ok)


def _polled(key: str) -> Callable[[dict[str, Any]], Measure | None]:
    def measure(payload: dict[str, Any]) -> Measure | None:
        found = [r for r in payload.get("results", []) if r.get("name") == POLLED[key]]
        return wrk_measure(found[0], 0.5) if found else None
    return measure


RATIO = "≥ 0.5 of the bare {view} view at 64"
AIMS = (
    Aim("Catalog search, varied workload", RATIO.format(view="constant") + "; p99 < 30 ms at 16", "catalog-varied",
        "python -m bench.catalog_varied", _catalog),
    Aim("Case submission, 1M cases", RATIO.format(view="same-writes") + "; p99 at 16 beside the bare view's", "cases",
        "python -m bench.cases --only submit", _submit),
    Aim("Staff inbox, 50 rows, 1M cases", RATIO.format(view="SELECT-50") + "; p99 < 50 ms at 16", "cases-inbox",
        "python -m bench.cases_inbox", _inbox),
    Aim("Take a ticket", RATIO.format(view="same-writes") + "; p99 < 100 ms at 16", "centers",
        "python -m bench.centers", _centers("take")),
    Aim("Call next + skip", RATIO.format(view="same-writes") + "; p99 < 100 ms at 16", "centers",
        "python -m bench.centers", _centers("call")),
    Aim("Queue correctness, 200 clients", "0 duplicates, 0 gaps, 0 double calls", "centers",
        "python -m bench.centers", _correctness),
    Aim("Ticket status fragment", RATIO.format(view="SELECT"), "polled", "python -m bench.polled", _polled("status")),
    Aim("Waiting board", RATIO.format(view="SELECT"), "polled", "python -m bench.polled", _polled("board")),
    Aim("一码查询", RATIO.format(view="SELECT"), "polled", "python -m bench.polled", _polled("query")),
    Aim("Ticket status fragment, queue moving", RATIO.format(view="SELECT"), "polled", "python -m bench.polled",
        _polled("status_moving")),
    Aim("Waiting board, queue moving", RATIO.format(view="SELECT"), "polled", "python -m bench.polled",
        _polled("board_moving")),
)

FILE_NAME = re.compile(r"^(\d{8}-\d{6})-(.+)-(sqlite|postgres)\.json$")


def result_files(folder: Path) -> dict[tuple[str, str], list[tuple[str, Path]]]:
    """``(bench, database)`` → its result files, newest first (by the stamp that starts the name)."""
    found: dict[tuple[str, str], list[tuple[str, Path]]] = {}
    for path in folder.glob("*.json") if folder.is_dir() else ():
        match = FILE_NAME.match(path.name)
        if match:
            found.setdefault((match[2], match[3]), []).append((match[1], path))
    for files in found.values():
        files.sort(reverse=True)
    return found


def run_time(stamp: str, payload: dict[str, Any]) -> str:
    """When the run was made, UTC: the file's own UTC field, else its name's stamp (the machine's local time)."""
    for key in ("utc", "started_utc"):
        if isinstance(payload.get(key), str):
            moment = datetime.datetime.fromisoformat(payload[key])
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=datetime.UTC)
            break
    else:
        moment = datetime.datetime.strptime(stamp, "%Y%m%d-%H%M%S").astimezone()
    return f"{moment.astimezone(datetime.UTC):%Y-%m-%d %H:%M}"


def load_average(payload: dict[str, Any]) -> str:
    """The load average the file recorded (1, 5, 15 minutes; some benches keep only the first)."""
    submit = payload["submit"] if isinstance(payload.get("submit"), dict) else {}
    for value in (payload.get("loadavg"), payload.get("load_average"), payload.get("load_average_1min"),
                  submit.get("load_average")):
        if isinstance(value, str):
            return value
        if isinstance(value, int | float):
            return f"{value:.2f}"
        if isinstance(value, list):
            return " ".join(f"{v:.2f}" for v in value)
    return "?"


@dataclasses.dataclass(frozen=True)
class Found:
    measure: Measure
    when: str
    load: str
    file: str


def newest(aim: Aim, database: str, files: dict[tuple[str, str], list[tuple[str, Path]]]) -> Found | None:
    """The newest result file of ``aim``'s bench on ``database`` that holds the path's measurement."""
    for stamp, path in files.get((aim.bench, database), []):
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            measure = aim.measure(payload)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            print(f"[aims] {path.name}: unreadable ({error!r}), passed over", file=sys.stderr)
            continue
        if measure is not None:
            return Found(measure, run_time(stamp, payload), load_average(payload), path.name)
    return None


def table(folder: Path) -> list[str]:
    files = result_files(folder)
    lines = ["| Path | Aim | SQLite | PostgreSQL | Met (SQLite / PostgreSQL) | Run (UTC), load average | Command |",
             "|---|---|---|---|---|---|---|"]
    for aim in AIMS:
        found = {db: newest(aim, db, files) for db in DATABASES}
        cells = [f.measure.cell if f else "not run" for f in found.values()]
        met = " / ".join(("met" if f.measure.met else "**not met**") if f else "not run" for f in found.values())
        runs = "; ".join(f"{LABELS[db]} {f.when}, load {f.load}" for db, f in found.items() if f) or "—"
        command = f"`{aim.command} [--postgres]`"
        lines.append(f"| {aim.path} | {aim.aim} | {cells[0]} | {cells[1]} | {met} | {runs} | {command} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=RESULTS, help="the benches' result folder (bench/results)")
    args = parser.parse_args(argv)
    print("\n".join(table(args.results)))
    folder = args.results.resolve()
    folder = folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder
    print(f"\nRatio: the path's throughput at 64 clients ÷ the bare view's in the same run, the median of the "
          "rounds (each round's in brackets, with the median rates); p99 at 16 clients beside the bare view's. "
          "Load average: as each result file recorded it (1, 5, 15 min; the submission's file keeps the 1-min). "
          f"Newest result file per bench and database in {folder}/; load client wrk.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
