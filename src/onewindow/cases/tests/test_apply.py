"""Applying: every bad input gets its own refusal, and nothing is written — no case, no event, no
audit entry, no queued message. And the parties: agents need a valid mandate."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from onewindow.accounts.testing import MandateFactory
from onewindow.cases import services
from onewindow.cases.choices import CaseStatus
from onewindow.cases.models import Case, CaseEvent, CaseMaterial
from onewindow.cases.testing import FORM, PDF, PNG, CaseWorld
from onewindow.catalog import services as catalog_services
from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry, NumberCounter
from onewindow.notifications.models import Message


def _counts() -> tuple[int, int, int, int, int, int]:
    return (Case.objects.count(), CaseEvent.objects.count(), CaseMaterial.objects.count(),
            AuditEntry.objects.filter(action__startswith="cases.").count(), Message.objects.count(),
            sum(NumberCounter.objects.filter(scope__startswith="cases").values_list("value", flat=True)))


@pytest.fixture
def unchanged() -> Iterator[Callable[[Callable[[], Any], str, int], DomainError]]:
    def check(call: Callable[[], Any], code: str, status: int) -> DomainError:
        before = _counts()
        with pytest.raises(DomainError) as excinfo:
            call()
        assert (excinfo.value.code, excinfo.value.status) == (code, status)
        assert _counts() == before
        return excinfo.value

    yield check


def _apply(world: CaseWorld, by: Any = None, **fields: Any) -> Case:
    args: dict[str, Any] = {"item_code": world.item.code, "channel": "online", "form_data": dict(FORM)}
    args.update(fields)
    case, _replayed = services.case_apply(by=by or world.p.citizen, **args)
    return case


def test_refusals_of_the_item_and_channel(case_world: CaseWorld, unchanged: Any) -> None:
    w = case_world
    unchanged(lambda: _apply(w, item_code="NO-SUCH-ITEM"), "item_not_found", 404)
    unchanged(lambda: _apply(w, item_code=w.street_item.code), "channel_not_allowed", 422)  # window/kiosk only
    unchanged(lambda: _apply(w, channel="fax"), "channel_invalid", 422)
    unchanged(lambda: _apply(w, delivery_method="pigeon"), "delivery_method_invalid", 422)
    catalog_services.item_suspend(by=system_actor("test"), item=w.item, reason="系统升级")
    unchanged(lambda: _apply(w), "item_suspended", 409)
    catalog_services.item_withdraw(by=system_actor("test"), item=w.item, reason="取消")
    unchanged(lambda: _apply(w), "item_not_found", 404)


def test_refusals_of_the_form(case_world: CaseWorld, unchanged: Any) -> None:
    w = case_world
    error = unchanged(lambda: _apply(w, form_data={"contact_phone": "12345"}), "form_invalid", 422)
    assert list(error.fields) == ["contact_phone"]
    error = unchanged(lambda: _apply(w, form_data={"applicant_name": "张伟"}, submit=True), "form_invalid", 422)
    assert list(error.fields) == ["contact_phone"]
    error = unchanged(lambda: _apply(w, form_data={"nickname": "x"}), "form_invalid", 422)  # undeclared field
    assert list(error.fields) == ["nickname"]
    unchanged(lambda: _apply(w, contact_phone="0211234"), "mobile_format", 422)
    # An online submission without the required material is refused as a whole.
    unchanged(lambda: _apply(w, submit=True), "materials_missing", 422)


def test_refusals_of_uploads(case_world: CaseWorld, unchanged: Any, settings: Any) -> None:
    w = case_world
    case = w.draft()
    material = case.item_version.materials.get(required=True)
    unchanged(lambda: services.case_attach(by=w.p.citizen, case_id=case.pk, name="a.exe", content=b"MZ\x90\x00"),
              "upload_type_not_allowed", 422)
    unchanged(lambda: services.case_attach(by=w.p.citizen, case_id=case.pk, name="a.pdf", content=b""),
              "upload_empty", 422)
    settings.CASES_MAX_UPLOAD_BYTES = 100
    unchanged(lambda: services.case_attach(by=w.p.citizen, case_id=case.pk, name="big.png",
                                           content=PNG + b"\x00" * 100), "upload_too_large", 422)
    settings.CASES_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    unchanged(lambda: services.case_attach(by=w.p.citizen, case_id=case.pk, name="a.pdf", content=PDF,
                                           material_id=999999), "material_unknown", 422)
    unchanged(lambda: services.case_attach(by=w.p.another_citizen, case_id=case.pk, name="a.pdf", content=PDF),
              "case_not_found", 404)
    row = services.case_attach(by=w.p.citizen, case_id=case.pk, name="../../etc/身份证.pdf", content=PDF,
                               material_id=material.pk)
    assert row.content_type == "application/pdf" and row.size == len(PDF)
    assert row.file.name.startswith("cases/") and "etc" not in row.file.name and row.file.name.endswith(".pdf")
    services.case_submit(by=w.p.citizen, case_id=case.pk)
    unchanged(lambda: services.case_attach(by=w.p.citizen, case_id=case.pk, name="b.pdf", content=PDF),
              "case_not_editable", 409)


def test_submission_numbers_and_pins_the_version(case_world: CaseWorld) -> None:
    w = case_world
    first = w.submitted()
    second = w.submitted()
    assert first.number is not None and second.number is not None
    assert int(second.number.rsplit("-", 1)[1]) == int(first.number.rsplit("-", 1)[1]) + 1
    draft = w.draft()
    catalog_services.item_revise(by=system_actor("test"), item=w.item, name="食品经营许可（测试，新版）")
    w.item.refresh_from_db()
    material = draft.item_version.materials.get(required=True)  # the material of the draft's version
    services.case_attach(by=w.p.citizen, case_id=draft.pk, name="id.pdf", content=PDF, material_id=material.pk)
    case = services.case_submit(by=w.p.citizen, case_id=draft.pk)
    assert case.item_version == w.item.current_version and case.title == "食品经营许可（测试，新版）"
    assert first.item_version != case.item_version  # earlier cases keep the version they were filed under


def test_agent_needs_a_valid_mandate(case_world: CaseWorld, unchanged: Any) -> None:
    w = case_world
    org = w.p.organization
    case = _apply(w, by=w.p.agent, applicant_organization=org)  # agent of the organization (user.organization)
    assert (case.applicant_organization, case.agent, case.mandate) == (org, w.p.agent.person, w.p.mandate)
    unchanged(lambda: _apply(w, by=w.p.another_citizen, applicant_organization=org), "mandate_required", 403)
    unchanged(lambda: _apply(w, by=w.p.another_citizen, applicant_person=w.p.citizen.person), "mandate_required", 403)
    MandateFactory.create(agent=w.p.another_citizen.person, principal_person=w.p.citizen.person,
                          principal_organization=None)
    case = _apply(w, by=w.p.another_citizen, applicant_person=w.p.citizen.person)
    assert (case.applicant_person, case.agent) == (w.p.citizen.person, w.p.another_citizen.person)


def test_window_entry_by_a_clerk(case_world: CaseWorld, unchanged: Any) -> None:
    w = case_world
    person = w.p.another_citizen.person
    case = _apply(w, by=w.p.clerk, channel="window", applicant_person=person, receiving_department=w.p.department,
                  submit=True)
    assert (case.channel, case.status, case.applicant_person, case.submitter) == (
        "window", CaseStatus.SUBMITTED, person, w.p.clerk)
    assert case.owner == w.p.another_citizen  # the applicant sees it online too
    unchanged(lambda: _apply(w, by=w.p.clerk_other_department, channel="window", applicant_person=person,
                             receiving_department=w.p.department), "not_receiver", 403)
    unchanged(lambda: _apply(w, by=w.p.clerk, channel="window", receiving_department=w.p.department),
              "applicant_required", 422)


def test_idempotent_apply_returns_the_first_case(case_world: CaseWorld, unchanged: Any) -> None:
    w = case_world
    first, replayed = services.case_apply(by=w.p.citizen, item_code=w.item.code, channel="online",
                                          form_data=dict(FORM), idempotency_key="click-1")
    again, replayed_again = services.case_apply(by=w.p.citizen, item_code=w.item.code, channel="online",
                                                form_data=dict(FORM), idempotency_key="click-1")
    assert (replayed, replayed_again, again.pk) == (False, True, first.pk)
    unchanged(lambda: services.case_apply(by=w.p.citizen, item_code=w.item.code, channel="online",
                                          form_data={"applicant_name": "李四"}, idempotency_key="click-1"),
              "idempotency_key_reused", 422)

