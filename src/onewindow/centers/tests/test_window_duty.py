"""Window and duty events (issue #14 part 3): every window state change and every clerk sign-in or
sign-out appends a WindowEvent; one window at a time per clerk; closing signs the clerk out; each
refusal has its status and code and writes nothing. The terminal page's 上岗签到 / 离岗签退 buttons
with the authorization of the page (anonymous → login, another center's staff → 403)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from onewindow.accounts.models import User
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry

from .. import services
from ..choices import WindowState
from ..models import Center, CenterStaff, WindowEvent
from ..testing import CenterWorld, take


def rows() -> list[tuple[Any, ...]]:
    return list(WindowEvent.objects.order_by("id").values_list("window__number", "action", "clerk_id", "reason"))


def refused(code: str, status: int, service: Any, **kwargs: Any) -> None:
    before, audits = rows(), AuditEntry.objects.count()
    with pytest.raises(DomainError) as excinfo:
        service(**kwargs)
    assert (excinfo.value.code, excinfo.value.status) == (code, status)
    assert rows() == before
    assert AuditEntry.objects.count() == audits


def test_state_changes_append_events(center_world: CenterWorld) -> None:
    w = center_world
    services.window_set_state(by=w.manager, window_id=w.w1.pk, state=WindowState.PAUSED)
    services.window_set_state(by=w.manager, window_id=w.w1.pk, state=WindowState.OPEN)
    services.window_set_state(by=w.manager, window_id=w.w1.pk, state=WindowState.OPEN)  # unchanged: no row
    services.window_set_state(by=w.manager, window_id=w.w1.pk, state=WindowState.CLOSED)
    services.window_set_state(by=w.manager, window_id=w.w1.pk, state=WindowState.OPEN)
    assert rows() == [(1, "pause", None, ""), (1, "resume", None, ""), (1, "close", None, ""), (1, "open", None, "")]
    assert set(WindowEvent.objects.values_list("actor_id", "center_id")) == {(w.manager.pk, w.center.pk)}


def test_sign_in_moves_and_close_signs_out(center_world: CenterWorld) -> None:
    w = center_world
    services.clerk_sign_in(by=w.clerk, window_id=w.w1.pk)
    refused("already_signed_in", 409, services.clerk_sign_in, by=w.clerk, window_id=w.w1.pk)
    refused("window_signed_in", 409, services.clerk_sign_in, by=w.manager, window_id=w.w1.pk)
    refused("not_signed_in", 409, services.clerk_sign_out, by=w.manager, window_id=w.w1.pk)
    services.clerk_sign_in(by=w.clerk, window_id=w.w2.pk)  # moves: signed out of window 1 first
    assert rows() == [(1, "sign_in", w.clerk.pk, ""), (1, "sign_out", w.clerk.pk, "moved"),
                      (2, "sign_in", w.clerk.pk, "")]
    services.window_set_state(by=w.manager, window_id=w.w2.pk, state=WindowState.CLOSED)
    assert rows()[3:] == [(2, "close", None, ""), (2, "sign_out", w.clerk.pk, "closed")]
    refused("not_signed_in", 409, services.clerk_sign_out, by=w.clerk, window_id=w.w2.pk)
    assert AuditEntry.objects.filter(action="centers.window.sign_in").count() == 2


def test_sign_out_refused_while_serving_and_outsiders_refused(center_world: CenterWorld) -> None:
    w = center_world
    refused("window_not_found", 404, services.clerk_sign_in, by=w.clerk, window_id=999999)
    refused("not_center_staff", 403, services.clerk_sign_in, by=w.cw.p.clerk, window_id=w.w1.pk)
    refused("not_center_staff", 403, services.clerk_sign_in, by=w.keypad, window_id=w.w1.pk)
    services.clerk_sign_in(by=w.clerk, window_id=w.w1.pk)
    take(w, w.a, 0)
    services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(1))
    refused("window_busy", 409, services.clerk_sign_out, by=w.clerk, window_id=w.w1.pk)
    refused("window_busy", 409, services.clerk_sign_in, by=w.clerk, window_id=w.w3.pk)
    refused("not_center_staff", 403, services.clerk_sign_out, by=w.cw.p.clerk, window_id=w.w1.pk)


def test_terminal_buttons(center_world: CenterWorld) -> None:
    w = center_world
    url = f"/centers/window/{w.w1.pk}/"
    anonymous = Client().post(url + "sign-in/")
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    other = Center.objects.create(code="TEST-O", name="另一中心", level="street", region=w.center.region,
                                  department=w.center.department)
    outsider = User.objects.create_user(username="outsider", password="x")
    CenterStaff.objects.create(center=other, user=outsider, is_manager=True)
    client = Client()
    client.force_login(outsider)
    response = client.post(url + "sign-in/")
    assert response.status_code == 403 and b'data-code="not_center_staff"' in response.content
    assert rows() == []
    client.force_login(w.clerk)
    page = client.get(url)
    assert b'id="sign-in"' in page.content and b'id="sign-out"' not in page.content
    assert client.post(url + "sign-in/").status_code == 302
    page = client.get(url)
    assert b'id="sign-out"' in page.content and b'id="sign-in"' not in page.content
    again = client.post(url + "sign-in/")
    assert again.status_code == 409 and b'data-code="already_signed_in"' in again.content
    assert client.post(url + "sign-out/").status_code == 302
    assert client.post(url + "nonsense/").status_code == 404
    assert rows() == [(1, "sign_in", w.clerk.pk, ""), (1, "sign_out", w.clerk.pk, "")]
