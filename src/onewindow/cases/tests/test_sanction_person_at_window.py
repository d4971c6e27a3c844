"""联合惩戒 at the window for a natural person (issue #12 part 7; 失信被执行人, 法释〔2017〕7号): the clerk
handling a case whose applicant person is on a list sees the listing on the case page, found by the
keyed hash of the resident ID number (also after the field key rotates); the page never shows the
number. Where the entry's ``window_refusal`` names the item, acceptance is refused (409
``case_applicant_sanctioned``, nothing written) as for an organization. A removed listing, another
person's listing and an unlisted person show nothing."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from onewindow.accounts.models import Person
from onewindow.accounts.testing import build_principals
from onewindow.cases import services
from onewindow.cases.models import Case, CaseEvent
from onewindow.cases.testing import CaseWorld, build_case_world
from onewindow.core import crypto
from onewindow.core.errors import Conflict
from onewindow.core.models import AuditEntry
from onewindow.market import sanctions_selectors
from onewindow.market.models import SanctionListing
from onewindow.market.services import sanctions

pytestmark = pytest.mark.django_db
LISTED_ON = (timezone.localdate() - datetime.timedelta(days=30)).isoformat()
OTHER_ID = "11010519491231002X"


@pytest.fixture
def w() -> CaseWorld:
    return build_case_world(build_principals())


def _person(w: CaseWorld) -> Person:
    person = w.p.citizen.person
    assert person is not None
    return person


def _list_person(w: CaseWorld, source_id: str, id_number: str, **over: Any) -> SanctionListing:
    entry = {
        "list_kind": "dishonest_debtor",
        "subject_type": "person",
        "source_id": source_id,
        "id_number": id_number,
        "subject_name": "被执行人",
        "reason": "有履行能力而拒不履行生效法律文书确定义务",
        "legal_basis": "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条",
        "listed_on": LISTED_ON,
        **over,
    }
    return sanctions.sanction_list(by=w.p.manager, entry=entry).listing


def _page(w: CaseWorld, case: Case) -> str:
    response = w.p.client("clerk").get(f"/cases/staff/{case.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_listed_person_applicant_shows_the_warning(w: CaseWorld) -> None:
    person = _person(w)
    _list_person(w, "P1", person.id_number.lower())  # the lower-case x is the same number
    case = w.submitted()
    assert case.applicant_person_id == person.pk
    page = _page(w, case)
    assert 'id="sanctions"' in page and 'data-list="dishonest_debtor"' in page
    assert (
        f"“失信被执行人名单”：{w.p.department.name}于 {LISTED_ON} 列入，事由：有履行能力而拒不履行生效法律文书确定义务"
        in page
    )
    assert 'data-refuses="0"' in page and "请依联合惩戒措施审慎受理。" in page
    assert person.id_number not in page


def test_removed_listings_other_persons_and_the_unlisted_show_nothing(w: CaseWorld) -> None:
    person = _person(w)
    _list_person(w, "O1", OTHER_ID)  # someone else
    long_ago = (timezone.localdate() - datetime.timedelta(days=800)).isoformat()  # past the 730-day period
    removed = _list_person(w, "R1", person.id_number, listed_on=long_ago)
    sanctions.sanction_request_repair(by=w.p.manager, listing_id=removed.pk, reason="已履行完毕")
    sanctions.sanction_repair_approve(by=w.p.manager, listing_id=removed.pk)
    assert 'id="sanctions"' not in _page(w, w.submitted())


def test_a_person_with_another_kind_of_document_is_not_matched(w: CaseWorld) -> None:
    person = _person(w)
    _list_person(w, "P1", person.id_number)
    person.id_type = "passport"  # the same characters on a passport are another document
    assert sanctions_selectors.sanctions_for_person(person) == []


def test_the_person_is_found_after_the_field_key_rotates(w: CaseWorld, settings: Any) -> None:
    person = _person(w)
    listing = _list_person(w, "P1", person.id_number)
    settings.ONEWINDOW_FIELD_KEYS = f"{crypto.new_key_spec('rot2')},{settings.ONEWINDOW_FIELD_KEYS}"
    assert crypto.current_key().kid == "rot2"  # new hashes differ from the stored ones
    assert [e.pk for e in sanctions_selectors.sanctions_for_person(person)] == [listing.pk]
    assert 'id="sanctions"' in _page(w, w.submitted())


def test_a_person_listing_that_refuses_the_item_refuses_acceptance(w: CaseWorld) -> None:
    person = _person(w)
    _list_person(w, "P1", person.id_number, measures=["window_refusal"], refused_items=[w.item.code])
    case = w.submitted()
    page = _page(w, case)
    assert 'data-refuses="1"' in page and "限制办理本事项，不予受理。" in page
    before = _state(case)
    with pytest.raises(Conflict) as refused:
        services.case_accept(by=w.p.clerk, case_id=case.pk)
    assert (refused.value.status, refused.value.code) == (409, "case_applicant_sanctioned")
    assert str(refused.value.message) == (
        f"申请人已被{w.p.department.name}列入“失信被执行人名单”（有履行能力而拒不履行生效法律文书确定义务），"
        "依联合惩戒措施不予受理该事项。"
    )
    assert _state(case) == before


def _state(case: Case) -> tuple[Any, ...]:
    case.refresh_from_db()
    return (case.status, case.accepted_at, CaseEvent.objects.filter(case=case).count(), AuditEntry.objects.count())
