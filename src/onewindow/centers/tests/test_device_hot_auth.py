"""The device authentication of the hall's hot writes (take, call-next, skip; issue #17): the token and
its device read in one query, the once-a-minute "last used" / "last seen" writes folded into the
operation's transaction — and nothing of that weakens the refusals: a revoked token, a wrong secret, a
deactivated device or an expired token are refused at the very next request, with nothing written;
a refused operation still records that the device was seen.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from onewindow.accounts.models import ApiToken
from onewindow.accounts.testing import make_api_token
from onewindow.core.models import AuditEntry

from ..choices import DeviceKind
from ..models import Device, Ticket, TicketEvent
from .test_api import Hall, bearer_client, device, post
from .test_api import hall as hall  # the fixture, used by name


def _state() -> tuple[int, int, int]:
    return Ticket.objects.count(), TicketEvent.objects.count(), AuditEntry.objects.count()


def test_first_take_records_token_use_and_device_seen_once_a_minute(hall: Hall) -> None:
    w = hall.world
    printer, bearer = device(w, DeviceKind.TICKET_PRINTER, "取号机 2")
    client = bearer_client(bearer)
    assert (printer.last_seen_at, printer.token.last_used_at) == (None, None)
    first = post(client, "/devices/ticket", {"category_id": w.a.pk})
    assert first.status_code == 201
    printer.refresh_from_db()
    token = ApiToken.objects.get(pk=printer.token_id)
    assert printer.last_seen_at is not None and token.last_used_at is not None
    seen, used = printer.last_seen_at, token.last_used_at
    assert post(client, "/devices/ticket", {"category_id": w.a.pk}).status_code == 201
    printer.refresh_from_db()
    token.refresh_from_db()
    assert (printer.last_seen_at, token.last_used_at) == (seen, used)  # at most once a minute
    stale = timezone.now() - datetime.timedelta(minutes=2)
    Device.objects.filter(pk=printer.pk).update(last_seen_at=stale)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=stale)
    assert post(client, "/devices/ticket", {"category_id": w.a.pk}).status_code == 201
    printer.refresh_from_db()
    token.refresh_from_db()
    assert printer.last_seen_at is not None and printer.last_seen_at > stale
    assert token.last_used_at is not None and token.last_used_at > stale
    assert list(Ticket.objects.filter(device=printer).order_by("number").values_list("display", flat=True)) == [
        "A001", "A002", "A003"]


def test_a_refused_take_writes_nothing_but_the_device_seen(hall: Hall) -> None:
    w = hall.world
    printer, bearer = device(w, DeviceKind.TICKET_PRINTER, "取号机 2")
    before = _state()
    refused = post(bearer_client(bearer), "/devices/ticket", {"category_id": 999_999})
    assert (refused.status_code, refused.json()["code"]) == (404, "category_not_found")
    assert _state() == before
    printer.refresh_from_db()
    assert printer.last_seen_at is not None
    assert ApiToken.objects.get(pk=printer.token_id).last_used_at is not None


def test_a_refused_skip_writes_nothing_but_the_keypad_seen(hall: Hall) -> None:
    w = hall.world
    before = _state()
    refused = post(hall.keypad, "/devices/skip")
    assert (refused.status_code, refused.json()["code"]) == (409, "no_current_ticket")
    assert _state() == before
    w.keypad.refresh_from_db()
    assert w.keypad.last_seen_at is not None


@pytest.mark.parametrize("url", ["/devices/ticket", "/devices/call-next", "/devices/skip"])
def test_revoked_token_is_refused_at_the_next_request_with_nothing_written(hall: Hall, url: str) -> None:
    w = hall.world
    assert post(hall.printer, "/devices/ticket", {"category_id": w.a.pk}).status_code == 201
    assert post(hall.keypad, "/devices/call-next").status_code == 200
    assert post(hall.printer, "/devices/ticket", {"category_id": w.a.pk}).status_code == 201
    printer = Device.objects.get(kind=DeviceKind.TICKET_PRINTER, center=w.center, name="取号机 1")
    ApiToken.objects.filter(pk__in=[printer.token_id, w.keypad.token_id]).update(revoked_at=timezone.now())
    client = hall.printer if url == "/devices/ticket" else hall.keypad
    before = _state()
    statuses = list(Ticket.objects.order_by("pk").values_list("status", flat=True))
    refused = post(client, url, {"category_id": w.a.pk})
    assert refused.status_code == 401
    assert refused.json() == {"code": "token_revoked", "message": "访问令牌已被撤销", "fields": {}}
    assert _state() == before
    assert list(Ticket.objects.order_by("pk").values_list("status", flat=True)) == statuses


def test_wrong_secret_expired_token_inactive_device_and_scope_refused(hall: Hall) -> None:
    w = hall.world
    printer, bearer = device(w, DeviceKind.TICKET_PRINTER, "取号机 2")
    client = bearer_client(bearer)
    assert post(client, "/devices/ticket", {"category_id": w.a.pk}).status_code == 201
    before = _state()
    wrong = bearer_client(bearer[:-4] + ("aaaa" if not bearer.endswith("aaaa") else "bbbb"))
    assert post(wrong, "/devices/ticket", {"category_id": w.a.pk}).json()["code"] == "token_invalid"
    ApiToken.objects.filter(pk=printer.token_id).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    expired = post(client, "/devices/ticket", {"category_id": w.a.pk})
    assert (expired.status_code, expired.json()["code"]) == (401, "token_expired")
    ApiToken.objects.filter(pk=printer.token_id).update(expires_at=None)
    Device.objects.filter(pk=printer.pk).update(is_active=False)
    inactive = post(client, "/devices/ticket", {"category_id": w.a.pk})
    assert (inactive.status_code, inactive.json()["code"]) == (403, "device_inactive")
    Device.objects.filter(pk=printer.pk).update(is_active=True)
    ApiToken.objects.filter(pk=printer.token_id).update(scopes=["cases:read"])
    scoped = post(client, "/devices/ticket", {"category_id": w.a.pk})
    assert (scoped.status_code, scoped.json()["code"]) == (403, "insufficient_scope")
    unbound = bearer_client(make_api_token(name="无设备令牌", scopes=["device"], system_name="x")[1])
    assert post(unbound, "/devices/ticket", {"category_id": w.a.pk}).json()["code"] == "device_unknown"
    assert _state() == before
    ApiToken.objects.filter(pk=printer.token_id).update(scopes=["device"])
    assert post(client, "/devices/ticket", {"category_id": w.a.pk}).status_code == 201
