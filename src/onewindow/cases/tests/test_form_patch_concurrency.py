"""Two concurrent PATCHes of a draft's form both survive (issue #10 part 3).

``PATCH /api/v1/cases/{id}`` changes only the fields it names. The merge with the stored form must
happen under the case's row lock, inside the service: merged in the API handler from a read made
before the lock, two edits of different fields at the same time lose one (the later write puts
back the value the earlier one replaced).

Two real threads, each with its own database connection to the run's file-based SQLite database
(or PostgreSQL), send their PATCH at the same time; a barrier at the entry of the service (before
its lock) makes both requests read whatever they read before the lock first, so the interleaving
that loses an update happens on every run instead of by chance. One edits a personal field of the
form (stored encrypted, shown masked), the other a plain one.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from onewindow.cases import services
from onewindow.cases.models import Case, CaseEvent
from onewindow.cases.testing import CaseWorld
from onewindow.core.models import AuditEntry
from onewindow.core.testing import join_all, start_barrier

BASE = "/api/v1/cases"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_patches_of_different_fields_both_survive(case_world: CaseWorld,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    case = case_world.draft()
    citizen = case_world.p.citizen
    before_events = CaseEvent.objects.filter(case=case).count()
    barrier = start_barrier(2)
    real_update = services.case_update

    def update_after_both_arrived(**kwargs: Any) -> Any:
        barrier.wait()
        return real_update(**kwargs)

    monkeypatch.setattr(services, "case_update", update_after_both_arrived)
    clients = []
    for _n in range(2):
        client = Client()
        client.force_login(citizen)
        clients.append(client)
    answers: dict[str, Any] = {}

    def patch(client: Client, name: str, form_data: dict[str, Any]) -> None:
        try:
            response = client.patch(f"{BASE}/{case.pk}", data=json.dumps({"form_data": form_data}),
                                    content_type="application/json")
            answers[name] = (response.status_code, response.json())
        except BaseException as exc:  # pragma: no cover - reported by the assertion below
            answers[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=patch, args=(clients[0], "name", {"applicant_name": "李娜"})),
               threading.Thread(target=patch, args=(clients[1], "description", {"description": "变更登记"}))]
    for thread in threads:
        thread.start()
    join_all(threads)
    assert [answers[k][0] if isinstance(answers.get(k), tuple) else answers.get(k)
            for k in ("name", "description")] == [200, 200]
    stored = Case.objects.get(pk=case.pk)
    assert stored.form_values() == {"applicant_name": "李娜", "contact_phone": "13800138000", "description": "变更登记"}
    assert stored.form_data["applicant_name"] != "李娜"  # still shown masked: the clear value is encrypted
    assert AuditEntry.objects.filter(action="cases.update", target_id=str(case.pk)).count() == 2
    assert CaseEvent.objects.filter(case=case).count() == before_events


@pytest.mark.parametrize("body", [{"form_data": {"description": "别人改的"}}, {"delivery_method": "mail"}])
def test_someone_else_cannot_patch_and_nothing_changes(case_world: CaseWorld, body: dict[str, Any]) -> None:
    case = case_world.draft()
    before = (Case.objects.get(pk=case.pk).form_values(), AuditEntry.objects.filter(action="cases.update").count())
    response = case_world.p.client("another_citizen").patch(f"{BASE}/{case.pk}", data=json.dumps(body),
                                                            content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (404, "case_not_found")  # no existence leak
    assert (Case.objects.get(pk=case.pk).form_values(), AuditEntry.objects.filter(action="cases.update").count()) \
        == before


def test_patch_names_only_the_fields_it_changes_and_null_removes_one(case_world: CaseWorld) -> None:
    case = case_world.draft()
    client = case_world.p.client("citizen")
    response = client.patch(f"{BASE}/{case.pk}", data=json.dumps({"form_data": {"description": None,
                                                                                "id_number": "11010519491231002X"}}),
                            content_type="application/json")
    assert response.status_code == 200, response.content
    assert Case.objects.get(pk=case.pk).form_values() == {"applicant_name": "张伟", "contact_phone": "13800138000",
                                                          "id_number": "11010519491231002X"}
