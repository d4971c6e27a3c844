"""Flame graphs of a hot path under load (issue #17 "Profile first"): py-spy on the gunicorn workers.

``record(server_pid, seconds, out)`` attaches py-spy (``pip install py-spy``, in the ``bench`` extra)
to the gunicorn master and its workers (``--subprocesses``, ``--nonblocking``: the workers are not
paused while sampled) for ``seconds`` while the caller drives load (``bench.wrk.run_wrk``), and
writes two files: ``<out>.svg`` (the flame graph, for docs/profiles/) and ``<out>.txt`` (the collapsed
stacks). ``top_costs(txt)`` reads the stacks back: the share of samples in which each function is on
the stack (inclusive) and on top (self), the project's own functions and the framework's alike, so
the report can say where the time goes.

    python -m bench.profile --pid <gunicorn master> --seconds 20 --out docs/profiles/catalog-search
    python -m bench.profile --top docs/profiles/catalog-search.txt
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]*)(?::\d+)?\)$")


def py_spy() -> str:
    binary = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(binary).exists():
        raise SystemExit("py-spy is not installed: pip install -e '.[bench]'")
    return binary


def start(pid: int, seconds: float, out: Path, rate: int = 200) -> list[subprocess.Popen[bytes]]:
    """Start the two recorders (SVG and raw) in the background; ``finish`` waits for them."""
    out.parent.mkdir(parents=True, exist_ok=True)
    common = [py_spy(), "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--rate", str(rate),
              "--duration", str(max(1, round(seconds)))]
    return [subprocess.Popen([*common, "--format", "flamegraph", "-o", str(out.with_suffix(".svg"))],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
            subprocess.Popen([*common, "--format", "raw", "-o", str(out.with_suffix(".txt"))],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]


def finish(recorders: list[subprocess.Popen[bytes]], timeout: float = 120) -> None:
    for recorder in recorders:
        recorder.wait(timeout)


def record(pid: int, seconds: float, out: Path, rate: int = 200) -> None:
    finish(start(pid, seconds, out, rate), timeout=seconds + 60)


def _name(frame: str) -> str:
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match.group("file")
    for marker in ("site-packages/", "src/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match.group('func')} ({path})"


def top_costs(raw: Path, n: int = 20, *, idle: tuple[str, ...] = ("wait (selectors", "select (selectors",
                                                                     "sleep (gunicorn", "accept (socket")) -> str:
    """A table: the functions most often on the stack (inclusive share) and on top (self share) of the
    busy samples (a worker idling in ``select``/``accept`` is not busy)."""
    inclusive: collections.Counter[str] = collections.Counter()
    self_time: collections.Counter[str] = collections.Counter()
    busy = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = [_name(f) for f in stack.split(";") if f.strip() and not f.startswith("process ")]
        if not frames or any(frames[-1].startswith(i) for i in idle):
            continue
        count = int(count_text)
        busy += count
        for name in set(frames):
            inclusive[name] += count
        self_time[frames[-1]] += count
    if not busy:
        return "no busy samples"
    lines = [f"{busy} busy samples", "", "inclusive  function (on the stack)"]
    lines += [f"{100 * c / busy:7.1f} %  {name}" for name, c in inclusive.most_common(n)
              if not name.startswith(("<module>", "run (", "handle (", "_bootstrap"))]
    lines += ["", "self       function (on top)"]
    lines += [f"{100 * c / busy:7.1f} %  {name}" for name, c in self_time.most_common(n)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pid", type=int, help="the gunicorn master's pid (its workers are sampled too)")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--out", type=Path, help="file stem: writes <out>.svg and <out>.txt")
    parser.add_argument("--top", type=Path, help="print the top costs of a raw (.txt) profile")
    parser.add_argument("-n", type=int, default=25)
    args = parser.parse_args(argv)
    if args.top:
        print(top_costs(args.top, args.n))
        return 0
    if not (args.pid and args.out):
        parser.error("--pid and --out (or --top)")
    record(args.pid, args.seconds, args.out)
    print(top_costs(args.out.with_suffix(".txt"), args.n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
