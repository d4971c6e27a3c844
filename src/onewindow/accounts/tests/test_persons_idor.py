"""Persons IDOR matrix (issue #9 point 1): every staff kind × target in scope / out of scope ×
masked / unmasked read, with the exact status, code and fields, and the exact audit effect.

The in-scope person is a party to one record of each kind: a case received by the principals'
department, a queue ticket at the test center, a tax record of the test tax bureau. The
out-of-scope person has nothing anywhere. Viewers: window clerk, reviewer, center manager,
department admin, system admin, the center's clerk, a tax bureau clerk, a kiosk terminal account
in a device-bound browser, a device token, the citizen (who is the in-scope person) and anonymous.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.utils import timezone

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import Person, User
from onewindow.accounts.testing import DepartmentFactory, PersonFactory, StaffRoleFactory, UserFactory, fresh_reauth
from onewindow.core.audit import PERSONAL_DATA_VIEW
from onewindow.core.models import AuditEntry, RegionLevel

BASE = "/api/v1/accounts"
REFUSED = "personal_data.view_refused"
BOUND_COOKIE = "test_bound_device"

VIEWERS = ["window_clerk", "reviewer", "center_manager", "department_admin", "system_admin", "centerclerk",
           "taxclerk", "kiosk_account", "device", "citizen", "anonymous"]

OK = (200, None)
OUT = (403, "unmask_out_of_scope")
MACHINE = (403, "unmask_machine_forbidden")
SCOPE = (403, "insufficient_scope")
ANON = (401, "unauthenticated")

#: (viewer, target, unmask) -> (status, code)
EXPECTED: dict[tuple[str, str, bool], tuple[int, str | None]] = {}
for _viewer in VIEWERS:
    for _target in ("in_scope", "out_of_scope"):
        EXPECTED[(_viewer, _target, False)] = OK
        EXPECTED[(_viewer, _target, True)] = OK if _target == "in_scope" else OUT
EXPECTED.update({
    ("system_admin", "in_scope", True): OUT,  # administering the system is not handling a case
    ("kiosk_account", "in_scope", True): MACHINE, ("kiosk_account", "out_of_scope", True): MACHINE,
    ("device", "in_scope", False): SCOPE, ("device", "out_of_scope", False): SCOPE,
    ("device", "in_scope", True): SCOPE, ("device", "out_of_scope", True): SCOPE,
    ("citizen", "in_scope", True): (403, "unmask_forbidden"),
    ("citizen", "out_of_scope", False): (404, "person_not_found"),
    ("citizen", "out_of_scope", True): (404, "person_not_found"),
    ("anonymous", "in_scope", False): ANON, ("anonymous", "out_of_scope", False): ANON,
    ("anonymous", "in_scope", True): ANON, ("anonymous", "out_of_scope", True): ANON,
})
PURPOSE_OF = {"window_clerk": "case", "reviewer": "case", "department_admin": "case", "center_manager": "ticket",
              "centerclerk": "ticket", "taxclerk": "tax_record"}


class BindDevice:
    """Stands in for the centers middleware: a browser with the test cookie is device-bound."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.bound_device = "kiosk" if request.COOKIES.get(BOUND_COOKIE) else None  # type: ignore[attr-defined]
        response: HttpResponse = self.get_response(request)
        return response


@dataclass
class World:
    users: dict[str, User]
    targets: dict[str, Person]
    device_bearer: str


def _fresh(client: Client, user: User) -> Client:
    client.force_login(user)
    return fresh_reauth(client, user)


def _tax_record(department: Any, person: Person) -> Any:
    from onewindow.taxqr.models import TaxBureau, TaxRecord
    from onewindow.taxqr.party_scope import record_parties_index

    bureau = TaxBureau.objects.create(department=department, short_code="TJA")
    now = timezone.now()
    record = TaxRecord.objects.create(
        bureau=bureau, archive_no="TJA-2026-000001", certificate_no="沪房地静字(2026)第000001号",
        contract_date=timezone.localdate(), district_code="310106", address="静安区测试路 1 号",
        area=decimal.Decimal("80.00"), price=decimal.Decimal("5000000.00"), record_encrypted="{}",
        envelope_hash="0" * 64, ruleset_version="2024.12", signing_kid="k1", issued_at=now,
        first_scan_at=now, saved_at=now)
    record_parties_index(record, {"sellers": [{"name": person.name, "id_number": person.id_number}], "buyers": []})
    return record


@pytest.fixture
def world(center_world: Any) -> World:
    from onewindow.centers import services as center_services
    from onewindow.centers.models import CenterStaff, Ticket

    cw = center_world.cw
    p = cw.p
    in_scope = p.citizen.person
    cw.submitted()  # the citizen's case, received by p.department
    ticket = center_services.ticket_take(by=center_world.clerk, center_id=center_world.center.pk,
                                         category_id=center_world.a.pk, now=center_world.at())
    Ticket.objects.filter(pk=ticket.pk).update(person=in_scope, date=timezone.localdate())
    tax_department = DepartmentFactory.create(code="TEST-310106-SWJ", name="国家税务总局上海市静安区税务局（测试）",
                                              level=RegionLevel.DISTRICT, region=p.district)
    _tax_record(tax_department, in_scope)
    taxclerk = UserFactory.create(username="p_taxclerk", is_staff=True)
    StaffRoleFactory.create(user=taxclerk, role=StaffRoleKind.WINDOW_CLERK, department=tax_department)
    center_manager = UserFactory.create(username="p_center_manager", is_staff=True)
    StaffRoleFactory.create(user=center_manager, role=StaffRoleKind.CENTER_MANAGER, department=None, region=cw.street)
    CenterStaff.objects.create(center=center_world.center, user=center_manager, is_manager=True)
    kiosk = UserFactory.create(username="p_kiosk_terminal", is_staff=True)
    StaffRoleFactory.create(user=kiosk, role=StaffRoleKind.WINDOW_CLERK, department=cw.center)
    users = {"window_clerk": p.clerk, "reviewer": p.reviewer, "center_manager": center_manager,
             "department_admin": p.manager, "system_admin": p.admin, "centerclerk": center_world.clerk,
             "taxclerk": taxclerk, "kiosk_account": kiosk, "citizen": p.citizen}
    out = PersonFactory.create(name="周星")
    return World(users=users, targets={"in_scope": in_scope, "out_of_scope": out}, device_bearer=p.device_bearer)


def _client(world: World, viewer: str) -> Client:
    if viewer == "anonymous":
        return Client()
    if viewer == "device":
        return Client(headers={"Authorization": f"Bearer {world.device_bearer}"})
    client = _fresh(Client(), world.users[viewer])
    if viewer == "kiosk_account":
        client.cookies[BOUND_COOKIE] = "1"
    return client


def _counts() -> tuple[int, int, int]:
    from onewindow.accounts.models import PersonAccess

    return (AuditEntry.objects.filter(action=PERSONAL_DATA_VIEW).count(),
            AuditEntry.objects.filter(action=REFUSED).count(), PersonAccess.objects.count())


@pytest.mark.parametrize("unmask", [False, True], ids=["masked", "unmasked"])
@pytest.mark.parametrize("target", ["in_scope", "out_of_scope"])
@pytest.mark.parametrize("viewer", VIEWERS)
def test_persons_idor_matrix(world: World, settings: Any, viewer: str, target: str, unmask: bool) -> None:
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.BindDevice"]
    person = world.targets[target]
    status, code = EXPECTED[(viewer, target, unmask)]
    before = _counts()
    url = f"{BASE}/persons/{person.ref}" + ("?unmask=true" if unmask else "")
    response = _client(world, viewer).get(url)
    assert response.status_code == status, response.content
    data = response.json()
    body = response.content.decode()
    views, refusals, accesses = _counts()
    if status == 200 and unmask:
        assert data == {"ref": person.ref, "name": person.name, "id_type": person.id_type,
                        "id_number": person.id_number, "phone": person.phone,
                        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
                        "gender": person.gender, "real_name_verified": person.real_name_verified, "unmasked": True,
                        "purpose_kind": PURPOSE_OF[viewer], "purpose_reference": data["purpose_reference"]}
        assert data["purpose_reference"]
        assert (views, refusals, accesses) == (before[0] + 1, before[1], before[2] + 1)
        return
    assert person.id_number not in body and person.phone not in body
    if status == 200:
        assert data == {"ref": person.ref, "name": person.name_masked, "id_type": person.id_type,
                        "id_number": person.id_number_masked, "phone": person.phone_masked, "birth_date": None,
                        "gender": person.gender, "real_name_verified": person.real_name_verified, "unmasked": False,
                        "purpose_kind": None, "purpose_reference": None}
        assert (views, refusals, accesses) == before
        return
    assert (data["code"], set(data)) == (code, {"code", "message", "fields"})
    # A refused unmask by a logged-in user is recorded as exactly one refusal entry; nothing else.
    recorded = 1 if unmask and status == 403 and code != "insufficient_scope" else 0
    assert (views, refusals, accesses) == (before[0], before[1] + recorded, before[2])


def test_matrix_covers_every_viewer_target_and_mode() -> None:
    assert len(EXPECTED) == len(VIEWERS) * 2 * 2
    assert set(PURPOSE_OF) == {v for (v, t, u), (s, _c) in EXPECTED.items() if u and s == 200}


def test_admin_unmask_view_obeys_the_same_scope(world: World) -> None:
    person = world.targets["in_scope"]
    admin = _fresh(Client(), world.users["system_admin"])
    response = admin.get(f"/admin/accounts/person/{person.ref}/unmask/")
    assert response.status_code == 403
    assert person.id_number not in response.content.decode()
    assert b'data-code="unmask_out_of_scope"' in response.content
    assert admin.get(f"/admin/accounts/person/{person.pk}/unmask/").status_code == 404
    assert not AuditEntry.objects.filter(action=PERSONAL_DATA_VIEW).exists()
