"""``onewindow core_scheduler``: the periodic-job scheduler (run beside the server and the worker).

Safe to run twice: each due run is claimed under a database row lock (see core/scheduling.py).
"""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from onewindow.core import scheduling


class Command(BaseCommand):
    help = "Enqueue the registered periodic tasks when they are due."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between ticks")
        parser.add_argument("--once", action="store_true", help="tick once and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        scheduling.discover()
        jobs = scheduling.registered()
        self.stdout.write("scheduler: " + ", ".join(
            f"{name} every {job.every.total_seconds():g}s" for name, job in sorted(jobs.items())))
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            for name in scheduling.tick():
                self.stdout.write(f"enqueued {name}")
            if options["once"]:
                break
            # A long-running process: drop a connection the database closed or that grew old.
            close_old_connections()
            time.sleep(options["interval"])
