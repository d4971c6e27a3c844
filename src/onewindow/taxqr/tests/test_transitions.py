"""Every (status, action) pair of the tax draft and tax record lifecycles through the real services.

A legal pair reaches its target status and appends exactly one event row and one audit entry; an
illegal pair is refused (409 ``tax_draft_illegal_transition``) and a wrong actor (403
``*_action_forbidden``) or a row the actor may not see (404 ``*_not_found``) changes nothing: the
same status, no event, no audit entry, no archived file (issue #10 part 4, ARCHITECTURE rule 3).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from onewindow.core.actors import SYSTEM, Actor
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry
from onewindow.taxqr import exports, services, workflow
from onewindow.taxqr.models import ArchiveFile, ClientDraft, DraftStatus, TaxDraftEvent, TaxRecord, TaxRecordEvent

from .conftest import NOW, TaxWorld, codes_for, sample

pytestmark = pytest.mark.django_db


def _draft_events(draft: ClientDraft) -> list[tuple[str, str, str]]:
    return list(
        TaxDraftEvent.objects.filter(draft=draft).order_by("id").values_list("action", "from_status", "to_status")
    )


def _record_events(record: TaxRecord) -> list[str]:
    return list(TaxRecordEvent.objects.filter(record=record).order_by("id").values_list("action", flat=True))


def _draft_in(world: TaxWorld, status: str, seed: int) -> ClientDraft:
    draft = services.draft_save(by=world.principals.citizen, data=sample(seed))
    if status == DraftStatus.CODED:
        services.draft_generate_code(by=world.principals.citizen, draft_id=draft.pk, now=NOW)
    draft.refresh_from_db()
    assert draft.status == status
    return draft


def _draft_call(world: TaxWorld, action: str, draft: ClientDraft, by: Actor | None = None) -> ClientDraft:
    who = by if by is not None else world.principals.citizen
    calls: dict[str, Callable[[], ClientDraft]] = {
        "save": lambda: services.draft_save(by=who, data=sample(90), draft_id=draft.pk),
        "code": lambda: services.draft_generate_code(by=who, draft_id=draft.pk, now=NOW).draft,
    }
    return calls[action]()


def _draft_snapshot(draft: ClientDraft) -> tuple[Any, ...]:
    draft.refresh_from_db()
    return (
        draft.status,
        list(draft.codes),
        draft.certificate_no,
        len(_draft_events(draft)),
        AuditEntry.objects.count(),
    )


def _record(world: TaxWorld, seed: int) -> TaxRecord:
    return services.record_capture(by=world.tax_clerk, text=codes_for(seed)[0], window="3", now=NOW)


def _record_call(world: TaxWorld, action: str, record: TaxRecord, by: Actor | None = None) -> None:
    calls: dict[str, Callable[[], object]] = {
        "correct": lambda: services.record_correct(
            by=by or world.tax_reviewer,
            record_id=record.pk,
            field_path="property.address",
            value="上海市静安区临汾路380弄12号302室",
            reason="门牌更正",
        ),
        "archive": lambda: exports.record_sheet_archive(by=by or world.tax_clerk, record_id=record.pk),
    }
    calls[action]()


def _record_snapshot(record: TaxRecord) -> tuple[Any, ...]:
    record.refresh_from_db()
    return (
        record.address,
        record.corrections.count(),
        len(_record_events(record)),
        AuditEntry.objects.count(),
        ArchiveFile.objects.count(),
    )


@pytest.mark.parametrize("status", DraftStatus.values)
def test_each_draft_action_from_status(world: TaxWorld, status: str) -> None:
    lifecycle = workflow.DRAFT
    assert sorted(lifecycle.transitions) == ["code", "save"]
    for n, action in enumerate(sorted(lifecycle.transitions)):
        draft = _draft_in(world, status, 20 + n)
        before = _draft_snapshot(draft)
        if lifecycle.allowed(status, action):
            result = _draft_call(world, action, draft)
            assert result.status == lifecycle.target(status, action), (status, action)
            assert _draft_events(draft)[-1] == (action, status, result.status)
            assert _draft_snapshot(draft)[3:] == (before[3] + 1, before[4] + 1)
        else:
            with pytest.raises(DomainError) as refused:
                _draft_call(world, action, draft)
            assert (refused.value.status, refused.value.code) == (409, "tax_draft_illegal_transition"), (status, action)
            assert _draft_snapshot(draft) == before, (status, action)


def test_draft_timeline_from_creation_to_code_and_back(world: TaxWorld) -> None:
    owner = world.principals.citizen
    draft = services.draft_save(by=owner, data=sample(30))
    services.draft_generate_code(by=owner, draft_id=draft.pk, now=NOW)
    services.draft_save(by=owner, data=sample(31), draft_id=draft.pk)
    services.draft_generate_code(by=owner, draft_id=draft.pk, now=NOW)
    assert _draft_events(draft) == [
        ("create", "", "draft"),
        ("code", "draft", "coded"),
        ("save", "coded", "draft"),
        ("code", "draft", "coded"),
    ]
    actions = AuditEntry.objects.filter(target_type="taxqr.clientdraft", target_id=str(draft.pk))
    assert list(actions.order_by("id").values_list("action", flat=True)) == [
        "taxqr.draft.create",
        "taxqr.draft.code",
        "taxqr.draft.update",
        "taxqr.draft.code",
    ]


@pytest.mark.parametrize(
    ("who", "code", "status"),
    [
        ("another_citizen", "tax_draft_not_found", 404),
        ("tax_clerk", "tax_draft_not_found", 404),
        ("system", "tax_draft_action_forbidden", 403),
    ],
)
@pytest.mark.parametrize("action", ["save", "code"])
def test_draft_actions_of_a_wrong_actor_change_nothing(
    world: TaxWorld, who: str, code: str, status: int, action: str
) -> None:
    assert workflow.DRAFT.actors[action] == frozenset({"taxpayer"})
    by: Actor = (
        SYSTEM if who == "system" else (world.tax_clerk if who == "tax_clerk" else world.principals.another_citizen)
    )
    draft = _draft_in(world, DraftStatus.DRAFT, 40)
    before = _draft_snapshot(draft)
    with pytest.raises(DomainError) as refused:
        _draft_call(world, action, draft, by=by)
    assert (refused.value.status, refused.value.code) == (status, code)
    assert _draft_snapshot(draft) == before


def test_each_record_action_from_its_one_status(world: TaxWorld) -> None:
    """A record has one status, saved (已保存): a correction and an archived sheet keep it."""
    lifecycle = workflow.RECORD
    assert lifecycle.statuses == ("saved",)
    assert sorted(lifecycle.transitions) == ["archive", "correct"]
    record = _record(world, 50)
    assert _record_events(record) == ["capture"]
    for action in sorted(lifecycle.transitions):
        assert lifecycle.allowed("saved", action)
        assert lifecycle.target("saved", action) == "saved"
        before = _record_snapshot(record)
        _record_call(world, action, record)
        assert _record_events(record)[-1] == action
        after = _record_snapshot(record)
        assert after[2] == before[2] + 1, action
    assert _record_events(record) == ["capture", "archive", "correct"]
    assert record.address == "上海市静安区临汾路380弄12号302室"


@pytest.mark.parametrize(
    ("who", "code", "status"),
    [
        ("other_tax_clerk", "tax_record_not_found", 404),
        ("admin", "tax_record_action_forbidden", 403),
        ("citizen", "not_tax_staff", 403),
        ("system", "tax_record_action_forbidden", 403),
    ],
)
def test_a_correction_by_a_wrong_actor_changes_nothing(world: TaxWorld, who: str, code: str, status: int) -> None:
    assert workflow.RECORD.actors["correct"] == frozenset({"tax_clerk", "reviewer"})
    actors: dict[str, Actor] = {
        "other_tax_clerk": world.other_tax_clerk,
        "admin": world.principals.admin,
        "citizen": world.principals.citizen,
        "system": SYSTEM,
    }
    by = actors[who]
    record = _record(world, 60)
    before = _record_snapshot(record)
    with pytest.raises(DomainError) as refused:
        _record_call(world, "correct", record, by=by)
    assert (refused.value.status, refused.value.code) == (status, code)
    assert _record_snapshot(record) == before


@pytest.mark.parametrize(
    ("who", "code", "status"),
    [
        ("other_tax_clerk", "tax_record_not_found", 404),
        ("citizen", "not_tax_staff", 403),
        ("system", "tax_record_action_forbidden", 403),
    ],
)
def test_archiving_a_sheet_by_a_wrong_actor_changes_nothing(world: TaxWorld, who: str, code: str, status: int) -> None:
    assert workflow.RECORD.actors["archive"] == frozenset({"tax_clerk", "reviewer", "admin"})
    actors: dict[str, Actor] = {
        "other_tax_clerk": world.other_tax_clerk,
        "citizen": world.principals.citizen,
        "system": SYSTEM,
    }
    by = actors[who]
    record = _record(world, 70)
    before = _record_snapshot(record)
    with pytest.raises(DomainError) as refused:
        _record_call(world, "archive", record, by=by)
    assert (refused.value.status, refused.value.code) == (status, code)
    assert _record_snapshot(record) == before


def test_an_admin_archives_a_sheet_and_the_record_keeps_its_event(world: TaxWorld) -> None:
    record = _record(world, 75)
    _record_call(world, "archive", record, by=world.principals.admin)
    assert _record_events(record) == ["capture", "archive"]


def test_capture_by_the_system_is_refused_and_writes_nothing(world: TaxWorld) -> None:
    assert workflow.RECORD.actors["capture"] == frozenset({"tax_clerk", "reviewer"})
    text = codes_for(80)[0]
    audits = AuditEntry.objects.count()
    with pytest.raises(DomainError) as refused:
        services.record_capture(by=SYSTEM, text=text, now=NOW)
    assert (refused.value.status, refused.value.code) == (403, "tax_record_action_forbidden")
    assert (TaxRecord.objects.count(), AuditEntry.objects.count()) == (0, audits)


def test_the_api_answers_a_second_code_with_409_and_keeps_the_first(world: TaxWorld) -> None:
    from django.test import Client

    draft = _draft_in(world, DraftStatus.CODED, 85)
    before = _draft_snapshot(draft)
    client = Client()
    client.force_login(world.principals.citizen)
    response = client.post(f"/api/v1/taxqr/drafts/{draft.pk}/code")
    assert (response.status_code, response.json()["code"]) == (409, "tax_draft_illegal_transition")
    assert response.json()["message"] == "填报当前状态为“已生成二维码”，不能执行“生成二维码”，请先修改填报。"
    assert _draft_snapshot(draft) == before
