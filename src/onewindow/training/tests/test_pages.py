"""Training pages: the authorization matrix and the manager's path (proposal → course → session →
attendance → effect) through the forms."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from onewindow.training.models import Course, TrainingSession
from onewindow.training.testing import TrainingWorld, case_facts

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_page_matrix(training_world: TrainingWorld) -> None:
    t = training_world
    course = t.course()
    session = t.session(course, clerks=[t.clerk])
    paths = ["/training/", f"/training/courses/new/?center={t.center.pk}", f"/training/courses/{course.pk}/",
             f"/training/courses/{course.pk}/effect/", f"/training/sessions/{session.pk}/", "/training/records/",
             f"/training/records/?center={t.center.pk}&clerk={t.clerk.pk}"]
    expected = {
        "manager": [200, 200, 200, 200, 200, 200, 200],
        "clerk": [200, 404, 404, 404, 200, 200, 200],  # the clerk's own records
        "clerk2": [200, 404, 404, 404, 404, 200, 404],
        "other_manager": [200, 404, 404, 404, 404, 200, 404],
    }
    for who, statuses in expected.items():
        client = _client(getattr(t, who))
        assert [client.get(p).status_code for p in paths] == statuses, who
    anonymous = Client()
    for p in paths:
        answer = anonymous.get(p)
        assert answer.status_code == 302 and "/login" in answer["Location"], p
    home = _client(t.other_manager).get("/training/").content.decode()
    assert course.title not in home
    assert t.center.name not in home
    assert t.other_center.name in home  # their own center's page
    clerk_home = _client(t.clerk).get("/training/").content.decode()
    assert f'href="/training/sessions/{session.pk}/"' in clerk_home
    assert "重点培训建议" not in clerk_home


def test_refused_posts_change_nothing(training_world: TrainingWorld) -> None:
    t = training_world
    course = t.course()
    session = t.session(course, clerks=[t.clerk])
    clerk = _client(t.clerk)
    assert clerk.post(f"/training/sessions/{session.pk}/cancel/", {"reason": "x"}).status_code == 403
    assert _client(t.other_manager).post(f"/training/sessions/{session.pk}/hold/").status_code == 404
    assert clerk.post("/training/courses/new/", {"center": t.center.pk, "title": "x",
                                                 "item": [t.item.pk]}).status_code == 404
    assert clerk.post(f"/training/courses/{course.pk}/", {"starts_at": "2017-03-01T09:00"}).status_code == 404
    assert (Course.objects.count(), TrainingSession.objects.count()) == (1, 1)
    assert TrainingSession.objects.get().status == "planned"
    bad = _client(t.manager).post(f"/training/courses/{course.pk}/", {"starts_at": "2017-03-01T09:00",
                                                                     "ends_at": "2017-03-01T08:00", "place": "x",
                                                                     "trainer": "y"})
    assert bad.status_code == 422
    assert "结束时间须晚于开始时间。" in bad.content.decode()
    assert TrainingSession.objects.count() == 1


def test_manager_path_through_the_forms(training_world: TrainingWorld) -> None:
    t = training_world
    day = timezone.localdate()
    case_facts(t.center, t.item, day - datetime.timedelta(days=30), received=600)
    client = _client(t.manager)
    home = client.get(f"/training/?center={t.center.pk}").content.decode()
    link = f"/training/courses/new/?center={t.center.pk}&amp;basis=key&amp;item={t.item.pk}"
    assert link in home
    form = client.get(link.replace("&amp;", "&")).content.decode()
    assert f'value="{t.item.pk}" checked' in form
    created = client.post("/training/courses/new/", {"center": t.center.pk, "title": "重点事项培训", "basis": "key",
                                                     "item": [t.item.pk]})
    course = Course.objects.get()
    assert created["Location"] == f"/training/courses/{course.pk}/"
    assert course.is_key
    planned = client.post(f"/training/courses/{course.pk}/", {
        "starts_at": "2017-03-01T14:00", "ends_at": "2017-03-01T16:00", "place": "三楼会议室", "trainer": "王老师",
        "clerk": [t.clerk.pk, t.clerk2.pk]})
    session = TrainingSession.objects.get()
    assert planned["Location"] == f"/training/sessions/{session.pk}/"
    client.post(f"/training/sessions/{session.pk}/hold/")
    client.post(f"/training/sessions/{session.pk}/attendance/", {f"mark-{t.clerk.pk}": "present",
                                                                f"mark-{t.clerk2.pk}": "excused"})
    session.refresh_from_db()
    assert session.status == "recorded"
    assert dict(session.attendances.values_list("clerk_id", "status")) == {t.clerk.pk: "present",
                                                                           t.clerk2.pk: "excused"}
    effect = client.get(f"/training/courses/{course.pk}/effect/?days=30").content.decode()
    assert "培训前 2017-01-30至2017-02-28，培训后 2017-03-02至2017-03-31" in effect
    assert "出席 1 人" in effect
