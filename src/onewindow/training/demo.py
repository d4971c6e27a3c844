"""Demo data of training (培训管理, issue #14 part 5), run by ``onewindow demo_data`` after the
analytics rollups: at the 临汾路 center, key courses for the largest of the items the rollups
propose for key training (重点培训, at least TRAINING_KEY_VOLUME cases over the 12 months before
the center's last day of cases), each with sessions in 2016–2017 and in recent months, held and
with the attendance of the center's clerks (``centerclerk`` and the nine others; mostly present,
some excused or absent), and one planned session in the coming week (its invitees get
reminders). The other key items stay proposed, so the key-training list shows both. Written
through the services (events, audit) as the system. Idempotent: a second run finds the courses
and returns. Deterministic from the seed.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from onewindow.catalog.models import ServiceItem
from onewindow.centers.demo_names import CENTER_CODE
from onewindow.centers.models import Center, CenterStaff
from onewindow.core.actors import system_actor

from . import reminder_feed, services
from .choices import AttendanceStatus, CourseBasis
from .models import Course
from .selectors.key import default_day, key_item_volumes

KEY_COURSES = 8
PLACES = ("中心三楼会议室", "中心二楼培训室")
TRAINERS = ("张建华", "李敏", "王晓东", "陈静")
#: Past sessions: (year, month, day) of working days in 2016–2017.
HISTORY_DAYS = ((2016, 10, 18), (2016, 12, 6), (2017, 3, 14), (2017, 5, 23), (2017, 8, 15))


def _at(day: datetime.date, hour: int = 14) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def _weekday(day: datetime.date) -> datetime.date:
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def load(progress: Callable[[int], Any] = lambda n: None, seed: int = 20170929) -> list[tuple[str, str, str]]:
    center = Center.objects.filter(code=CENTER_CODE).first()
    if center is None or Course.objects.filter(center=center).exists():
        return []
    rng = random.Random(seed)
    by = system_actor("demo_training")
    clerks = list(CenterStaff.objects.filter(center=center, valid=True, is_manager=False)
                  .order_by("user_id").values_list("user_id", flat=True))
    volumes = key_item_volumes(center_id=center.pk, on=default_day(center.pk))
    ranked = [item_id for item_id, _n in sorted(volumes.items(), key=lambda p: (-p[1], p[0]))][:KEY_COURSES]
    if not ranked:  # no rollups yet: the center's first items
        ranked = list(center.items.order_by("pk").values_list("pk", flat=True)[:KEY_COURSES])
    names = dict(ServiceItem.objects.filter(pk__in=ranked).values_list("pk", "name"))
    today = timezone.localdate()
    recent = [_weekday(today - datetime.timedelta(days=d)) for d in (75, 40, 12)]
    for index, item_id in enumerate(ranked):
        with transaction.atomic():
            course = services.course_create(by=by, center_id=center.pk, title=f"{names[item_id]}业务培训",
                                            item_ids=[item_id], basis=CourseBasis.KEY,
                                            note="年办件量500件以上，纳入重点培训，定期开展。")
            days = [datetime.date(*d) for d in HISTORY_DAYS[index % 2::2]] + [recent[index % len(recent)]]
            for day in days:
                _held(by, course, day, clerks, rng)
                progress(1)
            if index < 2:  # the coming week: planned, its invitees are reminded
                start = _at(_weekday(today + datetime.timedelta(days=3 + index)), 9 + index * 5)
                end = start + datetime.timedelta(hours=2)
                services.session_plan(by=by, course=course, starts_at=start, ends_at=end, place=PLACES[index % 2],
                                      trainer=TRAINERS[index], clerk_ids=clerks)
                progress(1)
    reminder_feed.training_reminders_feed()
    return []


def _held(by: Any, course: Course, day: datetime.date, clerks: list[int], rng: random.Random) -> None:
    start = _at(day, rng.choice((9, 14)))
    invited = [c for c in clerks if rng.random() < 0.8] or clerks
    session = services.session_plan(by=by, course=course, starts_at=start, ends_at=start + datetime.timedelta(hours=2),
                                     place=rng.choice(PLACES), trainer=rng.choice(TRAINERS), clerk_ids=invited)
    services.session_hold(by=by, session=session)
    marks = {}
    for clerk_id in invited:
        roll = rng.random()
        marks[clerk_id] = (AttendanceStatus.PRESENT if roll < 0.85 else
                           AttendanceStatus.EXCUSED if roll < 0.95 else AttendanceStatus.ABSENT)
    services.attendance_record(by=by, session=session, marks=marks)
