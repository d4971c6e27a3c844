"""The periodic-job scheduler: due jobs fire once, even with two schedulers ticking at once."""

from __future__ import annotations

import datetime
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks import task

from onewindow.core import scheduling
from onewindow.core.actors import system_actor
from onewindow.core.models import AuditEntry, ScheduledJob
from onewindow.core.testing import join_all, start_barrier

FIRED: list[str] = []
_lock = threading.Lock()


@task()
def record_run() -> None:
    with _lock:
        FIRED.append("run")


@pytest.fixture
def job():
    FIRED.clear()
    scheduling.register("test.record", every=datetime.timedelta(seconds=30), task=record_run)
    yield "test.record"
    scheduling.unregister("test.record")


def test_registry_refuses_sub_second_intervals():
    with pytest.raises(ValueError, match="once a second"):
        scheduling.register("too.fast", every=datetime.timedelta(milliseconds=10), task=record_run)
    assert "too.fast" not in scheduling.registered()


def test_audit_seal_is_registered_every_ten_seconds():
    scheduling.discover()
    assert scheduling.registered()["core.audit_seal"].every == datetime.timedelta(seconds=10)


@pytest.mark.django_db
def test_a_due_job_fires_once_per_interval(job):
    start = timezone.now()
    assert job in scheduling.tick(start)
    assert job not in scheduling.tick(start + datetime.timedelta(seconds=29))
    assert job in scheduling.tick(start + datetime.timedelta(seconds=30))
    row = ScheduledJob.objects.get(name=job)
    assert (row.run_count, row.every_seconds) == (2, 30)
    assert row.last_run == start + datetime.timedelta(seconds=30)
    assert row.next_run == start + datetime.timedelta(seconds=60)
    assert FIRED == ["run", "run"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_ticking_at_once_enqueue_a_due_job_once(job):
    now = timezone.now()
    for round_number in range(3):
        at = now + datetime.timedelta(seconds=30 * round_number)
        barrier = start_barrier(4)
        fired: list[list[str]] = []

        def scheduler(at=at, barrier=barrier, fired=fired):
            try:
                barrier.wait()
                fired.append(scheduling.tick(at))
            finally:
                connection.close()

        threads = [threading.Thread(target=scheduler) for _ in range(4)]
        for thread in threads:
            thread.start()
        join_all(threads)
        assert sorted(len([n for n in names if n == job]) for names in fired) == [0, 0, 0, 1]
    assert FIRED == ["run", "run", "run"]
    assert ScheduledJob.objects.get(name=job).run_count == 3


@pytest.mark.django_db
def test_scheduler_command_once_seals_the_audit_trail():
    from onewindow.core.audit import audit_record

    audit_record(actor=system_actor("tester"), action="test.write")
    out = io.StringIO()
    call_command("core_scheduler", "--once", stdout=out)
    assert "enqueued core.audit_seal" in out.getvalue().splitlines()
    assert AuditEntry.objects.get(action="test.write").seq == 1
