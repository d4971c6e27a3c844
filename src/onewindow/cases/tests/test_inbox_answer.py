"""The staff inbox's answer (issue #17): the hand-written branch SQL (``cases.inbox``) picks exactly the cases
the ORM's scope (``permissions.staff_case_queryset_for``) and filters pick, in the same order, for every
filter and sort; the rows read without the ORM's converters equal the ORM's value rows; and the JSON sent
without the schema's validation is the validated rendering, byte for byte, masking included."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.db.models import Q
from django.test import Client

from onewindow.accounts.testing import make_api_token
from onewindow.cases import inbox, services
from onewindow.cases import permissions as perms
from onewindow.cases.choices import CaseStatus
from onewindow.cases.models import Case
from onewindow.cases.schemas import InboxOut, inbox_payload
from onewindow.cases.testing import CaseWorld
from onewindow.config.api import Utf8JsonRenderer
from onewindow.core.masking import mask_name

INBOX = "/api/v1/cases/inbox"


def reference_ids(user: object, *, status: str = "", level: str = "", q: str = "", mine: bool = False,
                  sort: str = "due", department_id: int | None = None) -> list[int]:
    """Page one by the ORM over the plain scope: what the inbox must show."""
    qs = perms.staff_case_queryset_for(user)
    if department_id:
        qs = qs.filter(Q(receiving_department_id=department_id) | Q(handling_department_id=department_id))
    if mine:
        qs = qs.filter(handler_id=user.pk)  # type: ignore[attr-defined]
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(title__icontains=q) | Q(query_code=q.upper()))
    qs = qs.filter(status=status) if status else qs.filter(status__in=inbox.OPEN_FOR_STAFF)
    if level:
        qs = qs.filter(deadline_level=level)
    return list(qs.order_by(*inbox.INBOX_SORTS[sort]).values_list("id", flat=True)[:inbox.INBOX_PAGE])


def a_varied_world(world: CaseWorld) -> list[Case]:
    """Cases in several statuses, levels, due dates and handlers, on both sides of the clerk's body; an
    online draft (never shown to staff) and a window draft (shown)."""
    p = world.p
    accepted = [services.case_accept(by=p.clerk, case_id=world.submitted().pk) for _n in range(4)]
    forwarded = world.forwarded_case()
    cases = [*accepted, forwarded, world.submitted(), world.in_status(CaseStatus.DELIVERED),
             world.draft(channel="online"),
             world.draft(by=p.clerk, channel="window", applicant_person=p.citizen.person,
                         receiving_department=p.department)]
    days = [datetime.date(2026, 6, 1) + datetime.timedelta(days=i % 3) for i in range(len(cases))]
    for case, day, level in zip(cases, days, ["green", "yellow", "red"] * 4, strict=False):
        Case.objects.filter(pk=case.pk).update(due_date=day, deadline_level=level)
    Case.objects.filter(pk=accepted[0].pk).update(handler=p.clerk, title="营业执照变更 ABC")
    return cases


def test_the_branches_pick_what_the_scope_picks(case_world: CaseWorld) -> None:
    p = case_world.p
    cases = a_varied_world(case_world)
    number = Case.objects.get(pk=cases[1].pk).number
    asks: list[dict[str, Any]] = [
            {}, {"status": "accepted"}, {"status": "delivered"}, {"status": "draft"}, {"status": "forwarded"},
            {"level": "yellow"}, {"status": "accepted", "level": "green"}, {"mine": True}, {"q": "abc"},
            {"q": number or "x"}, {"q": "营业"}, {"department_id": p.department.pk},
            {"department_id": case_world.center.pk}]
    # The branch SQL (a scope of departments) and the plain query (the system admin's every case) alike.
    users = [p.clerk, p.reviewer, case_world.center_clerk, p.clerk_other_department, p.manager, p.admin]
    for user in users:
        for ask in asks:
            for sort in inbox.INBOX_SORTS:
                got = [row["id"] for row in inbox.inbox_values_for(user, sort=sort, **ask).rows]
                assert got == reference_ids(user, sort=sort, **ask), (user, ask, sort)
    # The online draft stays the applicant's; the window draft is the clerk's to continue.
    drafts = [row["id"] for row in inbox.inbox_values_for(p.clerk, status="draft").rows]
    assert (cases[-2].pk in drafts, cases[-1].pk in drafts) == (False, True)


def test_rows_read_by_hand_equal_the_orm_rows(case_world: CaseWorld) -> None:
    a_varied_world(case_world)
    box = inbox.inbox_values_for(case_world.p.clerk, sort="new")
    ids = [row["id"] for row in box.rows]
    orm = list(Case.objects.filter(pk__in=ids).order_by("-id").values(*inbox.INBOX_VALUES))
    assert len(orm) >= 5
    assert [{k: v for k, v in row.items() if k != "provisional_year"} for row in box.rows] == orm


def test_inbox_json_is_the_validated_answer(case_world: CaseWorld) -> None:
    p = case_world.p
    a_varied_world(case_world)
    _token, bearer = make_api_token(name="inbox answer", scopes=["cases:read"], owner=p.clerk)
    response = Client(headers={"Authorization": f"Bearer {bearer}"}).get(INBOX, {"sort": "new"})
    assert (response.status_code, response["Content-Type"]) == (200, "application/json; charset=utf-8")
    box = inbox.inbox_values_for(p.clerk, sort="new")
    validated = InboxOut.model_validate(inbox_payload(box)).model_dump()
    assert response.content == Utf8JsonRenderer().render(None, validated, response_status=200).encode()  # type: ignore[arg-type]
    answer = json.loads(response.content)
    clerk = p.clerk.person.name if p.clerk.person is not None else p.clerk.username
    assert {row["handler"]["name"] for row in answer["items"] if row["handler"]} == {mask_name(clerk)}
    for row in answer["items"]:
        person = Case.objects.select_related("applicant_person").get(pk=row["id"]).applicant_person
        assert person is not None
        assert row["applicant"] == {"kind": "person", "name": mask_name(person.name), "credit_code": None}
        assert row["applicant"]["name"] != person.name
