"""自助填单 as a service (issue #10 part 3): ``services.case_kiosk_start`` holds what the kiosk view
did itself (identity checks without an oracle, throttled per device), and ``selectors.kiosk_of``
reads the bound kiosk's terminal account and department. The pages' behaviour is covered by
test_kiosk_device.py and test_pages_apply.py; these call the service and the selector directly."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from onewindow.accounts.models import Person
from onewindow.accounts.testing import make_resident_id
from onewindow.cases import selectors, services
from onewindow.cases.models import Case
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _state() -> tuple[int, int, int]:
    return Case.objects.count(), Person.objects.count(), AuditEntry.objects.count()


def test_kiosk_of_refuses_what_is_not_a_configured_kiosk(case_world: Any, center_world: Any) -> None:
    kiosk = center_world.kiosk
    assert selectors.kiosk_of(kiosk) == (kiosk, center_world.clerk, case_world.center)
    clerk = center_world.clerk
    for device, code in ((None, "device_not_enrolled"), (center_world.display, "device_not_enrolled"),
                         (SimpleNamespace(kind="kiosk", operator=None, department_id=case_world.center.pk),
                          "kiosk_operator_missing"),
                         (SimpleNamespace(kind="kiosk", operator=case_world.p.citizen,
                                          department_id=case_world.center.pk), "kiosk_operator_missing"),
                         (SimpleNamespace(kind="kiosk", operator=clerk, department_id=0), "kiosk_operator_missing")):
        with pytest.raises(DomainError) as excinfo:
            selectors.kiosk_of(device)
        assert (excinfo.value.code, excinfo.value.status) == (code, 403)


def test_case_kiosk_start_refuses_before_the_registry_and_writes_nothing(case_world: Any, center_world: Any,
                                                                       settings: Any) -> None:
    kiosk, operator, department = selectors.kiosk_of(center_world.kiosk)
    registered = case_world.p.citizen.person
    args: dict[str, Any] = {"by": operator, "device": kiosk, "item_code": case_world.item.code,
                            "id_type": "resident_id", "form_data": {"applicant_name": "王秀英"},
                            "department": department}
    before = _state()
    answers = []
    for id_number in (registered.id_number, make_resident_id("310106")):  # registered or not: the same answer
        for name, phone in (("  ", "13900001234"), ("王秀英", "12345")):
            with pytest.raises(DomainError) as excinfo:
                services.case_kiosk_start(name=name, id_number=id_number, phone=phone, key="k-0", **args)
            answers.append((excinfo.value.code, excinfo.value.status, str(excinfo.value.message)))
        assert _state() == before
    assert answers[:2] == answers[2:]
    assert [a[:2] for a in answers[:2]] == [("name_required", 422), ("mobile_format", 400)]
    settings.CASES_KIOSK_CHECKS = (5, 600)  # the four refused attempts above counted too
    case = services.case_kiosk_start(name="王秀英", id_number=registered.id_number, phone="13900001234", key="k-1",
                                     **args)
    stored = Case.objects.get(pk=case.pk)
    assert (stored.channel, stored.status, stored.applicant_person_id, stored.owner_id) == (
        "kiosk", "draft", registered.pk, None)  # another name than the registry's: no owner until the window
    state = _state()
    with pytest.raises(DomainError) as excinfo:
        services.case_kiosk_start(name="王秀英", id_number=registered.id_number, phone="13900001234", key="k-2",
                                  **args)
    assert (excinfo.value.code, excinfo.value.status) == ("kiosk_rate_limited", 429)
    assert _state() == state
