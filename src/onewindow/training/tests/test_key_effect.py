"""Key-training proposals, signals and a course's effect, from fixed rollup rows (exact)."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from onewindow.core.errors import NotFound
from onewindow.training import selectors, services
from onewindow.training.selectors.key import year_before
from onewindow.training.testing import TrainingWorld, case_facts, rating_facts

pytestmark = pytest.mark.django_db
SEED_DAY = datetime.date(2017, 9, 5)
D = datetime.date


def test_year_before() -> None:
    assert year_before(SEED_DAY) == (D(2016, 9, 6), D(2017, 9, 5))
    assert year_before(D(2016, 2, 29)) == (D(2015, 3, 1), D(2016, 2, 29))


def _volumes(t: TrainingWorld) -> None:
    case_facts(t.center, t.item, D(2016, 9, 6), received=300)  # first day of the window
    case_facts(t.center, t.item, D(2017, 9, 5), received=200, clerk=t.clerk)  # last day
    case_facts(t.center, t.street_item, D(2016, 9, 5), received=400)  # the day before: outside
    case_facts(t.center, t.street_item, D(2017, 1, 10), received=499)
    case_facts(t.other_center, t.street_item, D(2017, 1, 10), received=900)  # another center


def test_key_proposals_exact(training_world: TrainingWorld) -> None:
    t = training_world
    _volumes(t)
    result = selectors.key_proposals(by=t.manager, center_id=t.center.pk, on=SEED_DAY)
    assert (result["start"], result["end"], result["threshold"], result["untrained"]) == (
        D(2016, 9, 6), SEED_DAY, 500, 1)
    assert [(r["item_id"], r["volume"], r["proposed"]) for r in result["items"]] == [(t.item.pk, 500, True)]
    with override_settings(TRAINING_KEY_VOLUME=499):
        result = selectors.key_proposals(by=t.manager, center_id=t.center.pk, on=SEED_DAY)
    assert [(r["item_id"], r["volume"]) for r in result["items"]] == [(t.item.pk, 500), (t.street_item.pk, 499)]


def test_a_session_in_the_year_covers_the_item(training_world: TrainingWorld) -> None:
    t = training_world
    _volumes(t)
    course = t.course(items=[t.item], basis="key")
    old = t.session(course, start=timezone.make_aware(datetime.datetime(2016, 9, 5, 9, 0)))  # before the year
    assert selectors.key_proposals(by=t.manager, center_id=t.center.pk, on=SEED_DAY)["untrained"] == 1
    cancelled = t.session(course, start=timezone.make_aware(datetime.datetime(2017, 5, 5, 9, 0)))
    services.session_cancel(by=t.manager, session=cancelled, reason="改期")
    assert selectors.key_proposals(by=t.manager, center_id=t.center.pk, on=SEED_DAY)["untrained"] == 1
    held = t.session(course, start=timezone.make_aware(datetime.datetime(2017, 5, 6, 9, 0)))
    result = selectors.key_proposals(by=t.manager, center_id=t.center.pk, on=SEED_DAY)
    assert result["untrained"] == 0
    assert [(r["item_id"], r["last_session_at"], r["proposed"]) for r in result["items"]] == [
        (t.item.pk, held.starts_at, False)]
    assert old.pk != held.pk


@pytest.mark.parametrize("who", ["clerk", "other_manager"])
def test_key_proposals_hidden_from_others(training_world: TrainingWorld, who: str) -> None:
    t = training_world
    with pytest.raises(NotFound):
        selectors.key_proposals(by=getattr(t, who), center_id=t.center.pk, on=SEED_DAY)
    with pytest.raises(NotFound):
        selectors.signal_proposals(by=getattr(t, who), center_id=t.center.pk, on=SEED_DAY)


def test_home_summary(training_world: TrainingWorld) -> None:
    t = training_world
    _volumes(t)
    course = t.course(items=[t.item])
    soon = timezone.now() + datetime.timedelta(days=3)
    later = t.session(course, start=soon + datetime.timedelta(days=1))
    first = t.session(course, start=soon)
    t.session(course, start=timezone.make_aware(datetime.datetime(2017, 3, 1, 9, 0)))  # past
    summary = selectors.home_summary(by=t.manager, center_id=t.center.pk)
    assert summary["sessions_upcoming"] == [
        {"id": first.pk, "title": "户籍业务培训", "starts_at": first.starts_at},
        {"id": later.pk, "title": "户籍业务培训", "starts_at": later.starts_at}]
    # the rollups end on 2017-09-05, so the year is the seed's; the item has sessions in it
    assert summary["key_items_untrained"] == 0
    assert selectors.home_summary(by=t.other_manager, center_id=t.center.pk) == {
        "sessions_upcoming": [], "key_items_untrained": 0}


@override_settings(TRAINING_SIGNAL_MIN_COUNT=3, TRAINING_SIGNAL_MIN_SCORE=4.0, TRAINING_SIGNAL_BAD_SHARE=0.2,
                   TRAINING_SIGNAL_MEDIAN_HOURS=24)
def test_signals_exact(training_world: TrainingWorld) -> None:
    t = training_world
    rating_facts(t.center, t.item, D(2017, 5, 1), scores=[5, 2, 1, 5], clerk=t.clerk)  # avg 3.25, bad 0.5
    rating_facts(t.center, t.street_item, D(2017, 5, 1), scores=[5, 5, 4], clerk=t.clerk2)
    case_facts(t.center, t.street_item, D(2017, 5, 1), received=3, handling_hours=[30, 40, 50], clerk=t.clerk2)
    rating_facts(t.center, t.street_item, D(2016, 5, 1), scores=[1, 1, 1])  # outside the year
    result = selectors.signal_proposals(by=t.manager, center_id=t.center.pk, on=SEED_DAY)
    assert [(r["id"], r["reasons"], r["average_score"], r["bad_share"]) for r in result["items"]] == [
        (t.item.pk, ["low_score", "bad_share"], 3.25, 0.5), (t.street_item.pk, ["slow"], 4.67, 0.0)]
    assert [(r["id"], r["reasons"]) for r in result["clerks"]] == [
        (t.clerk.pk, ["low_score", "bad_share"]), (t.clerk2.pk, ["slow"])]
    # 30 h and 40 h in the bucket 24–48 h, 50 h above: the median interpolates to 24 + 24 × 1.5 / 2
    assert result["items"][1]["median_hours"] == 42.0


def test_course_effect_exact(training_world: TrainingWorld) -> None:
    t = training_world
    course = t.course(items=[t.item])
    session = t.session(course, start=timezone.make_aware(datetime.datetime(2017, 3, 1, 14, 0)))
    services.session_hold(by=t.manager, session=session)
    services.attendance_record(by=t.manager, session=session, marks={t.clerk.pk: "present", t.clerk2.pk: "excused"})
    # before: 2017-02-19 … 02-28; after: 03-02 … 03-11 (10 days each); the day itself in neither
    rating_facts(t.center, t.item, D(2017, 2, 19), scores=[5, 5], clerk=t.clerk)
    rating_facts(t.center, t.item, D(2017, 2, 28), scores=[3], clerk=t.clerk2)
    rating_facts(t.center, t.item, D(2017, 2, 18), scores=[1, 1])  # outside
    rating_facts(t.center, t.item, D(2017, 3, 1), scores=[1])  # the day itself
    rating_facts(t.center, t.item, D(2017, 3, 2), scores=[5, 5, 5], clerk=t.clerk)
    rating_facts(t.center, t.item, D(2017, 3, 11), scores=[4], clerk=t.clerk2)
    rating_facts(t.center, t.street_item, D(2017, 3, 5), scores=[1])  # not the course's item
    case_facts(t.center, t.item, D(2017, 2, 20), received=3, handling_hours=[10, 10, 10], clerk=t.clerk)
    case_facts(t.center, t.item, D(2017, 3, 3), received=2, handling_hours=[2, 2], clerk=t.clerk)
    effect = selectors.course_effect(by=t.manager, course_id=course.pk, days=10)
    assert effect["days"] == 10
    [row] = effect["sessions"]
    assert (row["before"], row["after"], row["attended"]) == (
        (D(2017, 2, 19), D(2017, 2, 28)), (D(2017, 3, 2), D(2017, 3, 11)), 1)
    assert row["items"] == {
        "before": {"ratings": 3, "average_score": 4.33, "bad": 0, "bad_share": 0.0, "handled": 3, "median_hours": 10.0},
        "after": {"ratings": 4, "average_score": 4.75, "bad": 0, "bad_share": 0.0, "handled": 2, "median_hours": 2.5}}
    assert row["clerks"] == {
        "before": {"ratings": 2, "average_score": 5.0, "bad": 0, "bad_share": 0.0, "handled": 3, "median_hours": 10.0},
        "after": {"ratings": 3, "average_score": 5.0, "bad": 0, "bad_share": 0.0, "handled": 2, "median_hours": 2.5}}
    with pytest.raises(NotFound):
        selectors.course_effect(by=t.other_manager, course_id=course.pk)
    with pytest.raises(NotFound):
        selectors.course_effect(by=t.clerk, course_id=course.pk)
