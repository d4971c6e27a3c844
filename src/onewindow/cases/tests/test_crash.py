"""A real server killed in the middle of a burst of applications loses nothing it acknowledged and
leaves nothing half-written (issue #3, "done means").

gunicorn serves the test run's own database (the SQLite file of this run, or the PostgreSQL test
database when DATABASE_URL points there); a citizen's integration, holding an ApiToken created
beforehand, fires ``POST /api/v1/cases/`` with ``submit=true`` and a distinct Idempotency-Key per
application from several threads; the whole server process group is SIGKILLed after some
applications were acknowledged (201 with a number); the server is started again and:

- every acknowledged case exists, with its number, submitted;
- every case in the database is complete: its create and submit events, its running correction
  clock (行政许可法 art. 32(4)), its number, its idempotency key and its notification; no draft;
- the numbers are gap-free 1..N in their scope (ARCHITECTURE rule 5), and the counter says N;
- retrying every unacknowledged key creates each case at most once (200 when the first attempt
  had committed before the crash, 201 when it had not), and a second retry of every key replays.
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from onewindow.accounts.testing import make_api_token
from onewindow.cases.choices import CaseStatus, ClockKind
from onewindow.cases.models import Case, CaseClock, CaseEvent
from onewindow.cases.testing import FORM, FORM_SCHEMA, CaseWorld
from onewindow.catalog import services as catalog_services
from onewindow.core.actors import system_actor
from onewindow.core.models import IdempotencyKey, NumberCounter
from onewindow.core.testing import join_all
from onewindow.notifications.models import Message

from .crash_server import Server, server_env

APPLICATIONS = 60
THREADS = 8
KILL_AFTER = 12  # acknowledged applications before the power cut


def online_item_without_materials(world: CaseWorld) -> str:
    """An online item whose applications may be submitted at once (no material to upload first)."""
    item = catalog_services.item_create(
        by=system_actor("test"),
        code="TESTCASE0000000000000000000009", basic_code="01TESTCASE09", name="营业执照遗失补领（测试）",
        department=world.p.department, region=world.p.district.code, level="district", category="approval",
        item_type="01", legal_basis="《中华人民共和国行政许可法》", handling_type="promised", statutory_limit=20,
        statutory_unit="working", promised_limit=5, promised_unit="working", fee_free=True, depth_level=4,
        depth_codes="1^2^3^4", on_site_visits=0, form_schema=dict(FORM_SCHEMA), channels=["online"], materials=[])
    return item.code


def burst(server: Server, bearer: str, body: dict[str, Any], keys: list[str],
          acknowledged: dict[str, tuple[int, str]], answered: list[int]) -> list[threading.Thread]:
    """Threads that post one application per key until the keys run out (errors are not retried);
    ``answered`` collects the status of every request that got an answer."""
    todo: queue.Queue[str] = queue.Queue()
    for key in keys:
        todo.put(key)
    lock = threading.Lock()

    def work() -> None:
        while True:
            try:
                key = todo.get_nowait()
            except queue.Empty:
                return
            try:
                status, data = server.request("POST", "/api/v1/cases/", body,
                                              {"Authorization": f"Bearer {bearer}", "Idempotency-Key": key})
            except OSError:  # refused or reset: the server is gone, the request is unacknowledged
                continue
            with lock:
                answered.append(status)
                if status == 201 and data.get("number"):
                    acknowledged[key] = (int(data["id"]), str(data["number"]))

    threads = [threading.Thread(target=work, daemon=True) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    return threads


def assert_complete_and_gap_free(owner_id: int, expected_count: int | None = None) -> list[Case]:
    cases = list(Case.objects.filter(owner_id=owner_id).order_by("id"))
    assert Case.objects.filter(status=CaseStatus.DRAFT).count() == 0
    for case in cases:
        assert case.status == CaseStatus.SUBMITTED and case.number and case.submitted_at, case.pk
        assert list(CaseEvent.objects.filter(case=case).order_by("id").values_list("action", flat=True)) == [
            "create", "submit"]
        assert CaseClock.objects.filter(case=case, kind=ClockKind.CORRECTION, stopped_on__isnull=True).count() == 1
        assert IdempotencyKey.objects.get(user_id=owner_id, operation="cases.apply", result_id=str(case.pk))
        assert Message.objects.filter(subject_type="case", subject_id=str(case.pk)).count() >= 1
    year = timezone.localdate().year
    numbers = sorted(int(str(c.number).rsplit("-", 1)[1]) for c in cases)
    assert numbers == list(range(1, len(cases) + 1))
    assert {str(c.number).rsplit("-", 1)[0] for c in cases} == {f"310106-{year}"}
    assert NumberCounter.objects.get(scope=f"cases:310106:{year}").value == len(cases)
    assert IdempotencyKey.objects.filter(user_id=owner_id, operation="cases.apply").count() == len(cases)
    if expected_count is not None:
        assert len(cases) == expected_count
    return cases


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_acknowledged_applications_survive_a_server_crash(case_world: CaseWorld, tmp_path: Path) -> None:
    citizen = case_world.p.citizen
    _token, bearer = make_api_token(name="企业申报系统", scopes=["cases:apply", "cases:read"], owner=citizen)
    body = {"item_code": online_item_without_materials(case_world), "channel": "online", "form_data": dict(FORM),
            "submit": True}
    keys = [f"crash-{i:03d}" for i in range(APPLICATIONS)]
    env = server_env(connection.settings_dict)
    acknowledged: dict[str, tuple[int, str]] = {}
    answered: list[int] = []
    server = Server(env, tmp_path / "server.log")
    restarted = Server(env, tmp_path / "server.log")
    try:
        server.start()
        threads = burst(server, bearer, body, keys, acknowledged, answered)
        deadline = time.monotonic() + 120
        while len(acknowledged) < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.005)
        server.kill()  # mid-burst: other requests are in flight or not yet sent
        join_all(threads)  # after the kill each request fails at once: none is left running
        acked = dict(acknowledged)
        assert KILL_AFTER <= len(acked) < APPLICATIONS, (len(acked), (tmp_path / "server.log").read_text()[-3000:])
        assert set(answered) == {201}  # before the crash every answered request succeeded (no 5xx, no lock error)

        # After the restart: what was acknowledged is there, and everything there is whole.
        restarted.start()
        for key, (case_id, number) in acked.items():
            case = Case.objects.get(pk=case_id)
            assert (case.number, case.status) == (number, CaseStatus.SUBMITTED), key
        assert_complete_and_gap_free(citizen.pk)

        # Retrying the unacknowledged keys creates each at most once.
        headers = {"Authorization": f"Bearer {bearer}"}
        committed_before = Case.objects.filter(owner=citizen).count()
        retried: dict[str, tuple[int, int]] = {}
        for key in keys:
            if key in acked:
                continue
            status, data = restarted.request("POST", "/api/v1/cases/", body, {**headers, "Idempotency-Key": key})
            assert status in (200, 201), (key, status, data)
            retried[key] = (status, int(data["id"]))
        replays = sum(1 for status, _id in retried.values() if status == 200)
        assert replays == committed_before - len(acked)  # committed, but the answer was lost in the crash
        cases = assert_complete_and_gap_free(citizen.pk, expected_count=APPLICATIONS)
        ids = {case_id for case_id, _number in acked.values()} | {case_id for _status, case_id in retried.values()}
        assert ids == {c.pk for c in cases}

        # A second retry of every key only replays.
        for key in keys[::7]:
            status, data = restarted.request("POST", "/api/v1/cases/", body, {**headers, "Idempotency-Key": key})
            expected_id = acked[key][0] if key in acked else retried[key][1]
            assert (status, int(data["id"])) == (200, expected_id)
        assert Case.objects.filter(owner=citizen).count() == APPLICATIONS
        status, mine = restarted.request("GET", "/api/v1/cases/?page_size=100", headers=headers)
        assert (status, mine["total"]) == (200, APPLICATIONS)
        assert {row["number"] for row in mine["items"]} == {c.number for c in cases}
    finally:
        server.kill()
        restarted.kill()
