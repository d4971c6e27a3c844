"""Demo data of elastic staffing (弹性调配, issue #15 "Demo"), run by ``onewindow demo_data`` after
the centers demo (the 临汾路 center and its queue history) and the analytics demo (the rollups,
``TicketSlotFact`` among them):

1. the clerks' terms (用工): every window clerk of the center full-time, except one part-time
   clerk (4 hours a day, 5 days a week), so that the proposal shows the duty rules at work;
2. the center's demand model (part 1), built from the rollups as the nightly job would
   (``services.demand.demand_model_build``, as the system);
3. the proposal for next week (parts 2–4), made as ``manager`` (``services.proposal.proposal_make``),
   with its draft roster and the simulated comparison of the current plan, the peak rule and the
   proposal. The roster is **not** published: in a fresh demo the manager finds next week's
   proposal waiting for a decision, as a manager would on a Friday, and publishing it is the one
   step left to try (publishing sets next week's appointment capacity per slot from the windows
   planned, and the clerks then see their shifts);
4. today's live advice (part 5, ``services.advice.advice_refresh``), so that ``/staffing/`` shows
   the flags at once; the periodic job refreshes it every 5 minutes afterwards.

**How the over- and under-staffed slots of the history were planted** (so that the flags mean
something; checked by ``tests/test_demo.py`` from the rollups). Nothing staffing-specific is drawn:
the mismatch is the one the seed article describes, built into the centers demo's generator. Its
duty plan (``centers.demo.history._History.staffed``) is flat all day — 7 to 10 windows from the
day's expected volume (one window per ``VISITS_PER_WINDOW`` = 32 expected visits), open
09:00–17:00 with a lunch in two shifts — while the arrivals follow
``centers.demo_names.QUARTER_WEIGHTS``: peaks 09:00–10:30 and 13:30–14:30, and from 16:00 about a
quarter of the morning peak. So the peaks need more windows than the day's flat plan gives, and
their waits miss the target (人少于事), while the late afternoon keeps every window open for a
trickle of visitors (人浮于事). The morning peak stays within what the center's ten windows can
serve on an ordinary week (about 8 erlangs on a Monday), so a proposal exists; a week the windows
cannot serve (a slot at or above 10 erlangs: the Monday after a holiday, a January Monday) is
refused by ``proposal_make`` naming the slot, and the demo proposes the first of the next
``WEEKS_TRIED`` weeks that can be served. On the one-month history (``size="small"``) the test
counts short slots on most mornings, nearly all of them in the two peaks, and an idle 16:00 slot
on nearly every day.

Idempotent: each step looks for what it would write (terms, a demand model, next week's proposal,
advice of today) and skips when it is there, so a second run adds nothing. Prints nothing.
Deterministic apart from the clock (``today`` defaults to the local date).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from onewindow.centers.demo_names import CENTER_CODE
from onewindow.centers.models import Center, CenterStaff, OpeningHours
from onewindow.core.actors import system_actor

from .models import Advice, ClerkTerms, DemandModel, Proposal
from .services.advice import advice_refresh
from .services.demand import demand_model_build
from .services.proposal import Impossible, proposal_make

#: The part-time clerk of the demo (非全日制: 4 hours a day, 5 days a week).
PART_TIME_CLERK = "lfl-clerk05"
PART_TIME_MINUTES = 240
#: When the demo is loaded outside today's opening hours, advice is made for this time of today.
ADVICE_AT = datetime.time(10, 0)


def next_monday(today: datetime.date) -> datetime.date:
    """The Monday of the week after ``today``'s."""
    return today + datetime.timedelta(days=7 - today.weekday())


def _terms(center: Center) -> int:
    """用工 of every window clerk of the center (only those missing)."""
    clerks = list(CenterStaff.objects.filter(center=center, valid=True, is_manager=False)
                  .select_related("user").order_by("user_id"))
    have = set(ClerkTerms.objects.filter(center=center).values_list("user_id", flat=True))
    rows = [ClerkTerms(center=center, user=s.user, part_time=s.user.username == PART_TIME_CLERK,
                       max_minutes_per_day=PART_TIME_MINUTES if s.user.username == PART_TIME_CLERK else 480,
                       max_days_per_week=5)
            for s in clerks if s.user_id not in have]
    ClerkTerms.objects.bulk_create(rows)
    return len(rows)


def _advice_moment(center: Center, today: datetime.date) -> datetime.datetime:
    """Now, if the demo is loaded during today's opening hours; else ``ADVICE_AT`` of today."""
    now = timezone.localtime()
    hours = OpeningHours.objects.filter(center=center, weekday=today.weekday()).first()
    if now.date() == today and hours is not None and hours.opens <= now.time() < hours.last_ticket:
        return now
    return timezone.make_aware(datetime.datetime.combine(today, ADVICE_AT))


WEEKS_TRIED = 8


def _propose(manager: Any, center: Center, weeks: list[datetime.date]) -> None:
    """Next week's proposal; a week the center's windows cannot serve at the target (a slot whose
    load is at or above all its windows: the Monday after a holiday, a January Monday) is refused
    by ``proposal_make`` with nothing written, and the demo proposes the first week that can be."""
    for week in weeks[:-1]:
        try:
            with transaction.atomic():
                proposal_make(by=manager, center_id=center.pk, week_start=week)
            return
        except Impossible:
            continue
    proposal_make(by=manager, center_id=center.pk, week_start=weeks[-1])


def load(progress: Callable[[int], Any] = lambda n: None, seed: int = 20170929,
         today: datetime.date | None = None, size: str = "full") -> list[tuple[str, str, str]]:
    """Load the staffing demo of the 临汾路 center once (see the module docstring). ``seed`` and
    ``size`` are the command's (nothing here is drawn; the history's length is the centers
    demo's). Returns no accounts: ``manager`` and ``centerclerk`` are printed by other steps."""
    del seed, size
    center = Center.objects.filter(code=CENTER_CODE).first()
    manager = get_user_model().objects.filter(username="manager").first()
    if center is None or manager is None:
        raise RuntimeError("load the centers demo data first (the 临汾路 center and its manager)")
    today = today or timezone.localdate()
    with transaction.atomic():  # all or nothing: a refused proposal leaves no terms or model behind
        progress(_terms(center))
        if not DemandModel.objects.filter(center=center).exists():
            demand_model_build(by=system_actor("demo_staffing"), center_id=center.pk)
            progress(1)
        weeks = [next_monday(today) + datetime.timedelta(weeks=n) for n in range(WEEKS_TRIED)]
        if not Proposal.objects.filter(center=center, week_start__in=weeks).exists():
            _propose(manager, center, weeks)
            progress(1)
        if not Advice.objects.filter(center=center, date=today).exists():
            advice_refresh(center.pk, _advice_moment(center, today))
            progress(1)
    return []
