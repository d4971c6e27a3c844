"""bench.aims (issue #17): the newest result of each bench per database, against the issue's aims, as
one Markdown table; exact lines from small result files shaped as the benches write them."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bench import aims, polled

HEADER = ["| Path | Aim | SQLite | PostgreSQL | Met (SQLite / PostgreSQL) | Run (UTC), load average | Command |",
          "|---|---|---|---|---|---|---|"]


@pytest.fixture(autouse=True)
def utc_machine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The files' name stamps are the machine's local time: UTC here, whatever runs the tests."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def wrk_result(name: str, ratio_rounds: list[float], rates: tuple[float, float], p99: tuple[float, float],
               errors: int = 0) -> dict[str, Any]:
    """A ``bench.wrk.report`` result: bench and bare rates at 64, bench and bare p99 at 16."""
    def fig(clients: int, rate: float, p99_ms: float, errs: int = 0) -> dict[str, Any]:
        return {"clients": clients, "requests": 1000, "errors": errs, "wrapped": False, "req_per_s": rate,
                "p50_ms": 1.0, "p99_ms": p99_ms}
    ordered = sorted(ratio_rounds)
    return {"name": name, "baseline": "bare", "client": "wrk", "distinct": 600,
            "ratios": {"p50_ratio_at_16": 1.0, "p99_ratio_at_16": 1.0,
                       "throughput_ratio_at_64": ordered[len(ordered) // 2]},
            "ratios_per_round": [{"throughput_ratio_at_64": r} for r in ratio_rounds], "aims_met": {},
            "figures": {"base_latency": fig(16, 900.0, p99[1]), "bench_latency": fig(16, 500.0, p99[0], errors),
                        "base_throughput": fig(64, rates[1], 20.0), "bench_throughput": fig(64, rates[0], 40.0)}}


def write(folder: Path, name: str, payload: dict[str, Any]) -> None:
    (folder / name).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")


def row(lines: list[str], path: str) -> str:
    return next(line for line in lines if line.startswith(f"| {path} |"))


def test_nothing_run_prints_not_run(tmp_path: Path) -> None:
    lines = aims.table(tmp_path / "missing")
    assert lines[:2] == HEADER
    assert len(lines) == 2 + len(aims.AIMS)
    assert lines[2] == ("| Catalog search, varied workload | ≥ 0.5 of the bare constant view at 64; p99 < 30 ms "
                        "at 16 | not run | not run | not run / not run | — | "
                        "`python -m bench.catalog_varied [--postgres]` |")


def test_catalog_newest_file_per_database(tmp_path: Path) -> None:
    old = wrk_result("catalog search, varied", [0.2, 0.2, 0.2], (100, 500), (50.0, 3.0))
    new = wrk_result("catalog search, varied", [0.54, 0.58, 0.54], (2261, 4099), (12.2, 3.1))
    new["repeated_across_rounds"] = 0
    new["distinct"] = 150_000
    write(tmp_path, "20261207-120000-catalog-varied-sqlite.json",
          {"utc": "2026-12-07T12:00:00+00:00", "loadavg": "9.00 9.00 9.00", "results": [old]})
    write(tmp_path, "20261207-124700-catalog-varied-sqlite.json",
          {"utc": "2026-12-07T12:47:30+00:00", "loadavg": "1.50 3.10 2.00", "results": [new]})
    slow = wrk_result("catalog search, varied", [0.55, 0.55, 0.55], (2260, 4106), (31.0, 3.0))
    write(tmp_path, "20261207-124800-catalog-varied-postgres.json",
          {"utc": "2026-12-07T12:48:59+00:00", "loadavg": "2.40 3.10 2.20", "results": [slow]})
    assert row(aims.table(tmp_path), "Catalog search, varied workload") == (
        "| Catalog search, varied workload | ≥ 0.5 of the bare constant view at 64; p99 < 30 ms at 16 | "
        "**0.540** (2,261 vs 4,099 req/s; rounds 0.54, 0.58, 0.54); p99 at 16 12.2 ms (bare view 3.1 ms); "
        "0 of 150,000 searches repeated | "
        "**0.550** (2,260 vs 4,106 req/s; rounds 0.55, 0.55, 0.55); p99 at 16 31.0 ms (bare view 3.0 ms) | "
        "met / **not met** | SQLite 2026-12-07 12:47, load 1.50 3.10 2.00; PostgreSQL 2026-12-07 12:48, load "
        "2.40 3.10 2.20 | `python -m bench.catalog_varied [--postgres]` |")


def test_submission_passes_over_an_inbox_only_file(tmp_path: Path) -> None:
    submit = wrk_result("submit POST /api/v1/cases/", [0.32, 0.31, 0.33], (223, 697), (385.0, 145.0))
    submit.update(check_ok=True, load_average=2.5)
    write(tmp_path, "20261207-120700-cases-sqlite.json", {"submit": submit, "load_average_1min": 3.1})
    write(tmp_path, "20261207-130000-cases-sqlite.json", {"submit": {}, "load_average_1min": 1.0})  # --only inbox
    failed = wrk_result("submit POST /api/v1/cases/", [0.6], (300, 500), (100.0, 90.0), errors=3)
    failed.update(check_ok=False)
    write(tmp_path, "20261207-120900-cases-postgres.json", {"submit": failed, "load_average_1min": 2.54})
    write(tmp_path, "20261207-121100-cases-inbox-sqlite.json",  # not the submission's file
          {**wrk_result("inbox", [0.17], (542, 3198), (47.2, 9.0)), "load_average": [3.1, 3.4, 2.0]})
    lines = aims.table(tmp_path)
    assert row(lines, "Case submission, 1M cases") == (
        "| Case submission, 1M cases | ≥ 0.5 of the bare same-writes view at 64; p99 at 16 beside the bare view's | "
        "**0.320** (223 vs 697 req/s; rounds 0.32, 0.31, 0.33); p99 at 16 385.0 ms (bare view 145.0 ms); "
        "database check passed | "
        "**0.600** (300 vs 500 req/s; rounds 0.60); p99 at 16 100.0 ms (bare view 90.0 ms); database check FAILED; "
        "3 errors | **not met** / **not met** | SQLite 2026-12-07 12:07, load 3.10; PostgreSQL 2026-12-07 12:09, "
        "load 2.54 | `python -m bench.cases --only submit [--postgres]` |")
    assert row(lines, "Staff inbox, 50 rows, 1M cases") == (
        "| Staff inbox, 50 rows, 1M cases | ≥ 0.5 of the bare SELECT-50 view at 64; p99 < 50 ms at 16 | "
        "**0.170** (542 vs 3,198 req/s; rounds 0.17); p99 at 16 47.2 ms (bare view 9.0 ms) | not run | "
        "**not met** / not run | SQLite 2026-12-07 12:11, load 3.10 3.40 2.00 | "
        "`python -m bench.cases_inbox [--postgres]` |")


def test_centers_take_call_and_correctness(tmp_path: Path) -> None:
    payload = {"started_utc": "2026-12-07T12:15:04.123+00:00", "load_average": "3.50 4.40 3.00",
               "take": wrk_result("take", [0.52, 0.55, 0.51], (520, 996), (90.0, 240.0)),
               "call": wrk_result("call", [0.19], (260, 1373), (436.0, 80.0)),
               "correctness": {"clients": 200, "tickets_in_database": 2000, "take_answers_201": 2000, "take_errors": 0,
                               "duplicates": 0, "gaps": 0, "called": 1990, "called_twice_in_answers": 0,
                               "called_twice_events": 0, "left_waiting": 10}}
    write(tmp_path, "20261207-121504-centers-sqlite.json", payload)
    lines = aims.table(tmp_path)
    when = "SQLite 2026-12-07 12:15, load 3.50 4.40 3.00"
    assert row(lines, "Take a ticket") == (
        "| Take a ticket | ≥ 0.5 of the bare same-writes view at 64; p99 < 100 ms at 16 | "
        "**0.520** (520 vs 996 req/s; rounds 0.52, 0.55, 0.51); p99 at 16 90.0 ms (bare view 240.0 ms) | not run | "
        f"met / not run | {when} | `python -m bench.centers [--postgres]` |")
    assert row(lines, "Call next + skip") == (
        "| Call next + skip | ≥ 0.5 of the bare same-writes view at 64; p99 < 100 ms at 16 | "
        "**0.190** (260 vs 1,373 req/s; rounds 0.19); p99 at 16 436.0 ms (bare view 80.0 ms) | not run | "
        f"**not met** / not run | {when} | `python -m bench.centers [--postgres]` |")
    assert row(lines, "Queue correctness, 200 clients") == (
        "| Queue correctness, 200 clients | 0 duplicates, 0 gaps, 0 double calls | "
        "2,000 tickets at 200 clients (2,000 answered 201): 0 duplicates, 0 gaps, 0 called twice | not run | "
        f"met / not run | {when} | `python -m bench.centers [--postgres]` |")


def test_polled_paths_from_the_newest_file_holding_each(tmp_path: Path) -> None:
    status = wrk_result(polled.NAMES["status"], [0.63], (2396, 3841), (12.7, 5.0))
    board = wrk_result(polled.NAMES["board"], [0.83], (2965, 3552), (10.3, 5.0))
    query = wrk_result(polled.NAMES["query"], [0.32], (1266, 3958), (17.9, 5.0))
    write(tmp_path, "20261207-122500-polled-sqlite.json",
          {"database": "sqlite", "loadavg": "3.50 3.00 2.00", "results": [status, board, query]})
    newer_board = wrk_result(polled.NAMES["board"], [0.5], (1000, 2000), (20.0, 5.0))
    write(tmp_path, "20261207-130000-polled-sqlite.json",  # --only board
          {"database": "sqlite", "loadavg": "1.00 1.00 1.00", "results": [newer_board]})
    lines = aims.table(tmp_path)
    assert row(lines, "Ticket status fragment") == (
        "| Ticket status fragment | ≥ 0.5 of the bare SELECT view at 64 | **0.630** (2,396 vs 3,841 req/s; "
        "rounds 0.63); p99 at 16 12.7 ms (bare view 5.0 ms) | not run | met / not run | "
        "SQLite 2026-12-07 12:25, load 3.50 3.00 2.00 | `python -m bench.polled [--postgres]` |")
    assert row(lines, "Waiting board") == (
        "| Waiting board | ≥ 0.5 of the bare SELECT view at 64 | **0.500** (1,000 vs 2,000 req/s; rounds 0.50); "
        "p99 at 16 20.0 ms (bare view 5.0 ms) | not run | met / not run | "
        "SQLite 2026-12-07 13:00, load 1.00 1.00 1.00 | `python -m bench.polled [--postgres]` |")
    assert row(lines, "一码查询").split(" | ")[4] == "**not met** / not run"
    assert row(lines, "Ticket status fragment, queue moving").split(" | ")[2:5] == ["not run", "not run",
                                                                                   "not run / not run"]


def test_polled_names_are_the_bench_names() -> None:
    assert aims.POLLED == polled.NAMES


def test_an_unreadable_file_is_passed_over(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "20261207-130000-cases-inbox-postgres.json").write_text("{", encoding="utf-8")
    write(tmp_path, "20261207-120000-cases-inbox-postgres.json",
          {**wrk_result("inbox", [0.06], (141, 2224), (155.0, 9.0)), "load_average": [3.4, 4.4, 3.0]})
    assert row(aims.table(tmp_path), "Staff inbox, 50 rows, 1M cases").split(" | ")[3:5] == [
        "**0.060** (141 vs 2,224 req/s; rounds 0.06); p99 at 16 155.0 ms (bare view 9.0 ms)", "not run / **not met**"]
    assert "20261207-130000-cases-inbox-postgres.json: unreadable" in capsys.readouterr().err


def test_main_prints_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert aims.main(["--results", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == HEADER
    assert out[-1].endswith(f"Newest result file per bench and database in {tmp_path}/; load client wrk.")
    monkeypatch.chdir(tmp_path.parent)
    assert aims.main(["--results", tmp_path.name]) == 0  # a relative folder
    assert capsys.readouterr().out.splitlines()[-1].endswith(f"in {tmp_path}/; load client wrk.")
