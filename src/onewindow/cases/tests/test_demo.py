"""The demo cases: a plausible year of 静安区 cases with consistent numbers, clocks and documents,
thinner years of the other 15 districts (issue #10), the demo accounts' stories through the real
services, loaded once (issue #3 part 12)."""

from __future__ import annotations

import datetime
import random
from collections import Counter, defaultdict

import pytest
from django.db import transaction
from django.utils import timezone

from onewindow.accounts import demo as accounts_demo
from onewindow.accounts.models import StaffRole, User
from onewindow.cases import deadlines, demo, selectors, services
from onewindow.cases.choices import CaseStatus, ClockKind
from onewindow.cases.models import Case, CaseClock, CaseEvent, Document, Licence
from onewindow.catalog import demo as catalog_demo
from onewindow.core.actors import system_actor
from onewindow.core.models import AuditEntry, Department, NumberCounter
from onewindow.core.services import regions_load
from onewindow.notifications.models import Message

SEED = 20170929


def _gap_free(numbers: list[str], counters: dict[str, int], scope_of: object) -> None:
    by_scope: dict[str, list[int]] = defaultdict(list)
    for number in numbers:
        scope, n = scope_of(number)  # type: ignore[operator]
        by_scope[scope].append(n)
    for scope, values in by_scope.items():
        assert sorted(values) == list(range(1, len(values) + 1)), scope
        assert counters[scope] == len(values), scope


@pytest.mark.django_db
def test_demo_cases_are_a_consistent_year_with_the_stories_and_load_once() -> None:
    regions_load(by=system_actor("test"))
    catalog_demo.load(progress=lambda n: None, seed=SEED)
    accounts_demo.load(progress=lambda n: None, seed=SEED)
    ticks: list[int] = []
    accounts = demo.load(progress=ticks.append, seed=SEED)
    assert accounts == [demo.CENTERCLERK]
    center = Department.objects.get(code="310106021-SQSW")
    assert StaffRole.objects.filter(user__username="centerclerk", role="window_clerk", department=center).exists()

    # 静安区's year: size, outcomes, open cases with their warning levels (exact for the seed; the
    # other districts' streams of their own leave it as it was before they were added).
    # (the 临汾路 seed window of 2016–2017 is a history of its own: analytics/tests/test_seed_window.py)
    year_start = timezone.make_aware(datetime.datetime(2025, 11, 1))
    jingan = Case.objects.filter(handling_department__region__code__in=["310106", "310106021"],
                                 created_at__gte=year_start)
    statuses = Counter(jingan.values_list("status", flat=True))
    # (re-planned when 5 of the center's items were withdrawn in the catalog demo: the year offers
    # the 165 in force, so its random picks moved)
    assert dict(statuses) == {
        "delivered": 22310, "not_accepted": 697, "withdrawn": 236, "under_review": 198, "approved": 103,
        "accepted": 83, "submitted": 46, "correction": 25, "pre_review": 19, "rejected": 5, "forwarded": 1,
        "draft": 1}
    total = sum(statuses.values())
    assert sum(ticks) > Case.objects.count()
    open_cases = jingan.exclude(status__in=["delivered", "withdrawn", "not_accepted", "draft"])
    assert dict(Counter(open_cases.values_list("deadline_level", flat=True))) == {"green": 440, "yellow": 19,
                                                                                   "red": 21}
    corrected = CaseEvent.objects.filter(action="request_correction", case__in=jingan).values("case").distinct().count()
    assert 0.07 < corrected / total < 0.09
    assert 0.025 < statuses["not_accepted"] / total < 0.035
    assert 0.015 < Document.objects.filter(kind="rejection", case__in=jingan).count() / total < 0.025
    assert 0.008 < statuses["withdrawn"] / total < 0.012
    # Every other district has its thinner year: 2.5 % of 静安区's volume (浦东新区 5 %).
    others = Counter(Case.objects.exclude(handling_department__region__code__in=["310106", "310106021"])
                     .values_list("handling_department__region__code", flat=True))
    assert len(others) == 15 and "310106" not in others
    assert 0.015 * total < min(others.values()) and max(others.values()) < 0.07 * total
    assert max(others, key=lambda code: others[code]) == "310115"

    # Working days much busier than weekends, Monday the busiest, the Spring Festival quiet.
    days = Counter(timezone.localtime(t).date() for t in jingan.filter(
        submitted_at__lt=demo.CUTOFF).values_list("submitted_at", flat=True))
    weekday = Counter(d.weekday() for d in days.elements())
    per_weekday = {w: weekday[w] / sum(1 for d in _dates() if d.weekday() == w) for w in range(7)}
    assert min(per_weekday[w] for w in range(5)) > 5 * max(per_weekday[5], per_weekday[6])
    assert max(per_weekday, key=lambda w: per_weekday[w]) == 0
    festival = sum(days[datetime.date(2026, 2, 15) + datetime.timedelta(n)] for n in range(9))
    assert festival == 15  # nine days of holiday, online only
    assert days[datetime.date(2026, 10, 1)] < 10 < days[datetime.date(2026, 9, 30)]

    # Numbers gap-free per scope, counters at the last number, and the next submission continues.
    counters = dict(NumberCounter.objects.filter(scope__startswith="cases").values_list("scope", "value"))
    _gap_free(list(Case.objects.exclude(number=None).values_list("number", flat=True)), counters,
              lambda n: (f"cases:{n[:6]}:{n[7:11]}", int(n[12:])))
    dept_pk = dict(Department.objects.values_list("code", "pk"))
    kinds = {v: k for k, v in services.common.DOCUMENT_PREFIX.items()}
    _gap_free(list(Document.objects.values_list("number", flat=True)), counters,
              lambda n: (f"cases.doc:{kinds[n.split('-')[0]]}:{dept_pk['-'.join(n.split('-')[1:-2])]}:"
                         f"{n.split('-')[-2]}", int(n.split("-")[-1])))
    _gap_free(list(Licence.objects.values_list("number", flat=True)), counters,
              lambda n: (f"cases.licence:{dept_pk['-'.join(n.split('-')[1:-2])]}:{n.split('-')[-2]}",
                         int(n.split("-")[-1])))
    assert Licence.objects.count() == Document.objects.filter(kind="approval").count()

    # Clocks as the services compute them (core calendar), one running clock per kind at most.
    rng = random.Random(1)
    clocks = list(CaseClock.objects.order_by("pk"))
    for clock in rng.sample(clocks, 150):
        assert clock.due_date == deadlines.due_date(start=clock.start_date, limit_days=clock.limit_days,
                                                    extended_days=0, suspended_days=0, unit=clock.unit)
    # The periodic check finds nothing to do on the day the levels were computed for.
    assert services.deadlines_check(today=demo.AS_OF) == {"deemed_accepted": 0, "raised": 0}
    delivered = Case.objects.filter(status="delivered").order_by("pk").first()
    assert delivered is not None and delivered.due_date is None
    assert [e.action for e in CaseEvent.objects.filter(case=delivered).order_by("pk")][-1] == "deliver"
    assert not CaseClock.objects.filter(case=delivered, stopped_on=None).exists()

    # The stories, through the services: statuses, timeline, the SMS in the outbox.
    citizen, agent, clerk = (User.objects.get(username=u) for u in ("citizen", "agent", "clerk"))
    mine = dict(Case.objects.filter(owner=citizen).values_list("status", "channel").order_by("pk"))
    assert mine == {"approved": "online", "correction": "online", "draft": "online", "forwarded": "window"}
    approved = Case.objects.get(owner=citizen, status=CaseStatus.APPROVED)
    assert [e.action for e in approved.events.order_by("pk")] == [
        "create", "submit", "start_pre_review", "accept", "start_review", "approve"]
    assert Message.objects.filter(subject_id=str(approved.pk), channel="sms", event="case_approved").count() == 1
    assert approved.licence.holder_person == citizen.person
    correction = Case.objects.get(owner=citizen, status=CaseStatus.CORRECTION)
    assert correction.clocks.get(kind=ClockKind.CORRECTION).stopped_on is not None
    assert not correction.clocks.filter(stopped_on=None).exists() and correction.due_date is None
    forwarded = Case.objects.get(status=CaseStatus.FORWARDED, owner=citizen)
    assert (forwarded.receiving_department, forwarded.applicant_person) == (center, citizen.person)
    assert forwarded.submitter.username == "centerclerk"
    enterprise = Case.objects.get(agent=agent.person)
    assert (enterprise.status, enterprise.applicant_organization) == ("submitted", agent.organization)
    for case in (forwarded, enterprise, approved):  # the demo clerk's inbox shows the stories
        assert [c.pk for c in selectors.inbox_for(clerk, q=case.number).rows] == [case.pk]

    # The next submission continues the sequence of its year.
    year = timezone.localdate().year
    last = counters.get(f"cases:310106:{year}", 0)
    with transaction.atomic():
        case = services.case_create(by=clerk, item_code=forwarded.item.code, channel="window",
                                    form_data=forwarded.form_data, applicant_person=citizen.person,
                                    receiving_department=forwarded.handling_department)
    case = services.case_submit(by=clerk, case_id=case.pk)
    assert case.number == f"310106-{year}-{last + 1:07d}"

    # A second run adds nothing and returns at once.
    before = (Case.objects.count(), CaseEvent.objects.count(), CaseClock.objects.count(),
              Document.objects.count(), AuditEntry.objects.count(), User.objects.count())
    assert demo.load(progress=lambda n: None, seed=SEED) == accounts
    assert (Case.objects.count(), CaseEvent.objects.count(), CaseClock.objects.count(), Document.objects.count(),
            AuditEntry.objects.count(), User.objects.count()) == before


def _dates() -> list[datetime.date]:
    day, out = demo.FIRST_DAY, []
    while day <= demo.LAST_DAY:
        out.append(day)
        day += datetime.timedelta(days=1)
    return out
