"""The staff pages' choice lists are scoped reads in ``selectors`` (moved from staff_forms, issue #10
part 3): each offers exactly what the services would accept from the user, nothing to anyone else."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.cases import permissions as perms
from onewindow.cases import selectors
from onewindow.cases.testing import CaseWorld
from onewindow.core.errors import DomainError
from onewindow.core.models import Department

pytestmark = pytest.mark.django_db


def test_receiving_bodies_are_those_the_user_may_receive_for(case_world: CaseWorld) -> None:
    p = case_world.p
    departments = list(Department.objects.filter(is_active=True))
    for user in (p.clerk, case_world.center_clerk, p.reviewer, p.manager, p.citizen, p.agent):
        offered = {d.pk for d in selectors.receiving_departments_for(user)}
        assert offered == {d.pk for d in departments if perms.may_receive_for(user, d)}, user
    assert selectors.receiving_departments_for(case_world.center_clerk) == [case_world.center]
    assert selectors.receiving_departments_for(p.citizen) == []
    assert selectors.inbox_departments_for(p.citizen) == []


def test_window_items_handlers_and_the_kiosk_receipt_lookup(case_world: CaseWorld) -> None:
    p = case_world.p
    item = case_world.item
    assert item in selectors.window_items(item.name[:4]) and selectors.window_items("  ") == []
    case = case_world.submitted()
    handlers = selectors.handler_choices(case)
    assert p.clerk in handlers and p.citizen not in handlers
    draft = case_world.draft(case_world.center_clerk, channel="kiosk", applicant_person=p.citizen.person,
                             receiving_department=case_world.center)
    assert selectors.window_case_for(case_world.center_clerk, draft.query_code.lower()) == draft
    for user, code in ((p.clerk, draft.query_code), (p.citizen, draft.query_code),
                       (case_world.center_clerk, "NOSUCHCODE")):
        with pytest.raises(DomainError) as excinfo:
            selectors.window_case_for(user, code)
        assert (excinfo.value.code, excinfo.value.status) == ("case_not_found", 404)


def test_staff_open_drafts_of_the_window_and_kiosk_only(case_world: CaseWorld) -> None:
    online: Any = case_world.draft()
    window = case_world.draft(case_world.center_clerk, channel="window", applicant_person=case_world.p.citizen.person,
                              receiving_department=case_world.center)
    assert (selectors.staff_may_open(online), selectors.staff_may_open(window)) == (False, True)
    assert selectors.staff_may_open(case_world.submitted()) is True
