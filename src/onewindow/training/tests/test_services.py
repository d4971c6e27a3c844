"""Courses, sessions and attendance: the manager plans; every refusal changes nothing."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.core.models import AuditEntry
from onewindow.training import services
from onewindow.training.choices import AttendanceStatus, SessionStatus
from onewindow.training.models import Attendance, Course, SessionEvent, TrainingSession
from onewindow.training.testing import TrainingWorld

pytestmark = pytest.mark.django_db


def _state() -> tuple[object, ...]:
    return (AuditEntry.objects.count(), Course.objects.count(), TrainingSession.objects.count(),
            Attendance.objects.count(), SessionEvent.objects.count(),
            sorted(TrainingSession.objects.values_list("pk", "status")),
            sorted(Attendance.objects.values_list("pk", "status")))


def test_course_create_by_manager(training_world: TrainingWorld) -> None:
    t = training_world
    course = services.course_create(by=t.manager, center_id=t.center.pk, title=" 户籍业务培训 ",
                                    item_ids=[t.item.pk, t.street_item.pk], basis="key")
    assert course.title == "户籍业务培训"
    assert course.is_key is True
    assert sorted(course.items.values_list("pk", flat=True)) == sorted([t.item.pk, t.street_item.pk])
    assert course.created_by == t.manager


@pytest.mark.parametrize(("who", "error"), [("clerk", NotFound), ("other_manager", NotFound)])
def test_course_create_refused_to_others(training_world: TrainingWorld, who: str, error: type) -> None:
    t = training_world
    before = _state()
    with pytest.raises(error):
        services.course_create(by=getattr(t, who), center_id=t.center.pk, title="x", item_ids=[t.item.pk])
    assert _state() == before


@pytest.mark.parametrize(("fields", "code"), [
    ({"title": ""}, "training_invalid"),
    ({"title": "居住证\x00业务培训"}, "text_invalid"),
    ({"item_ids": []}, "training_invalid"),
    ({"item_ids": ["x"]}, "training_invalid"),
    ({"item_ids": [999999]}, "training_item_not_in_center"),
    ({"basis": "other"}, "training_invalid"),
])
def test_course_create_bad_input(training_world: TrainingWorld, fields: dict, code: str) -> None:
    t = training_world
    before = _state()
    args = {"title": "培训", "item_ids": [t.item.pk], "basis": "manual", **fields}
    with pytest.raises(DomainError) as caught:
        services.course_create(by=t.manager, center_id=t.center.pk, **args)
    assert caught.value.code == code
    assert caught.value.status == 422
    assert _state() == before


def test_item_not_of_the_center_refused(training_world: TrainingWorld) -> None:
    t = training_world
    t.center.items.set([t.item])
    before = _state()
    with pytest.raises(DomainError) as caught:
        services.course_create(by=t.manager, center_id=t.center.pk, title="x", item_ids=[t.street_item.pk])
    assert caught.value.code == "training_item_not_in_center"
    assert _state() == before


def test_session_plan_hold_record(training_world: TrainingWorld) -> None:
    t = training_world
    session = t.session()
    assert session.status == SessionStatus.PLANNED
    assert sorted(session.attendances.values_list("clerk_id", "status")) == sorted(
        [(t.clerk.pk, "invited"), (t.clerk2.pk, "invited")])
    services.session_hold(by=t.manager, session=session)
    services.attendance_record(by=t.manager, session=session,
                               marks={str(t.clerk.pk): "present", t.clerk2.pk: "excused"})
    session.refresh_from_db()
    assert session.status == SessionStatus.RECORDED
    assert dict(session.attendances.values_list("clerk_id", "status")) == {t.clerk.pk: "present",
                                                                           t.clerk2.pk: "excused"}
    assert list(session.events.values_list("action", "from_status", "to_status")) == [
        ("plan", "", "planned"), ("hold", "planned", "held"), ("record", "held", "recorded")]
    # a correction keeps the status and adds an event
    services.attendance_record(by=t.manager, session=session, marks={t.clerk.pk: "present", t.clerk2.pk: "absent"})
    assert Attendance.objects.get(session=session, clerk=t.clerk2).status == AttendanceStatus.ABSENT
    assert session.events.count() == 4


def test_session_cancel(training_world: TrainingWorld) -> None:
    t = training_world
    session = t.session()
    services.session_cancel(by=t.manager, session=session, reason="讲师临时出差")
    session.refresh_from_db()
    assert (session.status, session.reason) == (SessionStatus.CANCELLED, "讲师临时出差")
    before = _state()
    with pytest.raises(Conflict) as caught:
        services.session_hold(by=t.manager, session=session)
    assert caught.value.code == "training_illegal_transition"
    assert _state() == before


def test_session_plan_bad_input(training_world: TrainingWorld) -> None:
    t = training_world
    course = t.course()
    start = timezone.make_aware(datetime.datetime(2017, 3, 1, 14, 0))
    before = _state()
    cases = [
        ({"starts_at": "not a time"}, "starts_at"),
        ({"ends_at": start - datetime.timedelta(hours=1)}, "ends_at"),
        ({"place": ""}, "place"),
        ({"trainer": " "}, "trainer"),
        ({"clerk_ids": [t.other_manager.pk]}, "clerk_ids"),
    ]
    for fields, field in cases:
        args = {"starts_at": start, "ends_at": start + datetime.timedelta(hours=2), "place": "会议室",
                "trainer": "王老师", "clerk_ids": [t.clerk.pk], **fields}
        with pytest.raises(DomainError) as caught:
            services.session_plan(by=t.manager, course=course, **args)
        assert caught.value.status == 422
        assert list(caught.value.fields) == [field]
    assert _state() == before


def test_session_refusals_change_nothing(training_world: TrainingWorld) -> None:
    t = training_world
    session = t.session()
    before = _state()
    with pytest.raises(PermissionDenied):  # invited: sees it, may not act
        services.session_hold(by=t.clerk, session=session)
    with pytest.raises(NotFound):
        services.session_hold(by=t.other_manager, session=session)
    with pytest.raises(NotFound):
        services.session_hold(by=t.manager, session=999999)
    with pytest.raises(Conflict) as caught:  # not held yet
        services.attendance_record(by=t.manager, session=session, marks={t.clerk.pk: "present", t.clerk2.pk: "present"})
    assert caught.value.code == "training_illegal_transition"
    with pytest.raises(Conflict) as caught:
        services.session_hold(by=t.manager, session=session, now=session.starts_at - datetime.timedelta(minutes=1))
    assert caught.value.code == "training_session_not_started"
    assert _state() == before
    services.session_hold(by=t.manager, session=session)
    before = _state()
    for marks in ({t.clerk.pk: "present"}, {t.clerk.pk: "present", t.clerk2.pk: "late"},
                  {t.clerk.pk: "present", t.clerk2.pk: "present", t.other_manager.pk: "present"}, {"x": "present"}):
        with pytest.raises(DomainError) as caught:
            services.attendance_record(by=t.manager, session=session, marks=marks)
        assert caught.value.status == 422
    assert _state() == before


def test_invite_replaces_the_list(training_world: TrainingWorld) -> None:
    t = training_world
    session = t.session(clerks=[t.clerk])
    services.session_invite(by=t.manager, session=session, clerk_ids=[t.clerk2.pk])
    assert list(session.attendances.values_list("clerk_id", flat=True)) == [t.clerk2.pk]
    services.session_hold(by=t.manager, session=session)
    before = _state()
    with pytest.raises(Conflict):
        services.session_invite(by=t.manager, session=session, clerk_ids=[t.clerk.pk])
    assert _state() == before
