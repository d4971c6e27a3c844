"""Staff pages of the centers: the window terminal (call, recall, skip, requeue, start, finish with
cases, transfer, window state) and the manager's view (live table, 弹性调配, open/close, duties).
Authorization on every page, every action through the page with its state change, every refusal
with its status and nothing changed, and a query-count guard on the live view."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onewindow.core.models import CalendarDay

from .. import services
from ..choices import CenterLevel, TicketStatus, WindowState
from ..models import Center, CenterStaff, OpeningHours, Ticket, TicketEvent, Window, WindowDuty
from ..testing import CenterWorld

S = TicketStatus


def open_now(center: Center) -> None:
    """Pages use the real clock: make the center take tickets at any time today."""
    for weekday in range(7):
        OpeningHours.objects.create(center=center, weekday=weekday, opens=datetime.time(0, 0),
                                    closes=datetime.time(23, 59, 59), last_ticket=datetime.time(23, 59, 59))
    CalendarDay.objects.update_or_create(date=timezone.localdate(),
                                         defaults={"is_working_day": True, "name": "测试"})


def take(world: CenterWorld, category: Any = None) -> Ticket:
    return services.ticket_take(by=None, center_id=world.center.pk, category_id=(category or world.a).pk)


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def other_center_clerk(world: CenterWorld) -> Any:
    """A clerk of another center (p.clerk works at the 静安 market bureau and a second center)."""
    other = Center.objects.create(code="TEST-OTHER", name="另一个中心", level=CenterLevel.STREET,
                                  region=world.cw.street, department=world.cw.p.department)
    CenterStaff.objects.create(center=other, user=world.cw.p.clerk)
    return world.cw.p.clerk


def client_of(world: CenterWorld, who: str) -> Client:
    if who == "clerk":
        return login(world.clerk)
    if who == "other_center_clerk":
        return login(other_center_clerk(world))
    return world.cw.p.client(who)


def terminal(window: Window) -> str:
    return f"/centers/window/{window.pk}/"


def act(window: Window, action: str) -> str:
    return f"/centers/window/{window.pk}/ticket/{action}/"


def manage(world: CenterWorld) -> str:
    return f"/centers/{world.center.pk}/manage/"


def status_of(ticket: Ticket) -> str:
    return Ticket.objects.values_list("status", flat=True).get(pk=ticket.pk)


def events(ticket: Ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket).order_by("id").values_list("action", flat=True))


def pages(world: CenterWorld) -> dict[str, str]:
    return {"terminal": terminal(world.w1), "windows": "/centers/window/?all=1", "manage": manage(world),
            "live": manage(world) + "live/"}


# ---------------------------------------------------------------------------- authorization

PAGES = ["terminal", "windows", "manage", "live"]


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_is_sent_to_login(center_world: CenterWorld, page: str) -> None:
    response = Client().get(pages(center_world)[page])
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", ["citizen", "other_center_clerk"])
def test_outsiders_get_403(center_world: CenterWorld, page: str, who: str) -> None:
    client = client_of(center_world, who)
    response = client.get(pages(center_world)[page])
    if who == "other_center_clerk" and page == "windows":  # their own center's (empty) window list
        assert response.status_code == 200
        assert f'data-window="{center_world.w1.pk}"' not in response.content.decode()
        return
    assert response.status_code == 403
    assert b'data-code="not_center_staff"' in response.content


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", ["clerk", "manager", "admin"])
def test_center_staff_open_every_page(center_world: CenterWorld, page: str, who: str) -> None:
    response = client_of(center_world, who).get(pages(center_world)[page])
    assert response.status_code == 200
    assert f'data-window="{center_world.w1.pk}"' in response.content.decode()


def test_unknown_window_center_and_action_answer_404(center_world: CenterWorld) -> None:
    clerk = login(center_world.clerk)
    assert clerk.get("/centers/window/99999999999999999999/").status_code == 404
    assert clerk.get("/centers/99999999999999999999/manage/").status_code == 404
    response = clerk.post(act(center_world.w1, "explode"), {"ticket": "1"})
    assert response.status_code == 404 and b'data-code="action_not_found"' in response.content


@pytest.mark.parametrize("who", ["citizen", "other_center_clerk"])
def test_outsiders_cannot_act(center_world: CenterWorld, who: str) -> None:
    open_now(center_world.center)
    ticket = take(center_world)
    client = client_of(center_world, who)
    assert client.post(f"/centers/window/{center_world.w1.pk}/call/").status_code == 403
    assert client.post(act(center_world.w1, "skip"), {"ticket": ticket.pk}).status_code == 403
    assert client.post(f"/centers/window/{center_world.w1.pk}/state/", {"state": "closed"}).status_code == 403
    assert client.post(manage(center_world) + f"windows/{center_world.w1.pk}/state/",
                       {"state": "closed"}).status_code == 403
    assert status_of(ticket) == S.WAITING and events(ticket) == ["take"]
    assert Window.objects.get(pk=center_world.w1.pk).state == WindowState.OPEN


def test_nav_link_only_for_center_staff(center_world: CenterWorld) -> None:
    assert "窗口叫号" in login(center_world.clerk).get("/catalog/").content.decode()
    assert "窗口叫号" not in center_world.cw.p.client("citizen").get("/catalog/").content.decode()


# ---------------------------------------------------------------------------- the terminal

def test_call_recall_start_finish_with_cases(center_world: CenterWorld) -> None:
    open_now(center_world.center)
    ticket = take(center_world)
    case = center_world.cw.forwarded_case()  # received today at this center's body by the clerk
    clerk = login(center_world.clerk)
    response = clerk.post(f"/centers/window/{center_world.w1.pk}/call/")
    assert response.status_code == 302 and response["Location"] == terminal(center_world.w1)
    assert status_of(ticket) == S.CALLED
    html = clerk.get(terminal(center_world.w1)).content.decode()
    assert f'data-ticket="{ticket.pk}">A001</p>' in html
    assert "户籍办理" in html and 'id="ticket-status">已叫号' in html
    assert clerk.post(act(center_world.w1, "recall"), {"ticket": ticket.pk}).status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).recalls == 1
    assert clerk.post(act(center_world.w1, "start"), {"ticket": ticket.pk}).status_code == 302
    html = clerk.get(terminal(center_world.w1)).content.decode()
    assert f'name="case" value="{case.pk}"' in html  # the clerk's case of today is offered
    response = clerk.post(act(center_world.w1, "finish"), {"ticket": ticket.pk, "case": [case.pk, "x"]})
    assert response.status_code == 302
    done = Ticket.objects.get(pk=ticket.pk)
    assert done.status == S.DONE and list(done.cases.values_list("pk", flat=True)) == [case.pk]
    assert events(ticket) == ["take", "call", "recall", "start", "finish"]
    html = clerk.get(terminal(center_world.w1)).content.decode()
    assert '<strong id="served">1</strong>' in html and f'<tr data-ticket="{ticket.pk}"><td>A001</td><td>已办结' in html


def test_skip_then_requeue(center_world: CenterWorld) -> None:
    open_now(center_world.center)
    ticket = take(center_world)
    clerk = login(center_world.clerk)
    clerk.post(f"/centers/window/{center_world.w1.pk}/call/")
    assert clerk.post(act(center_world.w1, "skip"), {"ticket": ticket.pk}).status_code == 302
    assert status_of(ticket) == S.NO_SHOW
    assert clerk.post(act(center_world.w1, "requeue"), {"ticket": ticket.pk}).status_code == 302
    assert status_of(ticket) == S.WAITING and events(ticket) == ["take", "call", "skip", "requeue"]


def test_transfer_to_category_and_to_window(center_world: CenterWorld) -> None:
    open_now(center_world.center)
    ticket = take(center_world)
    clerk = login(center_world.clerk)
    clerk.post(f"/centers/window/{center_world.w1.pk}/call/")
    response = clerk.post(act(center_world.w1, "transfer"), {"ticket": ticket.pk, "to_category": center_world.b.pk})
    assert response.status_code == 302
    moved = Ticket.objects.get(pk=ticket.pk)
    assert (moved.status, moved.category_id, moved.window_id) == (S.WAITING, center_world.b.pk, None)
    response = clerk.post(act(center_world.w1, "transfer"), {"ticket": ticket.pk, "to_window": center_world.w3.pk})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).target_window_id == center_world.w3.pk


def test_refusals_show_message_and_status_and_change_nothing(center_world: CenterWorld) -> None:
    open_now(center_world.center)
    clerk = login(center_world.clerk)
    call = f"/centers/window/{center_world.w1.pk}/call/"
    response = clerk.post(call)
    assert response.status_code == 409 and b'data-code="queue_empty"' in response.content
    assert "当前没有等候的排队号。 <small class=\"err-code\">(409 queue_empty)</small>" in response.content.decode()
    first, second = take(center_world), take(center_world)
    clerk.post(call)
    response = clerk.post(call)
    assert response.status_code == 409 and b'data-code="window_busy"' in response.content
    assert status_of(second) == S.WAITING
    response = clerk.post(act(center_world.w1, "finish"), {"ticket": first.pk})  # not started yet
    assert response.status_code == 409 and b'data-code="ticket_illegal_transition"' in response.content
    assert status_of(first) == S.CALLED
    response = clerk.post(act(center_world.w1, "transfer"), {"ticket": first.pk, "to_category": "999999"})
    assert response.status_code == 422 and b'data-code="transfer_target_invalid"' in response.content
    response = clerk.post(act(center_world.w1, "transfer"), {"ticket": first.pk})
    assert response.status_code == 422 and b'data-code="transfer_target_required"' in response.content
    response = clerk.post(act(center_world.w1, "start"), {"ticket": "abc"})
    assert response.status_code == 404 and b'data-code="ticket_not_found"' in response.content
    assert status_of(first) == S.CALLED and events(first) == ["take", "call"]
    Window.objects.filter(pk=center_world.w3.pk).update(state=WindowState.PAUSED)
    response = clerk.post(f"/centers/window/{center_world.w3.pk}/call/")
    assert response.status_code == 409 and b'data-code="window_not_open"' in response.content
    assert status_of(second) == S.WAITING and events(second) == ["take"]
    assert clerk.get(f"/centers/window/{center_world.w1.pk}/call/").status_code == 405


def test_window_state_from_the_terminal(center_world: CenterWorld) -> None:
    clerk = login(center_world.clerk)
    url = f"/centers/window/{center_world.w1.pk}/state/"
    response = clerk.post(url, {"state": "paused"})  # not on duty at this window
    assert response.status_code == 403 and b'data-code="not_window_manager"' in response.content
    assert Window.objects.get(pk=center_world.w1.pk).state == WindowState.OPEN
    WindowDuty.objects.create(window=center_world.w1, user=center_world.clerk, date=timezone.localdate())
    assert clerk.post(url, {"state": "paused"}).status_code == 302
    assert Window.objects.get(pk=center_world.w1.pk).state == WindowState.PAUSED
    response = clerk.post(url, {"state": "exploded"})
    assert response.status_code == 422 and b'data-code="window_state_invalid"' in response.content
    assert Window.objects.get(pk=center_world.w1.pk).state == WindowState.PAUSED
    # the clerk on duty is sent straight to the window
    assert clerk.get("/centers/window/")["Location"] == terminal(center_world.w1)


# ---------------------------------------------------------------------------- the manager's view

def test_manager_sees_who_is_served_and_counts(center_world: CenterWorld) -> None:
    open_now(center_world.center)
    ticket = take(center_world)
    take(center_world, center_world.b)
    services.ticket_call_next(by=center_world.clerk, window_id=center_world.w1.pk)
    html = login(center_world.manager).get(manage(center_world) + "live/").content.decode()
    row = html.split(f'<tr data-window="{center_world.w1.pk}">', 1)[1].split("</tr>", 1)[0]
    assert "<strong>A001</strong> 已叫号" in row and "A C" in row
    assert '<li data-status="called">已叫号：<strong>1</strong></li>' in html
    assert '<li data-status="waiting">等候中：<strong>1</strong></li>' in html
    page = login(center_world.manager).get(manage(center_world)).content.decode()
    assert 'hx-trigger="every 2s"' in page and '<tr data-category="B"><td>B 社保医保</td><td>1</td>' in page
    assert 'href="/ratings/followups/"' in page
    assert status_of(ticket) == S.CALLED


def test_clerk_sees_the_manager_page_read_only(center_world: CenterWorld) -> None:
    html = login(center_world.clerk).get(manage(center_world)).content.decode()
    assert 'id="live"' in html and 'id="adjust-table"' not in html and "manage/duty/" not in html
    assert 'href="/ratings/followups/"' not in html


def test_manager_reassigns_categories(center_world: CenterWorld) -> None:
    url = manage(center_world) + f"windows/{center_world.w2.pk}/categories/"
    response = login(center_world.manager).post(url, {"category": [center_world.a.pk, center_world.b.pk]})
    assert response.status_code == 302
    assert sorted(center_world.w2.categories.values_list("prefix", flat=True)) == ["A", "B"]


def test_category_refusals_change_nothing(center_world: CenterWorld) -> None:
    url = manage(center_world) + f"windows/{center_world.w2.pk}/categories/"
    response = login(center_world.clerk).post(url, {"category": [center_world.a.pk]})
    assert response.status_code == 403 and b'data-code="not_center_manager"' in response.content
    response = login(center_world.manager).post(url, {"category": []})
    assert response.status_code == 422 and b'data-code="categories_invalid"' in response.content
    response = login(center_world.manager).post(url, {"category": ["999999"]})
    assert response.status_code == 422
    other = other_center_clerk(center_world)
    foreign = Window.objects.create(center=CenterStaff.objects.get(user=other).center, number=1)
    response = login(center_world.manager).post(manage(center_world) + f"windows/{foreign.pk}/categories/",
                                                {"category": [center_world.a.pk]})
    assert response.status_code == 404 and b'data-code="window_not_found"' in response.content
    assert list(center_world.w2.categories.values_list("prefix", flat=True)) == ["B"]
    assert list(foreign.categories.all()) == []


def test_manager_opens_and_closes_windows(center_world: CenterWorld) -> None:
    open_now(center_world.center)
    url = manage(center_world) + f"windows/{center_world.w2.pk}/state/"
    manager = login(center_world.manager)
    assert manager.post(url, {"state": "closed"}).status_code == 302
    assert Window.objects.get(pk=center_world.w2.pk).state == WindowState.CLOSED
    assert manager.post(url, {"state": "open"}).status_code == 302
    take(center_world, center_world.b)
    services.ticket_call_next(by=center_world.clerk, window_id=center_world.w2.pk)
    response = manager.post(url, {"state": "closed"})
    assert response.status_code == 409 and b'data-code="window_busy"' in response.content
    assert Window.objects.get(pk=center_world.w2.pk).state == WindowState.OPEN


def test_manager_assigns_duties(center_world: CenterWorld) -> None:
    url = manage(center_world) + "duty/"
    manager = login(center_world.manager)
    day = timezone.localdate().isoformat()
    response = manager.post(url, {"window": center_world.w2.pk, "user": center_world.clerk.pk, "day": day})
    assert response.status_code == 302
    assert list(WindowDuty.objects.values_list("window_id", "user_id")) == [(center_world.w2.pk,
                                                                             center_world.clerk.pk)]
    response = manager.post(url, {"window": center_world.w2.pk, "user": center_world.manager.pk, "day": day})
    assert response.status_code == 409 and b'data-code="duty_taken"' in response.content
    response = manager.post(url, {"window": center_world.w3.pk, "user": center_world.cw.p.citizen.pk, "day": day})
    assert response.status_code == 422 and b'data-code="clerk_invalid"' in response.content
    response = manager.post(url, {"window": center_world.w3.pk, "user": center_world.manager.pk, "day": "tomorrow"})
    assert response.status_code == 422 and b'data-code="day_invalid"' in response.content
    response = login(center_world.clerk).post(url, {"window": center_world.w3.pk, "user": center_world.clerk.pk,
                                                    "day": day})
    assert response.status_code == 403
    assert WindowDuty.objects.count() == 1
    html = manager.get(manage(center_world) + "live/").content.decode()
    row = html.split(f'<tr data-window="{center_world.w2.pk}">', 1)[1].split("</tr>", 1)[0]
    assert center_world.clerk.person.name in row


def test_live_view_query_count_is_constant_in_windows(center_world: CenterWorld) -> None:
    open_now(center_world.center)
    take(center_world)
    services.ticket_call_next(by=center_world.clerk, window_id=center_world.w1.pk)
    manager = login(center_world.manager)
    manager.get(manage(center_world))  # warm the session

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert manager.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = (count(manage(center_world)), count(manage(center_world) + "live/"))
    for number in range(4, 12):
        window = Window.objects.create(center=center_world.center, number=number, state=WindowState.OPEN)
        window.categories.set([center_world.a, center_world.b])
        WindowDuty.objects.create(window=window, user=center_world.cw.p.users["clerk"] if number == 4 else
                                  CenterStaff.objects.create(center=center_world.center,
                                                             user=_user(number)).user,
                                  date=timezone.localdate())
    take(center_world, center_world.b)
    services.ticket_call_next(by=center_world.clerk, window_id=Window.objects.get(number=5).pk)
    assert (count(manage(center_world)), count(manage(center_world) + "live/")) == before


def _user(number: int) -> Any:
    from onewindow.accounts.testing import UserFactory

    return UserFactory.create(username=f"p_window_{number}")


# ---------------------------------------------------------------------------- Django admin

def test_admin_pages_open(center_world: CenterWorld) -> None:
    admin = center_world.cw.p.client("admin")
    for model in ("center", "centerstaff", "device", "appointmentslot", "ticket", "ticketevent", "appointment"):
        assert admin.get(f"/admin/centers/{model}/").status_code == 200, model
    assert admin.get(f"/admin/centers/center/{center_world.center.pk}/change/").status_code == 200
    html = admin.get(f"/admin/centers/device/{center_world.keypad.pk}/change/").content.decode()
    assert f"ow_{center_world.keypad.token.prefix}_…" in html and center_world.keypad_bearer not in html


def test_admin_adds_a_device_with_its_own_token_and_revokes_it(center_world: CenterWorld) -> None:
    from onewindow.accounts.models import ApiToken

    from ..models import Device

    admin = center_world.cw.p.client("admin")
    response = admin.post("/admin/centers/device/add/", {
        "center": center_world.center.pk, "window": center_world.w2.pk, "kind": "rating_pad",
        "name": "2号窗口评价器", "is_active": "on"}, follow=True)
    assert response.status_code == 200
    device = Device.objects.get(name="2号窗口评价器")
    assert device.token.scopes == ["device"] and device.token.revoked_at is None
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) >= 1 and any(f"ow_{device.token.prefix}_" in m for m in shown)
    response = admin.post("/admin/centers/device/", {"action": "revoke_selected", "_selected_action": [device.pk]})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.is_active is False and ApiToken.objects.get(pk=device.token_id).revoked_at is not None
    assert Device.objects.get(pk=center_world.keypad.pk).is_active is True
    # The same action shuts out a kiosk's bound browser and ends its binding (decision 0008).
    from ..models import DeviceBinding
    from ..testing import enrol

    kiosk = enrol(Client(), center_world.kiosk)
    assert "大厅一体机" in admin.get("/admin/centers/device/").content.decode()
    admin.post("/admin/centers/device/", {"action": "revoke_selected", "_selected_action": [center_world.kiosk.pk]})
    assert not DeviceBinding.objects.filter(device=center_world.kiosk, revoked_at__isnull=True).exists()
    assert kiosk.get("/centers/TEST-LFL/kiosk/").status_code == 403
