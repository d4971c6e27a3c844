"""Public devices that can't be abused (issue #9 point 7, decision 0008): kiosk pages only in an
enrolled browser, the binding dies with the device, rate limits per device and per number, no
queue SMS to an unconfirmed number, capped one-time codes, flooding on the manager's page.

Every refusal asserts that nothing was written: tickets, ticket events, outbox messages, audit
entries of the queue."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from onewindow.accounts.services import api_token_revoke
from onewindow.centers import services
from onewindow.centers.models import Ticket, TicketEvent
from onewindow.centers.testing import CenterWorld
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry
from onewindow.notifications.models import Message

from .test_pages_public import open_around_the_clock

pytestmark = pytest.mark.django_db
KIOSK = "/centers/TEST-LFL/kiosk/"


def _state() -> tuple[int, int, int, int]:
    return (Ticket.objects.count(), TicketEvent.objects.count(), Message.objects.count(),
            AuditEntry.objects.filter(action__startswith="centers.ticket").count())


def _enrolled(w: CenterWorld, device: Any = None) -> Client:
    from onewindow.centers.testing import enrol

    return enrol(Client(), device or w.kiosk)


def _refused(call: Any, code: str, status: int) -> None:
    before = _state()
    with pytest.raises(DomainError) as caught:
        call()
    assert (caught.value.code, caught.value.status) == (code, status)
    assert _state() == before


def _code_sent_to(phone: str) -> str:
    """The code in the latest one-time-code SMS to ``phone`` (the outbox holds it encrypted)."""
    message = next(m for m in Message.objects.filter(event="phone_code").order_by("-created_at")
                   if m.phone == phone)
    found = re.search(r"验证码(\d{6})", message.text)
    assert found is not None
    return found.group(1)


def test_anonymous_kiosk_take_is_refused_and_creates_nothing(center_world: CenterWorld, client: Client) -> None:
    open_around_the_clock(center_world)
    before = _state()
    response = client.post(f"{KIOSK}take/", {"category": "A", "phone": "13900001234"})
    assert response.status_code == 403
    assert 'data-code="device_not_enrolled"' in response.content.decode()
    assert _state() == before == (0, 0, 0, 0)
    # The pages too, and a staff login is no longer what makes a browser a kiosk or a display.
    client.force_login(center_world.clerk)
    for url in (KIOSK, f"{KIOSK}checkin/", f"{KIOSK}guide/", "/centers/TEST-LFL/display/"):
        page = client.get(url)
        assert page.status_code == 403 and 'data-code="device_not_enrolled"' in page.content.decode(), url
    assert client.post(f"{KIOSK}take/", {"category": "A"}).status_code == 403
    assert _state() == before
    # The waiting board stays public (the residents' WeChat page: counts only).
    assert Client().get("/centers/TEST-LFL/board/").status_code == 200


def test_binding_is_revoked_with_the_device(center_world: CenterWorld) -> None:
    from onewindow.centers.models import Device, DeviceBinding

    w = center_world
    open_around_the_clock(w)
    kiosk = _enrolled(w)
    assert kiosk.get(KIOSK).status_code == 200
    assert kiosk.post(f"{KIOSK}take/", {"category": "A"}).status_code == 302
    assert Ticket.objects.get().device_id == w.kiosk.pk
    # Revoking the device's token (the admin's 停用, or accounts' api_token_revoke) kills the browser.
    api_token_revoke(by=w.cw.p.admin, token=w.kiosk.token, reason="test")
    before = _state()
    page = kiosk.get(KIOSK)
    assert page.status_code == 403 and 'data-code="device_not_enrolled"' in page.content.decode()
    assert kiosk.post(f"{KIOSK}take/", {"category": "A"}).status_code == 403
    assert _state() == before
    # Deactivating a device does the same; so does the manager's 解除绑定.
    display = _enrolled(w, w.display)
    assert display.get("/centers/TEST-LFL/display/").status_code == 200
    Device.objects.filter(pk=w.display.pk).update(is_active=False)
    assert display.get("/centers/TEST-LFL/display/").status_code == 403
    Device.objects.filter(pk=w.display.pk).update(is_active=True)
    assert display.get("/centers/TEST-LFL/display/").status_code == 200
    manager = Client()
    manager.force_login(w.manager)
    assert manager.post(f"/centers/{w.center.pk}/manage/devices/{w.display.pk}/unbind/").status_code == 302
    assert display.get("/centers/TEST-LFL/display/").status_code == 403
    assert not DeviceBinding.objects.filter(device=w.display, revoked_at__isnull=True).exists()
    # A clerk cannot unbind, nor enrol; a keypad has no browser to enrol.
    clerk = Client()
    clerk.force_login(w.clerk)
    bindings = DeviceBinding.objects.count()
    refused = clerk.post("/centers/devices/enrol/", {"device": w.display.pk})
    assert refused.status_code == 403 and 'data-code="not_center_manager"' in refused.content.decode()
    keypad = manager.post("/centers/devices/enrol/", {"device": w.keypad.pk})
    assert keypad.status_code == 422 and 'data-code="device_kind_not_browser"' in keypad.content.decode()
    assert DeviceBinding.objects.count() == bindings


def test_enrolment_binds_the_browser_and_logs_the_manager_out(center_world: CenterWorld) -> None:
    from onewindow.centers.models import DeviceBinding

    w = center_world
    browser = Client()
    browser.force_login(w.manager)
    page = browser.get("/centers/devices/enrol/").content.decode()
    assert f'value="{w.kiosk.pk}"' in page and f'value="{w.display.pk}"' in page
    assert f'value="{w.keypad.pk}"' not in page
    response = browser.post("/centers/devices/enrol/", {"device": w.kiosk.pk})
    assert (response.status_code, response["Location"]) == (302, KIOSK)
    cookie = response.cookies["ow_device"]
    assert (cookie["httponly"], cookie["samesite"], int(cookie["max-age"])) == (True, "Strict", 400 * 86400)
    binding = DeviceBinding.objects.get()
    secret = cookie.value.split(":")[1]  # <binding id>:<secret>:<signature>
    assert binding.device_id == w.kiosk.pk and secret not in binding.secret_hash
    assert "_auth_user_id" not in browser.session  # the kiosk keeps no staff session
    assert browser.get(KIOSK).status_code == 200
    # Enrolling another browser as the same kiosk ends the first binding.
    second = Client()
    second.force_login(w.manager)
    second.post("/centers/devices/enrol/", {"device": w.kiosk.pk})
    assert browser.get(KIOSK).status_code == 403 and second.get(KIOSK).status_code == 200
    assert AuditEntry.objects.filter(action="centers.device.enrol").count() == 2


def test_take_rate_limits_per_device_and_per_number(center_world: CenterWorld, settings: Any) -> None:
    w = center_world
    settings.CENTERS_TAKE_LIMITS = {"device": [4, 600], "phone": [2, 3600]}
    for minute in range(4):
        services.ticket_take(by=None, device=w.kiosk, center_id=w.center.pk, category_id=w.a.pk, now=w.at(minute))
    _refused(lambda: services.ticket_take(by=None, device=w.kiosk, center_id=w.center.pk, category_id=w.a.pk,
                                          now=w.at(5)), "device_rate_limited", 429)
    # The window slides: ten minutes after the first, the device may take again.
    services.ticket_take(by=None, device=w.kiosk, center_id=w.center.pk, category_id=w.a.pk, now=w.at(10))
    # Per number, whatever the device: two an hour.
    take = {"center_id": w.center.pk, "category_id": w.b.pk, "phone": "13900001234"}
    services.ticket_take(by=None, device=w.kiosk, now=w.at(30), **take)
    services.ticket_take(by=None, now=w.at(31), **take)
    _refused(lambda: services.ticket_take(by=None, now=w.at(32), **take), "phone_rate_limited", 429)
    _refused(lambda: services.ticket_take(by=None, now=w.at(33), **{**take, "phone": "139 0000 1234"}),
             "phone_rate_limited", 429)
    # A clerk of the center taking a ticket for someone is not limited.
    services.ticket_take(by=w.clerk, now=w.at(34), **take)
    # Through the kiosk page: a 429 page with its code, nothing written.
    open_around_the_clock(w)
    settings.CENTERS_TAKE_LIMITS = {"device": [0, 600], "phone": [2, 3600]}
    kiosk = _enrolled(w)
    before = _state()
    response = kiosk.post(f"{KIOSK}take/", {"category": "A"})
    assert response.status_code == 429 and 'data-code="device_rate_limited"' in response.content.decode()
    assert _state() == before


def test_no_queue_sms_until_the_number_is_confirmed(center_world: CenterWorld) -> None:
    w = center_world
    open_around_the_clock(w)
    kiosk = _enrolled(w)
    response = kiosk.post(f"{KIOSK}take/", {"category": "A", "phone": "13900001111"})
    unconfirmed = Ticket.objects.get()
    assert response["Location"] == f"{KIOSK}confirm/{unconfirmed.status_code}/"
    assert list(Message.objects.values_list("event", "phone")) == [("phone_code", "13900001111")]
    code = _code_sent_to("13900001111")
    from onewindow.centers.models import PhoneCheck

    check = PhoneCheck.objects.get()
    assert code not in check.code_hash and check.ticket_id == unconfirmed.pk
    # Skipped: printed, valid, called — and no queue SMS goes to the number.
    kiosk.get(f"/centers/tickets/{unconfirmed.status_code}/print/?kiosk=TEST-LFL")
    services.ticket_call_next(by=w.clerk, window_id=w.w1.pk)
    assert not Message.objects.filter(event__in=["ticket_called", "ticket_near"]).exists()
    # The next one confirms: a wrong code first (counted), then the right one.
    kiosk.post(f"{KIOSK}take/", {"category": "A", "phone": "13900002222"})
    confirmed = Ticket.objects.get(display="A002")
    code = _code_sent_to("13900002222")
    wrong = kiosk.post(f"{KIOSK}confirm/{confirmed.status_code}/", {"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 422 and 'data-code="phone_code_invalid"' in wrong.content.decode()
    assert PhoneCheck.objects.get(ticket=confirmed).attempts == 1
    right = kiosk.post(f"{KIOSK}confirm/{confirmed.status_code}/", {"code": code})
    assert right["Location"] == f"/centers/tickets/{confirmed.status_code}/print/?kiosk=TEST-LFL"
    confirmed.refresh_from_db()
    assert confirmed.phone_confirmed_at is not None
    services.ticket_finish(by=w.clerk, ticket_id=services.ticket_start(by=w.clerk, ticket_id=unconfirmed.pk).pk)
    services.ticket_call_next(by=w.clerk, window_id=w.w1.pk)
    assert list(Message.objects.filter(event="ticket_called").values_list("phone", "subject_id")) == [
        ("13900002222", str(confirmed.pk))]
    # A logged-in resident's own number needs no code; nor does an appointment's.
    citizen = w.cw.p.citizen
    own = services.ticket_take(by=citizen, center_id=w.center.pk, category_id=w.c.pk, phone=citizen.person.phone)
    assert own.phone_confirmed_at is not None
    assert Message.objects.filter(event="phone_code").count() == 2


def test_phone_code_caps_expiry_and_attempts(center_world: CenterWorld, settings: Any) -> None:
    from onewindow.centers.models import PhoneCheck
    from onewindow.centers.services.phone import phone_check_confirm

    w = center_world
    settings.CENTERS_TAKE_LIMITS = {"device": [100, 600], "phone": [100, 3600]}
    settings.CENTERS_PHONE_CODE_LIMITS = {"phone": [3, 3600], "device": [5, 3600]}

    def take(phone: str, minute: int) -> Ticket:
        return services.ticket_take(by=None, device=w.kiosk, center_id=w.center.pk, category_id=w.a.pk,
                                    phone=phone, now=w.at(minute))

    for minute in range(3):
        take("13900003333", minute)
    assert Message.objects.filter(event="phone_code").count() == 3
    fourth = take("13900003333", 3)  # the ticket is valid; the number gets no fourth code this hour
    assert (Message.objects.filter(event="phone_code").count(), PhoneCheck.objects.count()) == (3, 3)
    assert not PhoneCheck.objects.filter(ticket=fourth).exists() and fourth.phone_confirmed_at is None
    take("13900004444", 4)
    take("13900005555", 5)  # the device's fifth code this hour
    take("13900006666", 6)  # none for a sixth number from this device
    assert sorted(Message.objects.filter(event="phone_code").values_list("phone", flat=True)) == [
        "13900003333"] * 3 + ["13900004444", "13900005555"]
    assert PhoneCheck.objects.filter(device=w.kiosk).count() == 5
    # Expiry: ten minutes.
    ticket = Ticket.objects.get(display="A005")
    code = _code_sent_to("13900004444")
    with pytest.raises(DomainError) as expired:
        phone_check_confirm(status_code=ticket.status_code, code=code, now=w.at(4 + 11))
    assert (expired.value.code, expired.value.status) == ("phone_code_expired", 409)
    # Attempts: five wrong entries spend the code; then even the right one is refused.
    ticket = Ticket.objects.get(display="A006")
    code = _code_sent_to("13900005555")
    wrong = "111111" if code != "111111" else "222222"
    for _attempt in range(5):
        with pytest.raises(DomainError) as bad:
            phone_check_confirm(status_code=ticket.status_code, code=wrong, now=w.at(6))
        assert bad.value.code == "phone_code_invalid"
    with pytest.raises(DomainError) as locked:
        phone_check_confirm(status_code=ticket.status_code, code=code, now=w.at(6))
    assert (locked.value.code, locked.value.status) == ("phone_code_locked", 429)
    ticket.refresh_from_db()
    assert ticket.phone_confirmed_at is None
    assert PhoneCheck.objects.get(ticket=ticket).attempts == 5


def test_flooding_is_shown_to_the_manager_masked(center_world: CenterWorld, settings: Any) -> None:
    w = center_world
    open_around_the_clock(w)
    settings.CENTERS_FLOOD = {"minutes": 60, "device": 5, "phone": 2}
    now = timezone.now()
    for second in range(5):
        services.ticket_take(by=None, device=w.kiosk, center_id=w.center.pk, category_id=w.a.pk,
                             now=now - datetime.timedelta(seconds=10 - second))
    services.ticket_take(by=None, center_id=w.center.pk, category_id=w.b.pk, phone="13912345678")
    services.ticket_take(by=None, center_id=w.center.pk, category_id=w.c.pk, phone="13912345678")
    services.ticket_take(by=None, center_id=w.center.pk, category_id=w.c.pk, phone="13700000000")  # once only
    manager = Client()
    manager.force_login(w.manager)
    html = manager.get(f"/centers/{w.center.pk}/manage/").content.decode()
    table = html.split('id="flood-table"')[1].split("</table>")[0]
    rows = re.findall(r'<tr data-kind="(\w+)"><td>(.*?)</td><td>(\d+)</td>', table)
    assert rows == [("device", "设备 大厅一体机", "5"), ("phone", "手机号 139****5678", "2")]
    assert "13912345678" not in html and "1370000" not in html
    # Clerks see the live page, not who floods it.
    clerk = Client()
    clerk.force_login(w.clerk)
    assert 'id="flood-table"' not in clerk.get(f"/centers/{w.center.pk}/manage/").content.decode()


def test_a_ticket_taken_at_the_kiosk_is_audited_as_that_device(center_world: CenterWorld) -> None:
    """The audit trail names the device (kind ``device``, its id), not a string label of the system."""
    from onewindow.centers.services import ticket_take

    kiosk = center_world.kiosk
    ticket = ticket_take(by=kiosk, center_id=center_world.center.pk, category_id=center_world.a.pk,
                         now=center_world.at(0))
    entry = AuditEntry.objects.get(action="centers.ticket.take", target_id=str(ticket.pk))
    assert (entry.actor_kind, entry.actor_id, entry.actor_label, entry.channel) == (
        "device", str(kiosk.pk), f"device:{kiosk.pk} 大厅一体机", "device")
