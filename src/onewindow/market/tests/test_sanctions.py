"""联合惩戒 services, workflow and selectors (issue #12 part 7): listing, idempotent delivery and
correction, the repair workflow walked through every (status, action) pair, the refusal of a
removal before the list's period ends, personal data of listed persons, the one-query selector."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from onewindow.accounts.testing import make_credit_code
from onewindow.core.errors import Conflict, DomainError
from onewindow.core.models import AuditEntry
from onewindow.market import sanctions_selectors as selectors
from onewindow.market import workflow
from onewindow.market.choices import SanctionAction, SanctionStatus
from onewindow.market.models import SanctionEvent, SanctionListing
from onewindow.market.services import sanctions

from .test_sanctions_world import TODAY, SanctionsWorld, build_sanctions_world, entry, snapshot

pytestmark = pytest.mark.django_db
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def w() -> SanctionsWorld:
    return build_sanctions_world()


def _listed(w: SanctionsWorld, source_id: str = "A1", **over: Any) -> SanctionListing:
    return sanctions.sanction_list(
        by=w.user("regulator"), entry={**entry(source_id, w.entity.credit_code), **over}
    ).listing


def test_a_listing_takes_the_lists_defaults_and_is_audited(w: SanctionsWorld) -> None:
    result = sanctions.sanction_list(by=w.user("regulator"), entry=entry("A1", w.entity.credit_code))
    listing = result.listing
    assert result.outcome == "created"
    assert (listing.list_kind, listing.status, listing.department, listing.revision) == (
        "business_anomaly",
        "listed",
        w.p.department,
        1,
    )
    assert listing.measures == ["window_warning", "public_disclosure"]
    assert listing.removable_on == listing.listed_on  # 经营异常名录: no minimum period (unconfirmed)
    assert list(listing.events.values_list("action", "from_status", "to_status")) == [("list", "", "listed")]
    audit = AuditEntry.objects.get(action="market.sanction_list")
    assert (audit.target_type, audit.target_id) == ("market.sanctionlisting", str(listing.pk))


def test_serious_violation_period_and_measures(w: SanctionsWorld, settings: Any) -> None:
    listed_on = TODAY - datetime.timedelta(days=10)
    listing = _listed(w, list_kind="serious_violation", listed_on=listed_on.isoformat())
    assert listing.removable_on == listed_on + datetime.timedelta(days=365)
    assert listing.measures == ["window_warning", "draw_weight", "public_disclosure"]
    assert listing.draw_weight == Decimal("2.00")
    settings.MARKET_SANCTION_PERIOD_DAYS = {"serious_violation": 30}
    other = _listed(w, "A2", list_kind="serious_violation", listed_on=listed_on.isoformat())
    assert other.removable_on == listed_on + datetime.timedelta(days=30)


def test_same_delivery_writes_nothing_other_content_corrects(w: SanctionsWorld) -> None:
    listing = _listed(w)
    before = snapshot()
    again = sanctions.sanction_list(by=w.user("data_clerk"), entry=entry("A1", w.entity.credit_code))
    assert (again.outcome, again.listing.pk) == ("unchanged", listing.pk)
    assert snapshot() == before
    corrected = sanctions.sanction_list(
        by=w.user("data_clerk"), entry=entry("A1", w.entity.credit_code, reason="通过登记的住所无法联系")
    )
    assert (corrected.outcome, corrected.listing.pk, corrected.listing.revision) == ("corrected", listing.pk, 2)
    event = SanctionEvent.objects.filter(listing=listing).last()
    assert event is not None
    assert (event.action, event.data["changes"]) == ("correct", {"reason": "通过登记的住所无法联系"})
    assert SanctionListing.objects.count() == 1


BAD: dict[str, tuple[dict[str, Any], str]] = {
    "no list": ({"list_kind": ""}, "list_kind"),
    "person on the anomaly list": ({"subject_type": "person", "id_number": ID_NUMBER}, "subject_type"),
    "bad credit code": ({"credit_code": "91310000000000000A"}, "credit_code"),
    "no reason": ({"reason": "  "}, "reason"),
    "no legal basis": ({"legal_basis": ""}, "legal_basis"),
    # two days ahead: TODAY is taken when the module is imported, and a run that crosses Shanghai's
    # midnight (16:00 UTC) would otherwise find "tomorrow" already today
    "listed in the future": ({"listed_on": (TODAY + datetime.timedelta(days=2)).isoformat()}, "listed_on"),
    "unreadable date": ({"listed_on": "昨天"}, "listed_on"),
    "removal before the period": (
        {"list_kind": "serious_violation", "removable_on": (TODAY - datetime.timedelta(days=390)).isoformat()},
        "removable_on",
    ),
    "refusal naming nothing": ({"measures": ["window_refusal"]}, "refused_items"),
    "refusal of an unknown item": ({"measures": ["window_refusal"], "refused_items": ["NOSUCHITEM"]}, "refused_items"),
    "unknown measure": ({"measures": ["jail"]}, "measures"),
    "weight zero": ({"measures": ["draw_weight"], "draw_weight": "0"}, "draw_weight"),
    "no source id": ({"source_id": ""}, "source_id"),
    "person with a bad id number": (
        {"list_kind": "dishonest_debtor", "subject_type": "person", "id_number": "110105194912310021"},
        "id_number",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_entries_are_refused_with_the_field_and_nothing_written(w: SanctionsWorld, case: str) -> None:
    _listed(w, "KEEP")
    over, field = BAD[case]
    before = snapshot()
    with pytest.raises(DomainError) as refused:
        sanctions.sanction_list(by=w.user("regulator"), entry={**entry("A9", w.entity.credit_code), **over})
    assert (refused.value.status, refused.value.code) == (422, "sanction_invalid")
    assert field in refused.value.fields
    assert snapshot() == before


def test_a_listed_person_is_stored_encrypted_and_never_shown(w: SanctionsWorld) -> None:
    result = sanctions.sanction_list(
        by=w.user("regulator"),
        entry=entry(
            "P1",
            "",
            list_kind="dishonest_debtor",
            subject_type="person",
            id_number=ID_NUMBER.lower(),
            subject_name="王小明",
            legal_basis="法释〔2017〕7号第一条第（一）项",
        ),
    )
    listing = result.listing
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, id_number_hash FROM market_sanctionlisting WHERE id = %s", [listing.pk])
        stored, digest = cursor.fetchone()
    assert ID_NUMBER not in stored and digest
    listing.refresh_from_db()
    assert listing.id_number == ID_NUMBER
    assert listing.subject_label == "王** 110***********002X"
    assert ID_NUMBER not in str(listing) and "王小明" not in str(listing)
    trail = " ".join(f"{a.target_label} {a.before} {a.after}" for a in AuditEntry.objects.all())
    assert ID_NUMBER not in trail and "王小明" not in trail
    event = listing.events.get()
    assert event.data["subject_name"] == "王**"


# --------------------------------------------------------------------------- the workflow table
def _in_status(w: SanctionsWorld, status: str, source_id: str) -> SanctionListing:
    listing = _listed(w, source_id)
    if status in (SanctionStatus.REPAIR_REQUESTED, SanctionStatus.REMOVED):
        sanctions.sanction_request_repair(by=w.user("agent"), listing_id=listing.pk, reason="已补报年度报告")
    if status == SanctionStatus.REMOVED:
        sanctions.sanction_repair_approve(by=w.user("regulator"), listing_id=listing.pk, note="已核实")
    listing.refresh_from_db()
    assert listing.status == status
    return listing


def _act(w: SanctionsWorld, action: str, listing: SanctionListing) -> SanctionListing:
    calls: dict[str, Callable[[], SanctionListing]] = {
        SanctionAction.CORRECT: lambda: (
            sanctions.sanction_list(
                by=w.user("regulator"), entry=entry(listing.source_id, w.entity.credit_code, reason="更正后的事由")
            ).listing
        ),
        SanctionAction.REQUEST_REPAIR: lambda: sanctions.sanction_request_repair(
            by=w.user("agent"), listing_id=listing.pk, reason="已补报"
        ),
        SanctionAction.APPROVE_REPAIR: lambda: sanctions.sanction_repair_approve(
            by=w.user("regulator"), listing_id=listing.pk
        ),
        SanctionAction.REJECT_REPAIR: lambda: sanctions.sanction_repair_reject(
            by=w.user("manager"), listing_id=listing.pk, note="年度报告仍不完整"
        ),
    }
    return calls[action]()


@pytest.mark.parametrize("status", SanctionStatus.values)
def test_each_action_from_each_status(w: SanctionsWorld, status: str) -> None:
    for n, action in enumerate(sorted(workflow.SANCTION_TRANSITIONS)):
        listing = _in_status(w, status, f"{status}-{n}")
        if workflow.sanction_allowed(status, action):
            result = _act(w, action, listing)
            assert result.status == workflow.sanction_target(status, action), (status, action)
            assert SanctionEvent.objects.filter(listing=listing).last().action == action  # type: ignore[union-attr]
            if action == SanctionAction.APPROVE_REPAIR:
                assert result.removed_on == timezone.localdate()  # the day of the approval, at run time
        else:
            before = snapshot()
            with pytest.raises(Conflict) as refused:
                _act(w, action, listing)
            assert refused.value.code == "sanction_illegal_transition", (status, action)
            assert snapshot() == before, (status, action)


def test_rejected_repair_returns_to_listed_and_may_be_asked_again(w: SanctionsWorld) -> None:
    listing = _in_status(w, SanctionStatus.REPAIR_REQUESTED, "R1")
    sanctions.sanction_repair_reject(by=w.user("regulator"), listing_id=listing.pk, note="未补报")
    again = sanctions.sanction_request_repair(by=w.user("agent"), listing_id=listing.pk, reason="现已补报")
    assert again.status == "repair_requested"
    assert list(listing.events.values_list("action", flat=True)) == [
        "list",
        "request_repair",
        "reject_repair",
        "request_repair",
    ]


def test_removal_before_the_period_ends_is_refused_and_nothing_written(w: SanctionsWorld) -> None:
    listed_on = TODAY - datetime.timedelta(days=10)
    listing = _listed(w, "S1", list_kind="serious_violation", listed_on=listed_on.isoformat())
    sanctions.sanction_request_repair(by=w.user("agent"), listing_id=listing.pk, reason="已整改")
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        sanctions.sanction_repair_approve(by=w.user("regulator"), listing_id=listing.pk, note="同意")
    assert (refused.value.status, refused.value.code) == (409, "sanction_removal_too_early")
    removable = (listed_on + datetime.timedelta(days=365)).isoformat()
    assert str(refused.value.message) == f"“严重违法失信企业名单”的列入期限未满，{removable} 前不能移出。"
    assert snapshot() == before


def test_a_repair_needs_a_reason(w: SanctionsWorld) -> None:
    listing = _listed(w)
    before = snapshot()
    with pytest.raises(DomainError) as refused:
        sanctions.sanction_request_repair(by=w.user("agent"), listing_id=listing.pk, reason=" ")
    assert (refused.value.status, refused.value.code) == (422, "sanction_reason_required")
    assert snapshot() == before


# --------------------------------------------------------------------------- selectors
def test_sanctions_for_organization_is_one_query(w: SanctionsWorld, django_assert_num_queries: Any) -> None:
    active = _listed(w, "A1", measures=["window_refusal", "draw_weight"], refused_items=[w.cw.item.code])
    removed = _in_status(w, SanctionStatus.REMOVED, "A2")
    _listed(w, "OTHER", credit_code=make_credit_code())
    with django_assert_num_queries(1):
        by_object = selectors.sanctions_for_organization(w.entity)
        assert [(e.pk, e.department.code) for e in by_object] == [(active.pk, w.p.department.code)]
    with django_assert_num_queries(1):
        by_id = selectors.sanctions_for_organization(w.entity.pk)
        assert [e.pk for e in by_id] == [active.pk]
    assert removed.pk not in [e.pk for e in by_id]
    assert selectors.refusal_for_item(by_id, item_code=w.cw.item.code, item_type_code="99") == active
    assert selectors.refusal_for_item(by_id, item_code=w.cw.street_item.code, item_type_code="99") is None
    assert selectors.draw_weight_for(by_id) == Decimal("2.00")
    assert selectors.draw_weight_for([]) == Decimal(1)


def test_department_lists_with_filters(w: SanctionsWorld) -> None:
    _listed(w, "A1")
    _listed(w, "A2", list_kind="serious_violation")
    _in_status(w, SanctionStatus.REMOVED, "A3")
    regulator = w.user("regulator_other")
    rows = selectors.listing_list_for(regulator, department_id=w.p.department.pk)
    assert [r.source_id for r in rows] == ["A3", "A2", "A1"]
    assert [r.source_id for r in selectors.listing_list_for(regulator, list_kind="serious_violation")] == ["A2"]
    assert [r.source_id for r in selectors.listing_list_for(regulator, active=False)] == ["A3"]
    assert [r.source_id for r in selectors.listing_list_for(regulator, status="listed")] == ["A2", "A1"]
    assert list(selectors.listing_list_for(w.user("citizen"))) == []
    assert [r.source_id for r in selectors.listing_list_for(w.user("agent"))] == ["A3", "A2", "A1"]
    assert list(selectors.listing_list_for(w.user("clerk"))) == []
