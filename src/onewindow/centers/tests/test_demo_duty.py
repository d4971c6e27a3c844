"""The demo's window and duty events (centers/demo/duty.py), on the small demo (one month): each
staffed window-day has its clerk's sign-in, the open, at most one lunch pause and resume, the close
and the sign-out, in that order; and every ticket served there lies inside the clerk's time on duty
and outside the pause (a clerk is on duty while serving) — the facts DutyDayFact is built from."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

import pytest
from django.utils import timezone

from onewindow.accounts import demo as accounts_demo
from onewindow.catalog import demo as catalog_demo
from onewindow.centers import demo
from onewindow.centers.models import Ticket, WindowDuty, WindowEvent
from onewindow.core.actors import system_actor
from onewindow.core.services import regions_load

SEED = 20170929
TODAY = datetime.date(2026, 11, 27)


@pytest.mark.django_db
def test_every_staffed_window_day_has_consistent_duty_events() -> None:
    regions_load(by=system_actor("test"))
    catalog_demo.load(progress=lambda n: None, seed=SEED)
    accounts_demo.load(progress=lambda n: None, seed=SEED)
    demo.load(progress=lambda n: None, seed=SEED, today=TODAY, size="small")

    days: dict[tuple[datetime.date, int], list[tuple[str, Any, datetime.datetime]]] = defaultdict(list)
    for window_id, action, clerk_id, at in WindowEvent.objects.order_by("at", "id").values_list(
            "window_id", "action", "clerk_id", "at"):
        days[timezone.localdate(at), window_id].append((action, clerk_id, at))
    duties = {(d, w): u for w, u, d in WindowDuty.objects.filter(date__lt=TODAY).values_list("window_id", "user_id",
                                                                                              "date")}
    assert set(days) == set(duties) and len(days) > 100
    lunches = 0
    for key, rows in days.items():
        actions = [a for a, _c, _t in rows]
        assert actions in (["sign_in", "open", "pause", "resume", "close", "sign_out"],
                           ["sign_in", "open", "close", "sign_out"]), (key, actions)
        lunches += "pause" in actions
        assert {c for a, c, _t in rows if a in ("sign_in", "sign_out")} == {duties[key]}
        times = {a: t for a, _c, t in rows}
        assert times["close"] >= timezone.make_aware(datetime.datetime.combine(key[0], datetime.time(17, 0)))
    assert lunches > 0.9 * len(days)

    served = Ticket.objects.filter(date__lt=TODAY, status="done").values_list("date", "window_id", "clerk_id",
                                                                              "started_at", "finished_at")
    for day, window_id, clerk_id, started, finished in served:
        times = {a: t for a, _c, t in days[day, window_id]}
        assert duties[day, window_id] == clerk_id
        assert times["sign_in"] <= started and finished <= times["sign_out"]
        if "pause" in times:
            assert finished <= times["pause"] or started >= times["resume"], (day, window_id, started)
