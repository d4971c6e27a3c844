"""The 联合惩戒 admin: the listings and their events render for a superuser, searchable by credit
code and filtered by list and status; both are read-only (add, change and delete answer 403 and
write nothing: the sanction services are the only writers); a listed person stays masked."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from onewindow.core.masking import mask_id_number
from onewindow.market.models import SanctionEvent, SanctionListing
from onewindow.market.services import sanctions

from .test_sanctions_world import TODAY, SanctionsWorld, build_sanctions_world, entry, snapshot

pytestmark = pytest.mark.django_db
ID_NUMBER = "11010519491231002X"
OTHER_CODE = "91310000MA1FL8TX3E"


@pytest.fixture
def w() -> SanctionsWorld:
    return build_sanctions_world()


def _listings(w: SanctionsWorld) -> tuple[SanctionListing, SanctionListing, SanctionListing]:
    regulator = w.user("regulator")
    anomaly = sanctions.sanction_list(by=regulator, entry=entry("A1", w.entity.credit_code)).listing
    sanctions.sanction_request_repair(by=w.user("agent"), listing_id=anomaly.pk, reason="已补报年度报告")
    serious = sanctions.sanction_list(
        by=regulator,
        entry=entry(
            "S1",
            w.entity.credit_code,
            list_kind="serious_violation",
            listed_on=(TODAY - datetime.timedelta(days=10)).isoformat(),
        ),
    ).listing
    person = sanctions.sanction_list(
        by=regulator,
        entry=entry(
            "P1",
            "",
            list_kind="dishonest_debtor",
            subject_type="person",
            id_number=ID_NUMBER,
            subject_name="王小明",
        ),
    ).listing
    return anomaly, serious, person


def admin_client(w: SanctionsWorld) -> Client:
    client = Client()
    client.force_login(w.user("admin"))
    return client


def test_the_changelists_render_search_and_filter(w: SanctionsWorld) -> None:
    anomaly, serious, person = _listings(w)
    client = admin_client(w)
    pages = [
        "/admin/market/sanctionlisting/",
        "/admin/market/sanctionevent/",
        f"/admin/market/sanctionlisting/{anomaly.pk}/change/",
        f"/admin/market/sanctionlisting/{person.pk}/change/",
        f"/admin/market/sanctionevent/{anomaly.events.first().pk}/change/",  # type: ignore[union-attr]
    ]
    for url in pages:
        assert client.get(url).status_code == 200, url

    def found(url: str) -> list[int]:
        return [row.pk for row in client.get(url).context["cl"].result_list]

    base = "/admin/market/sanctionlisting/"
    assert sorted(found(f"{base}?q={w.entity.credit_code}")) == sorted([anomaly.pk, serious.pk])
    assert found(f"{base}?q={OTHER_CODE}") == []
    assert found(f"{base}?list_kind__exact=serious_violation") == [serious.pk]
    assert found(f"{base}?status__exact=repair_requested") == [anomaly.pk]
    assert found(f"{base}?status__exact=listed&list_kind__exact=dishonest_debtor") == [person.pk]
    events = "/admin/market/sanctionevent/"
    assert sorted(found(f"{events}?action__exact=request_repair")) == [anomaly.events.get(action="request_repair").pk]
    assert len(found(f"{events}?q={w.entity.credit_code}")) == 3  # two listings, one repair request


def test_a_listed_person_is_shown_masked(w: SanctionsWorld) -> None:
    _, _, person = _listings(w)
    client = admin_client(w)
    for url in ("/admin/market/sanctionlisting/", f"/admin/market/sanctionlisting/{person.pk}/change/"):
        html = client.get(url).content.decode()
        assert ID_NUMBER not in html and "王小明" not in html, url
        assert mask_id_number(ID_NUMBER) in html, url


def test_listings_and_events_are_read_only(w: SanctionsWorld) -> None:
    anomaly, _, _ = _listings(w)
    event = anomaly.events.first()
    assert event is not None
    client = admin_client(w)
    before = snapshot()
    assert client.get("/admin/market/sanctionlisting/add/").status_code == 403
    assert client.get("/admin/market/sanctionevent/add/").status_code == 403
    added = client.post(
        "/admin/market/sanctionlisting/add/", {**entry("X1", w.entity.credit_code), "department": w.p.department.pk}
    )
    assert added.status_code == 403
    assert client.post("/admin/market/sanctionevent/add/", {"listing": anomaly.pk, "action": "list"}).status_code == 403
    changed = client.post(
        f"/admin/market/sanctionlisting/{anomaly.pk}/change/", {"status": "removed", "removed_on": TODAY.isoformat()}
    )
    assert changed.status_code == 403
    assert client.post(f"/admin/market/sanctionevent/{event.pk}/change/", {"note": "改写"}).status_code == 403
    assert client.get(f"/admin/market/sanctionlisting/{anomaly.pk}/delete/").status_code == 403
    assert client.post(f"/admin/market/sanctionlisting/{anomaly.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"/admin/market/sanctionevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = client.post(
        "/admin/market/sanctionlisting/", {"action": "delete_selected", "_selected_action": [anomaly.pk], "post": "yes"}
    )
    assert bulk.status_code == 200  # no delete action is offered: the changelist renders, deleting nothing
    page = client.get(f"/admin/market/sanctionlisting/{anomaly.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    assert snapshot() == before
    assert SanctionListing.objects.count() == 3 and SanctionEvent.objects.count() == 4


def test_staff_without_model_permissions_see_no_sanction_admin(w: SanctionsWorld) -> None:
    _listings(w)
    client = Client()
    client.force_login(w.user("manager"))  # is_staff, a department admin, no admin permissions
    assert client.get("/admin/market/sanctionlisting/").status_code == 403
    assert client.get("/admin/market/sanctionevent/").status_code == 403
