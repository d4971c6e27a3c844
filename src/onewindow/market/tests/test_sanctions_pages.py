"""The 列入 form of the 联合惩戒 list page (issue #12 part 7): who sees it and who may post it (the
listing department's regulator, data clerk and admin; every other principal 403
``sanction_not_listing_department``, the anonymous visitor to the login page), an entry listed
through the service (event, audit, the list's default measures), and every refusal re-rendering the
form with its code and the message beside each field, writing nothing."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.testing import StaffRoleFactory
from onewindow.core.models import AuditEntry
from onewindow.market.models import SanctionListing

from .test_sanctions_world import TODAY, SanctionsWorld, build_sanctions_world, entry, snapshot

pytestmark = pytest.mark.django_db
ADD = "/market/sanctions/add/"
LIST = "/market/sanctions/"
ID_NUMBER = "11010519491231002X"
PAGE_PRINCIPALS = ["citizen", "agent", "clerk", "data_clerk", "regulator", "regulator_other", "manager", "admin"]
LISTERS = {"data_clerk", "regulator", "manager"}


@pytest.fixture
def w() -> SanctionsWorld:
    return build_sanctions_world()


def form(w: SanctionsWorld, source_id: str = "W1", **over: Any) -> dict[str, Any]:
    """A valid 经营异常名录 entry of ``w.entity`` as the form posts it (for ``p.department``)."""
    return {**entry(source_id, w.entity.credit_code), "department": str(w.p.department.pk), **over}


@pytest.mark.parametrize("who", PAGE_PRINCIPALS)
def test_who_may_list_through_the_form(w: SanctionsWorld, who: str) -> None:
    client = w.client(who)
    before = snapshot()
    page = client.get(ADD)
    response = client.post(ADD, form(w))
    if who in LISTERS:
        assert page.status_code == 200 and 'id="add-listing"' in page.content.decode()
        listing = SanctionListing.objects.get(source_id="W1")
        assert response.status_code == 302
        assert response["Location"] == f"/market/sanctions/{listing.pk}/"
        assert (listing.department, listing.credit_code, listing.status) == (
            w.p.department,
            w.entity.credit_code,
            "listed",
        )
        assert listing.created_by == w.user(who)
        return
    # regulator_other lists for its own department only; the others list for none.
    assert page.status_code == (200 if who == "regulator_other" else 403)
    assert response.status_code == 403
    assert 'data-code="sanction_not_listing_department"' in response.content.decode()
    assert snapshot() == before


def test_the_anonymous_visitor_is_sent_to_the_login_page(w: SanctionsWorld) -> None:
    before = snapshot()
    for response in (w.client("anonymous").get(ADD), w.client("anonymous").post(ADD, form(w))):
        assert response.status_code == 302 and "/login" in response["Location"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("who", "shown"),
    [("data_clerk", True), ("regulator", True), ("manager", True), ("regulator_other", True), ("admin", False)],
)
def test_the_list_page_carries_the_form_for_listers_only(w: SanctionsWorld, who: str, shown: bool) -> None:
    html = w.client(who).get(LIST).content.decode()
    assert ('id="add-listing"' in html) is shown
    if who == "regulator_other":  # its own department, named without a choice
        assert w.p.other_department.name in html and 'id="a-department"' not in html


def test_a_listing_from_the_form_is_the_services(w: SanctionsWorld) -> None:
    response = w.client("regulator").post(ADD, form(w), follow=True)
    listing = SanctionListing.objects.get()
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == ["已列入名单。"]
    assert (listing.list_kind, listing.reason, listing.revision) == ("business_anomaly", "未按规定报送年度报告", 1)
    assert listing.measures == ["window_warning", "public_disclosure"]  # the list's defaults
    assert list(listing.events.values_list("action", "by_label")) == [("list", w.user("regulator").username)]
    audit = AuditEntry.objects.get(action="market.sanction_list")
    assert (audit.target_id, audit.actor_label) == (str(listing.pk), w.user("regulator").username)
    html = w.client("regulator").get(LIST).content.decode()
    assert f'data-listing="{listing.pk}"' in html


def test_measures_items_and_weight_from_the_form(w: SanctionsWorld) -> None:
    data = form(
        w,
        list_kind="serious_violation",
        measures=["draw_weight", "window_refusal"],
        refused_items=w.cw.item.code.lower(),
        draw_weight="3",
        listed_on=TODAY.isoformat(),
    )
    assert w.client("data_clerk").post(ADD, data).status_code == 302
    listing = SanctionListing.objects.get()
    assert listing.measures == ["window_refusal", "draw_weight"]
    assert listing.refused_items == [w.cw.item.code]
    assert str(listing.draw_weight) == "3.00"
    assert listing.removable_on > listing.listed_on  # the serious-violation list's period


def test_a_person_is_listed_and_shown_masked(w: SanctionsWorld) -> None:
    data = form(
        w,
        list_kind="dishonest_debtor",
        subject_type="person",
        credit_code="",
        id_number=ID_NUMBER,
        subject_name="王小明",
    )
    assert w.client("regulator").post(ADD, data).status_code == 302
    listing = SanctionListing.objects.get()
    assert (listing.subject_type, listing.id_number) == ("person", ID_NUMBER)
    html = w.client("regulator").get(LIST).content.decode()
    assert f'data-listing="{listing.pk}"' in html
    assert ID_NUMBER not in html and "王小明" not in html


REFUSALS: dict[str, tuple[dict[str, Any], str]] = {
    "no list": ({"list_kind": ""}, "list_kind"),
    "bad credit code": ({"credit_code": "91310000MA1FL0000X"}, "credit_code"),
    "person on the anomaly list": ({"subject_type": "person", "id_number": ID_NUMBER}, "subject_type"),
    "bad id number": (
        {"list_kind": "dishonest_debtor", "subject_type": "person", "id_number": "110105194912310021"},
        "id_number",
    ),
    "no reason": ({"reason": "  "}, "reason"),
    "no basis": ({"legal_basis": ""}, "legal_basis"),
    "no source id": ({"source_id": ""}, "source_id"),
    "listed in the future": ({"listed_on": "2999-01-01"}, "listed_on"),
    "unreadable date": ({"listed_on": "昨天"}, "listed_on"),
    "removal before the period": (
        {"list_kind": "serious_violation", "removable_on": TODAY.isoformat(), "listed_on": TODAY.isoformat()},
        "removable_on",
    ),
    "unknown measure": ({"measures": ["jail"]}, "measures"),
    "refusal without items": ({"measures": ["window_refusal"]}, "refused_items"),
    "unknown item": ({"measures": ["window_refusal"], "refused_items": "NO-SUCH-ITEM"}, "refused_items"),
    "unknown item type": ({"measures": ["window_refusal"], "refused_item_types": "nope"}, "refused_item_types"),
    "weight out of range": ({"measures": ["draw_weight"], "draw_weight": "1000"}, "draw_weight"),
    "weight not a number": ({"measures": ["draw_weight"], "draw_weight": "两倍"}, "draw_weight"),
    "unknown department": ({"department": "999999"}, "department"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_entry_shows_each_field_and_writes_nothing(w: SanctionsWorld, case: str) -> None:
    over, field = REFUSALS[case]
    before = snapshot()
    response = w.client("regulator").post(ADD, form(w, **over))
    html = response.content.decode()
    assert response.status_code == 422
    code = "sanction_unknown_department" if field == "department" else "sanction_invalid"
    assert f'data-code="{code}"' in html
    if field != "department":  # a one-department lister has no department field to mark
        assert f'data-field="{field}"' in html
    assert snapshot() == before
    assert 'id="add-listing"' in html
    if "reason" not in over:
        assert "未按规定报送年度报告" in html  # what was typed is kept


def test_the_form_keeps_what_was_typed_but_the_id_number(w: SanctionsWorld) -> None:
    data = form(
        w,
        list_kind="dishonest_debtor",
        subject_type="person",
        credit_code="",
        id_number=ID_NUMBER,
        subject_name="王小明",
        reason="",
    )
    response = w.client("regulator").post(ADD, data)
    html = response.content.decode()
    assert response.status_code == 422
    assert 'value="王小明"' in html and 'value="person" checked' in html
    assert '<option value="dishonest_debtor" selected>' in html
    assert ID_NUMBER not in html  # personal data is typed again, never echoed


def test_a_lister_of_two_departments_chooses_one(w: SanctionsWorld) -> None:
    regulator = w.user("regulator")
    StaffRoleFactory.create(user=regulator, role=StaffRoleKind.REGULATOR, department=w.p.other_department)
    client = w.client("regulator")
    page = client.get(ADD).content.decode()
    assert 'id="a-department"' in page and w.p.other_department.name in page
    before = snapshot()
    missing = client.post(ADD, form(w, department=""))
    assert missing.status_code == 422
    assert 'data-code="sanction_department_required"' in missing.content.decode()
    assert 'data-field="department"' in missing.content.decode()
    assert snapshot() == before
    assert client.post(ADD, form(w, department=str(w.p.other_department.pk))).status_code == 302
    assert SanctionListing.objects.get().department == w.p.other_department


def test_the_same_source_again_is_unchanged_and_other_content_corrects(w: SanctionsWorld) -> None:
    client = w.client("regulator")
    assert client.post(ADD, form(w), follow=True).status_code == 200
    before = snapshot()
    again = client.post(ADD, form(w), follow=True)
    assert [str(m) for m in again.context["messages"]] == ["内容与已报送的名单条目相同，未作改动。"]
    assert snapshot() == before
    corrected = client.post(ADD, form(w, reason="未按规定报送2023年度报告"), follow=True)
    assert [str(m) for m in corrected.context["messages"]] == ["来源记录编号已存在，已按更正处理（第 2 版）。"]
    listing = SanctionListing.objects.get()
    assert (listing.reason, listing.revision) == ("未按规定报送2023年度报告", 2)
    assert list(listing.events.values_list("action", flat=True)) == ["list", "correct"]


def test_a_correction_of_a_removed_entry_is_refused(w: SanctionsWorld) -> None:
    from onewindow.market.services import sanctions

    client = w.client("regulator")
    assert client.post(ADD, form(w)).status_code == 302
    listing = SanctionListing.objects.get()
    sanctions.sanction_request_repair(by=w.user("agent"), listing_id=listing.pk, reason="已补报年度报告")
    sanctions.sanction_repair_approve(by=w.user("regulator"), listing_id=listing.pk)
    before = snapshot()
    response = client.post(ADD, form(w, reason="另一事由"))
    assert response.status_code == 409
    assert 'data-code="sanction_illegal_transition"' in response.content.decode()
    assert snapshot() == before
