"""The kiosk self-fill (自助填单) on an enrolled kiosk (issue #9 point 7, decision 0008): no staff
login, no identity oracle, identity checks throttled per device.

The kiosk is the ``center_world`` test center's hall kiosk (its terminal account is the center
clerk), enrolled the way a manager enrols it: logged in on the kiosk's browser, through
``/centers/devices/enrol/``."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from onewindow.accounts.models import Person
from onewindow.accounts.testing import make_resident_id
from onewindow.cases.models import Case
from onewindow.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _enrolled(world: Any, device: Any = None) -> Client:
    browser = Client()
    browser.force_login(world.manager)
    response = browser.post("/centers/devices/enrol/", {"device": (device or world.kiosk).pk})
    assert response.status_code == 302
    return browser


def _body(**extra: Any) -> dict[str, Any]:
    return {"name": "王秀英", "id_type": "resident_id", "id_number": make_resident_id("310106"),
            "phone": "13900001234", "idempotency_key": "kiosk-1", "applicant_name": "王秀英", **extra}


def _state() -> tuple[int, int, int]:
    return Case.objects.count(), Person.objects.count(), AuditEntry.objects.filter(action__startswith="case").count()


def _receipt_shape(html: str, case: Case) -> str:
    """The receipt without what differs between two cases: query code, QR code, time."""
    html = html.replace(case.query_code, "<code>")
    html = re.sub(r"<svg.*?</svg>", "<qr>", html, flags=re.S)
    html = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "<time>", html)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_kiosk_identity_check_answers_the_same_for_unknown_id_and_mismatch(case_world: Any,
                                                                          center_world: Any) -> None:
    registered = case_world.p.citizen.person
    assert registered.name != "王秀英"
    kiosk = _enrolled(center_world)
    url = f"/cases/kiosk/apply/{case_world.item.code}/"
    persons = Person.objects.count()
    unknown = kiosk.post(url, _body())
    first = Case.objects.get()
    one = kiosk.get(unknown["Location"])  # the receipt shows in the kiosk session, for its last case
    mismatch = kiosk.post(url, _body(id_number=registered.id_number, idempotency_key="kiosk-2"))
    second = Case.objects.exclude(pk=first.pk).get()
    two = kiosk.get(mismatch["Location"])
    # The same answer: a redirect to a receipt; the same receipt but for the query code.
    assert (unknown.status_code, mismatch.status_code) == (302, 302)
    assert (unknown["Location"], mismatch["Location"]) == (f"/cases/kiosk/receipt/{first.query_code}/",
                                                           f"/cases/kiosk/receipt/{second.query_code}/")
    assert (one.status_code, two.status_code) == (200, 200)
    assert _receipt_shape(one.content.decode(), first) == _receipt_shape(two.content.decode(), second)
    # The receipt names the person as typed (masked), never the registered name.
    assert '<dd>王**</dd>' in two.content.decode()
    # Both are drafts to be verified at the window: a new unverified person for the unknown ID;
    # the registered person for the mismatch, kept out of that person's own account.
    assert Person.objects.count() == persons + 1
    assert (first.applicant_person.real_name_verified, second.applicant_person_id, second.owner_id) == (
        False, registered.pk, None)
    assert (first.status, second.status, first.channel, second.channel) == ("draft", "draft", "kiosk", "kiosk")
    # The refusals are the same too: a missing name is refused before the registry is read.
    for id_number in (make_resident_id("310106"), registered.id_number):
        refused = kiosk.post(url, _body(name=" ", id_number=id_number, idempotency_key=id_number))
        assert refused.status_code == 422 and 'id="k-name-err"' in refused.content.decode()
    assert Case.objects.count() == 2


def test_kiosk_identity_checks_are_throttled_per_device(case_world: Any, center_world: Any, settings: Any) -> None:
    settings.CASES_KIOSK_CHECKS = (2, 600)
    kiosk = _enrolled(center_world)
    url = f"/cases/kiosk/apply/{case_world.item.code}/"
    assert kiosk.post(url, _body()).status_code == 302
    assert kiosk.post(url, _body(name="", idempotency_key="k2")).status_code == 422
    before = _state()
    limited = kiosk.post(url, _body(id_number=case_world.p.citizen.person.id_number, idempotency_key="k3"))
    assert limited.status_code == 429 and 'data-code="kiosk_rate_limited"' in limited.content.decode()
    assert _state() == before


def test_kiosk_self_fill_needs_an_enrolled_kiosk(case_world: Any, center_world: Any) -> None:
    url = f"/cases/kiosk/apply/{case_world.item.code}/"
    terminal = Client()
    terminal.force_login(case_world.center_clerk)  # the old terminal account is no longer enough
    display = _enrolled(center_world, center_world.display)
    before = _state()
    for browser in (Client(), terminal, display):
        page = browser.get(url)
        assert page.status_code == 403 and 'data-code="device_not_enrolled"' in page.content.decode()
        assert browser.post(url, _body()).status_code == 403
    assert _state() == before
    # The enrolled kiosk needs no login at all.
    kiosk = _enrolled(center_world)
    assert "_auth_user_id" not in kiosk.session
    assert kiosk.get(url).status_code == 200
