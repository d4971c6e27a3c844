"""The "live" task queue: the jobs a big screen waits on run on a queue of their own, which `make
serve` gives a worker of its own, so a long job on the default queue never holds a screen back."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from onewindow.bigscreen.tasks import bigscreen_crowd_simulate
from onewindow.centers.tasks import centers_appointment_upkeep, centers_demo_hall

MAKEFILE = Path(__file__).resolve().parents[1] / "Makefile"


def test_the_screens_jobs_are_on_the_live_queue_and_the_rest_on_default() -> None:
    assert settings.TASK_QUEUES == ["default", "live"]
    assert settings.TASKS["default"]["QUEUES"] == ["default", "live"]
    assert [bigscreen_crowd_simulate.queue_name, centers_demo_hall.queue_name] == ["live", "live"]
    assert centers_appointment_upkeep.queue_name == "default"


def test_make_serve_runs_a_worker_on_the_live_queue() -> None:
    serve = MAKEFILE.read_text(encoding="utf-8").split("\nserve:", 1)[1].split("\n\n", 1)[0]
    assert 'db_worker --queue-name "*"' in serve
    assert "db_worker --queue-name live" in serve
