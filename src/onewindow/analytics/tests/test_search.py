"""受理信息查询 (issue #14 part 8): on a fixed history at one center, a search by ID number finds the
person's case, ticket, appointment and rating; every viewer sees only their scope (center staff the
center, department staff their department's cases, another center's manager nothing, a resident
403, anonymous 401/login); rows are masked; each search writes one audit entry with the masked
criteria and the count, a refused one none."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from onewindow.accounts.testing import UserFactory
from onewindow.cases.testing import CaseWorld
from onewindow.centers.models import Appointment, AppointmentSlot, Center, CenterStaff, Ticket
from onewindow.centers.testing import CenterWorld
from onewindow.core.masking import mask_id_number, mask_name
from onewindow.core.models import AuditEntry
from onewindow.ratings.models import Rating

pytestmark = pytest.mark.django_db
API = "/api/v1/analytics/search"
PAGE = "/analytics/search/"


@dataclass
class History:
    world: CenterWorld
    ids: dict[str, int]
    person: Any
    other_manager: Any


def ticket(world: CenterWorld, person: Any, number: int) -> Ticket:
    now = timezone.now()
    return Ticket.objects.create(center=world.center, category=world.a, date=timezone.localdate(), number=number,
                                 display=f"A{number:03d}", status="done", queue_key=now,
                                 status_code=f"SRCH{number:04d}",
                                 person=person, taken_at=now, window=world.w1, clerk=world.clerk)


@pytest.fixture
def history(center_world: CenterWorld) -> History:
    cw: CaseWorld = center_world.cw
    p = cw.p
    person = p.citizen.person
    case = cw.forwarded_case()  # received at the street center for the district department's item
    mine = ticket(center_world, person, 1)
    ticket(center_world, p.another_citizen.person, 2)  # someone else's visit
    day = timezone.localdate()
    slot = AppointmentSlot.objects.create(center=center_world.center, category=center_world.b, date=day,
                                          starts=datetime.time(16, 0), ends=datetime.time(16, 30), capacity=5,
                                          booked=1)
    appointment = Appointment.objects.create(slot=slot, category=center_world.b, date=day, person=person,
                                             user=p.citizen, code="SRCH0001")
    rating = Rating.objects.create(subject_type="service", subject_id=str(mine.pk), level=4, score=80, channel="pad",
                                   department=cw.center, staff=center_world.clerk, rater_person=person)
    other = Center.objects.create(code="TEST-OTHER", name="另一中心", short_name="另一中心", level="street",
                                  region=cw.street, department=p.other_department, address="上海市静安区某路 2 号")
    other_manager = UserFactory.create(username="p_other_center_manager")
    CenterStaff.objects.create(center=other, user=other_manager, is_manager=True)
    return History(world=center_world, person=person, other_manager=other_manager,
                   ids={"case": case.pk, "ticket": mine.pk, "appointment": appointment.pk, "rating": rating.pk})


def client_of(h: History, who: str) -> Client:
    client = Client()
    p = h.world.cw.p
    users = {"center_clerk": h.world.clerk, "center_manager": p.manager, "other_center_manager": h.other_manager,
             "reviewer": p.reviewer, "clerk_other_department": p.clerk_other_department, "citizen": p.citizen}
    if who != "anonymous":
        client.force_login(users[who])
    return client


def post(client: Client, body: dict[str, Any]) -> Any:
    return client.post(API, body, content_type="application/json")


def test_a_get_carries_no_criteria(history: History) -> None:
    client = client_of(history, "center_manager")
    assert client.get(API, {"id_number": history.person.id_number}).status_code == 405
    page = client.get(PAGE, {"id_number": history.person.id_number})
    assert page.status_code == 200
    assert 'id="search-results"' not in page.content.decode()
    assert not AuditEntry.objects.filter(action="analytics.search").exists()


def found(response: Any) -> set[tuple[str, int]]:
    return {(row["kind"], row["id"]) for row in response.json()["items"]}


def test_search_by_id_number_finds_case_ticket_appointment_and_rating(history: History) -> None:
    client = client_of(history, "center_manager")
    audits = AuditEntry.objects.filter(action="analytics.search").count()
    response = post(client, {"id_number": history.person.id_number})
    assert response.status_code == 200
    body = response.json()
    assert found(response) == {(kind, pk) for kind, pk in history.ids.items()}
    assert (body["total"], body["page"], body["pages"]) == (4, 1, 1)
    masked = f"{mask_name(history.person.name)} {mask_id_number(history.person.id_number)}"
    assert {row["person"] for row in body["items"]} == {masked}
    assert history.person.id_number not in response.content.decode()
    links = {row["kind"]: row["link"] for row in body["items"]}
    assert links["case"] == f"/cases/staff/{history.ids['case']}/"
    entry = AuditEntry.objects.filter(action="analytics.search").order_by("-pk").first()
    assert AuditEntry.objects.filter(action="analytics.search").count() == audits + 1
    assert entry is not None and entry.after is not None
    assert entry.after["count"] == 4
    assert entry.after["criteria"]["id_number"] == mask_id_number(history.person.id_number)
    assert history.person.id_number not in str(entry.after)


@pytest.mark.parametrize(
    ("who", "status", "kinds"),
    [
        ("center_clerk", 200, {"case", "ticket", "appointment", "rating"}),
        ("center_manager", 200, {"case", "ticket", "appointment", "rating"}),
        ("reviewer", 200, {"case"}),  # the handling department: its cases only
        ("other_center_manager", 200, set()),
        ("clerk_other_department", 200, set()),
        ("citizen", 403, None),
        ("anonymous", 401, None),
    ],
)
def test_api_matrix(history: History, who: str, status: int, kinds: set[str] | None) -> None:
    audits = AuditEntry.objects.filter(action="analytics.search").count()
    response = post(client_of(history, who), {"id_number": history.person.id_number})
    assert response.status_code == status
    if kinds is None:
        assert AuditEntry.objects.filter(action="analytics.search").count() == audits
        return
    assert found(response) == {(k, history.ids[k]) for k in kinds}
    assert AuditEntry.objects.filter(action="analytics.search").count() == audits + 1


@pytest.mark.parametrize(
    ("who", "status"),
    [("center_clerk", 200), ("reviewer", 200), ("other_center_manager", 200), ("citizen", 403), ("anonymous", 302)],
)
def test_page_matrix(history: History, who: str, status: int) -> None:
    response = client_of(history, who).post(PAGE, {"id_number": history.person.id_number, "page": "1"})
    assert response.status_code == status
    if who == "center_clerk":
        html = response.content.decode()
        assert html.count("<tr data-kind=") == 4
        assert f'href="/cases/staff/{history.ids["case"]}/"' in html
        assert html.count(history.person.id_number) == 1  # the criterion typed, echoed in its field


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "search_no_criteria"),
        ({"id_number": "110101199001011234X"[:17] + "9"}, "search_id_number_invalid"),
        ({"phone": "1234"}, "search_phone_invalid"),
        ({"date_from": "2024-01-01", "date_to": "2026-01-01"}, "search_range_too_long"),
        ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "search_range_invalid"),
        ({"name": "张伟", "kinds": ["nothing"]}, "search_kind_invalid"),
        ({"name": "张\x00伟"}, "text_invalid"),
        ({"clerk": "centerclerk\x00"}, "text_invalid"),
    ],
)
def test_bad_criteria_are_refused_and_not_audited(history: History, params: dict[str, str], code: str) -> None:
    audits = AuditEntry.objects.count()
    response = post(client_of(history, "center_manager"), params)
    assert (response.status_code, response.json()["code"]) == (400, code)
    page = client_of(history, "center_manager").post(PAGE, {**params, "page": "1"})
    assert page.status_code == 400
    assert AuditEntry.objects.count() == audits


def test_narrow_criteria(history: History) -> None:
    client = client_of(history, "center_manager")
    by_window = post(client, {"window": history.world.w1.pk})
    assert found(by_window) == {("ticket", history.ids["ticket"]),
                                ("ticket", history.ids["ticket"] + 1), ("rating", history.ids["rating"])}
    by_phone_and_kind = post(client, {"phone": history.person.phone, "kinds": ["appointment"]})
    assert found(by_phone_and_kind) == {("appointment", history.ids["appointment"])}
    nobody = post(client, {"name": "不存在的人"})
    assert (nobody.status_code, nobody.json()["total"], nobody.json()["items"]) == (200, 0, [])
