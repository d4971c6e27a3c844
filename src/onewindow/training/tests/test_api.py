"""The training API: the authorization matrix (manager: the center; clerk: own; another center's
manager: nothing; anonymous: 401) and the session path through the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from onewindow.accounts.testing import make_api_token
from onewindow.training import services
from onewindow.training.models import Course, TrainingSession
from onewindow.training.testing import TrainingWorld

pytestmark = pytest.mark.django_db
API = "/api/v1/training"


def _client(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"{API}{path}", data=body, content_type="application/json")


def test_matrix_of_reads(training_world: TrainingWorld) -> None:
    t = training_world
    course = t.course()
    session = t.session(course, clerks=[t.clerk])
    c = t.center.pk
    paths = [f"/courses?center_id={c}", f"/courses/{course.pk}", f"/courses/{course.pk}/effect",
             f"/sessions?center_id={c}", f"/sessions/{session.pk}", f"/key-proposals?center_id={c}",
             f"/signals?center_id={c}", "/records"]
    expected = {
        "manager": [200, 200, 200, 200, 200, 200, 200, 200],
        "clerk": [404, 404, 404, 200, 200, 404, 404, 200],
        "clerk2": [404, 404, 404, 200, 404, 404, 404, 200],
        "other_manager": [404, 404, 404, 200, 404, 404, 404, 200],
        None: [401] * 8,
    }
    for who, statuses in expected.items():
        client = _client(getattr(t, who) if who else None)
        got = [client.get(f"{API}{p}").status_code for p in paths]
        assert got == statuses, who
    # what the lists hold
    assert [s["id"] for s in _client(t.clerk).get(f"{API}/sessions?center_id={c}").json()["items"]] == [session.pk]
    assert _client(t.clerk2).get(f"{API}/sessions?center_id={c}").json()["total"] == 0
    assert _client(t.other_manager).get(f"{API}/sessions").json()["total"] == 0
    assert [r["session_id"] for r in _client(t.clerk).get(f"{API}/records").json()["items"]] == [session.pk]
    assert _client(t.manager).get(f"{API}/records?clerk_id={t.clerk.pk}&center_id={c}").json()["total"] == 1
    assert _client(t.other_manager).get(f"{API}/records?clerk_id={t.clerk.pk}&center_id={c}").status_code == 404
    detail = _client(t.clerk).get(f"{API}/sessions/{session.pk}").json()
    assert [a["clerk_id"] for a in detail["attendance"]] == [t.clerk.pk]


def test_matrix_of_writes(training_world: TrainingWorld) -> None:
    t = training_world
    course = t.course()
    session = t.session(course, clerks=[t.clerk])
    body = {"center_id": t.center.pk, "title": "社保培训", "item_ids": [t.item.pk]}
    for who, status in (("clerk", 404), ("other_manager", 404), (None, 401)):
        assert _post(_client(getattr(t, who) if who else None), "/courses", body).status_code == status
        answer = _post(_client(getattr(t, who) if who else None), f"/sessions/{session.pk}/cancel", {"reason": "x"})
        assert answer.status_code == {"clerk": 403, "other_manager": 404, None: 401}[who]
    assert Course.objects.count() == 1
    assert TrainingSession.objects.get().status == "planned"


def test_the_session_path_through_the_api(training_world: TrainingWorld) -> None:
    t = training_world
    client = _client(t.manager)
    course = _post(client, "/courses", {"title": "户籍业务", "item_ids": [t.item.pk],
                                        "basis": "key"}).json()
    assert (course["title"], course["is_key"]) == ("户籍业务", True)
    assert [i["id"] for i in course["service_items"]] == [t.item.pk]
    planned = _post(client, "/sessions", {"course_id": course["id"], "starts_at": "2017-03-01T14:00:00+08:00",
                                          "ends_at": "2017-03-01T16:00:00+08:00", "place": "三楼会议室",
                                          "trainer": "王老师", "clerk_ids": [t.clerk.pk, t.clerk2.pk]})
    assert planned.status_code == 200
    sid = planned.json()["id"]
    early = _post(client, f"/sessions/{sid}/attendance", {"marks": [{"clerk_id": t.clerk.pk, "status": "present"}]})
    assert (early.status_code, early.json()["code"]) == (409, "training_illegal_transition")
    assert _post(client, f"/sessions/{sid}/hold", {}).json()["status"] == "held"
    partial = _post(client, f"/sessions/{sid}/attendance", {"marks": [{"clerk_id": t.clerk.pk, "status": "present"}]})
    assert (partial.status_code, partial.json()["code"]) == (422, "training_marks_incomplete")
    done = _post(client, f"/sessions/{sid}/attendance", {"marks": [
        {"clerk_id": t.clerk.pk, "status": "present"}, {"clerk_id": t.clerk2.pk, "status": "absent"}]}).json()
    assert done["status"] == "recorded"
    assert [(a["clerk_id"], a["status"]) for a in done["attendance"]] == sorted(
        [(t.clerk.pk, "present"), (t.clerk2.pk, "absent")])
    effect = client.get(f"{API}/courses/{course['id']}/effect?days=30").json()
    assert [(r["session_id"], r["attended"], str(r["day"])) for r in effect["sessions"]] == [(sid, 1, "2017-03-01")]
    missing = client.get(f"{API}/sessions/999999")
    assert (missing.status_code, missing.json()["code"]) == (404, "training_session_not_found")


def test_a_token_without_the_scope(training_world: TrainingWorld) -> None:
    t = training_world
    _token, bearer = make_api_token(name="其他", scopes=["cases:read"], owner=t.manager)
    answer = Client(headers={"Authorization": f"Bearer {bearer}"}).get(f"{API}/courses?center_id={t.center.pk}")
    assert (answer.status_code, answer.json()["code"]) == (403, "insufficient_scope")
    services.course_create(by=t.manager, center_id=t.center.pk, title="x", item_ids=[t.item.pk])
    _token, bearer = make_api_token(name="培训", scopes=["training"], owner=t.manager)
    answer = Client(headers={"Authorization": f"Bearer {bearer}"}).get(f"{API}/courses?center_id={t.center.pk}")
    assert (answer.status_code, answer.json()["total"]) == (200, 1)
