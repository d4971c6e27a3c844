"""Window management: states, 弹性调配 of categories, duties — with refusals that change nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from onewindow.centers import services
from onewindow.centers.choices import WindowState
from onewindow.centers.models import Window, WindowDuty
from onewindow.centers.testing import CenterWorld, take
from onewindow.core.errors import DomainError


def test_manager_reassigns_categories_and_the_next_call_follows(center_world: CenterWorld) -> None:
    w = center_world
    b_ticket = take(w, w.b, 0)
    with pytest.raises(DomainError) as excinfo:
        services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(1))
    assert excinfo.value.code == "queue_empty"  # window 1 serves A and C only
    with pytest.raises(DomainError) as excinfo:
        services.window_set_categories(by=w.clerk, window_id=w.w1.pk, category_ids=[w.b.pk])
    assert excinfo.value.code == "not_center_manager"
    with pytest.raises(DomainError) as excinfo:
        services.window_set_categories(by=w.manager, window_id=w.w1.pk, category_ids=[w.b.pk, 999])
    assert excinfo.value.code == "categories_invalid"
    assert sorted(w.w1.categories.values_list("prefix", flat=True)) == ["A", "C"]
    services.window_set_categories(by=w.manager, window_id=w.w1.pk, category_ids=[w.b.pk])
    assert services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(2)).pk == b_ticket.pk


def test_states_and_duties(center_world: CenterWorld) -> None:
    w = center_world
    today = timezone.localdate()
    with pytest.raises(DomainError) as excinfo:
        services.window_set_state(by=w.clerk, window_id=w.w2.pk, state=WindowState.PAUSED)
    assert excinfo.value.code == "not_window_manager"  # not on duty there today
    services.duty_assign(by=w.manager, window_id=w.w2.pk, user_id=w.clerk.pk, day=today)
    with pytest.raises(DomainError) as excinfo:
        services.duty_assign(by=w.manager, window_id=w.w3.pk, user_id=w.clerk.pk, day=today)
    assert excinfo.value.code == "duty_taken"
    with pytest.raises(DomainError) as excinfo:
        services.duty_assign(by=w.manager, window_id=w.w3.pk, user_id=w.cw.p.clerk.pk, day=today)
    assert excinfo.value.code == "clerk_invalid"
    assert WindowDuty.objects.count() == 1
    assert services.window_set_state(by=w.clerk, window_id=w.w2.pk, state=WindowState.PAUSED).state == "paused"
    ticket = take(w, w.a, 0)
    services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(1))
    with pytest.raises(DomainError) as excinfo:
        services.window_set_state(by=w.manager, window_id=w.w1.pk, state=WindowState.CLOSED)
    assert excinfo.value.code == "window_busy"
    assert Window.objects.get(pk=w.w1.pk).state == WindowState.OPEN
    services.ticket_skip(by=w.clerk, ticket_id=ticket.pk, now=w.at(2))
    assert services.window_set_state(by=w.manager, window_id=w.w1.pk, state="closed").state == "closed"


def test_duties_replace_swaps_a_days_plan_whole_or_not_at_all(center_world: CenterWorld) -> None:
    w = center_world
    today = timezone.localdate()
    services.duty_assign(by=w.manager, window_id=w.w1.pk, user_id=w.clerk.pk, day=today)
    before = list(WindowDuty.objects.values_list("window_id", "user_id", "date"))
    refusals = [
        (w.clerk, [(w.w2.pk, w.clerk.pk)], "not_center_manager"),
        (w.manager, [(w.w2.pk, w.cw.p.clerk.pk)], "duty_invalid"),  # not a clerk of this center
        (w.manager, [(w.w2.pk, w.clerk.pk), (w.w3.pk, w.clerk.pk)], "duty_invalid"),  # one clerk twice
        (w.manager, [(999999, w.clerk.pk)], "duty_invalid"),  # no such window of the center
    ]
    for by, duties, code in refusals:
        with pytest.raises(DomainError) as excinfo:
            services.duties_replace(by=by, center_id=w.center.pk, day=today, duties=duties)
        assert excinfo.value.code == code
        assert list(WindowDuty.objects.values_list("window_id", "user_id", "date")) == before
    services.duties_replace(by=w.manager, center_id=w.center.pk, day=today, duties=[(w.w3.pk, w.clerk.pk)])
    assert list(WindowDuty.objects.values_list("window_id", "user_id", "date")) == [(w.w3.pk, w.clerk.pk, today)]
