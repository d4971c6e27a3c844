"""Pages of 差评回访: authorization (scope of department admins and center managers), the list with
overdue rows, the detail with the rated service, contact and close through the page, refusals with
nothing changed, and a query-count guard on the list."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.testing import StaffRoleFactory, UserFactory
from onewindow.centers import services as center_services
from onewindow.centers.testing import CenterWorld, take
from onewindow.ratings.models import FollowUp, Rating

LIST = "/ratings/followups/"


def bad_rating(world: CenterWorld, comment: str = "等候太久，态度冷淡") -> FollowUp:
    """A window service rated 非常不满意 from the ticket's status page: its follow-up opens."""
    ticket = take(world, world.a, 0)
    center_services.ticket_call_next(by=world.clerk, window_id=world.w1.pk, now=world.at(1))
    center_services.ticket_start(by=world.clerk, ticket_id=ticket.pk, now=world.at(2))
    center_services.ticket_finish(by=world.clerk, ticket_id=ticket.pk, now=world.at(9))
    rating = center_services.service_rate_by_code(status_code=ticket.status_code, level=1, comment=comment)
    return FollowUp.objects.get(rating=rating)


def detail(followup: FollowUp) -> str:
    return f"{LIST}{followup.pk}/"


def snapshot(followup: FollowUp) -> tuple[Any, ...]:
    f = FollowUp.objects.get(pk=followup.pk)
    return (f.status, f.contact_note, f.fix_note, f.reply, f.handled_by_id)


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def handler_of(department: Any, role: str = StaffRoleKind.DEPARTMENT_ADMIN, username: str = "p_handler") -> Any:
    user = UserFactory.create(username=username)
    StaffRoleFactory.create(user=user, role=role, department=department, region=None)
    return user


# ---------------------------------------------------------------------------- authorization

@pytest.mark.parametrize("page", ["list", "detail"])
def test_anonymous_is_sent_to_login(center_world: CenterWorld, page: str) -> None:
    followup = bad_rating(center_world)
    response = Client().get(LIST if page == "list" else detail(followup))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("page", ["list", "detail"])
@pytest.mark.parametrize("who", ["citizen", "clerk", "reviewer"])
def test_non_handlers_get_403(center_world: CenterWorld, page: str, who: str) -> None:
    followup = bad_rating(center_world)
    response = center_world.cw.p.client(who).get(LIST if page == "list" else detail(followup))
    assert response.status_code == 403 and b'data-code="followup_forbidden"' in response.content


def test_handler_of_another_department_sees_nothing_and_cannot_act(center_world: CenterWorld) -> None:
    followup = bad_rating(center_world)
    other = login(handler_of(center_world.cw.p.other_department))
    response = other.get(LIST)
    assert response.status_code == 200 and f'data-followup="{followup.pk}"' not in response.content.decode()
    assert other.get(detail(followup)).status_code == 404
    before = snapshot(followup)
    response = other.post(detail(followup) + "contact/", {"note": "已电话联系"})
    assert response.status_code == 404 and b'data-code="followup_not_found"' in response.content
    assert snapshot(followup) == before


@pytest.mark.parametrize("who", ["manager", "admin", "department_admin"])
def test_handlers_in_scope_see_the_follow_up(center_world: CenterWorld, who: str) -> None:
    followup = bad_rating(center_world)
    client = (login(handler_of(center_world.cw.center)) if who == "department_admin"
              else center_world.cw.p.client(who))
    html = client.get(LIST).content.decode()
    assert f'data-followup="{followup.pk}"' in html
    response = client.get(detail(followup))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="rating-level">非常不满意<' in html and 'id="rating-comment">等候太久，态度冷淡<' in html
    assert "临汾路街道社区事务受理服务中心（测试） · 2026-03-02 A001 · 户籍办理 · 1 号窗口" in html
    assert 'id="followup-status">待回访<' in html


# ---------------------------------------------------------------------------- list

def test_overdue_rows_are_highlighted(center_world: CenterWorld) -> None:
    followup = bad_rating(center_world)
    late = bad_rating_second(center_world)
    FollowUp.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - datetime.timedelta(days=1))
    html = center_world.cw.p.client("manager").get(LIST).content.decode()
    assert f'<tr data-followup="{late.pk}" class="overdue">' in html
    assert f'<tr data-followup="{followup.pk}">' in html
    assert html.count("已超期") == 1
    html = center_world.cw.p.client("manager").get(LIST + "?status=closed").content.decode()
    assert "data-followup=" not in html


def bad_rating_second(world: CenterWorld) -> FollowUp:
    ticket = take(world, world.b, 20)
    center_services.ticket_call_next(by=world.clerk, window_id=world.w2.pk, now=world.at(21))
    center_services.ticket_start(by=world.clerk, ticket_id=ticket.pk, now=world.at(22))
    center_services.ticket_finish(by=world.clerk, ticket_id=ticket.pk, now=world.at(25))
    rating = center_services.service_rate_by_code(status_code=ticket.status_code, level=2, comment="")
    return FollowUp.objects.get(rating=rating)


def test_list_query_count_is_constant(center_world: CenterWorld) -> None:
    bad_rating(center_world)
    client = center_world.cw.p.client("manager")
    client.get(LIST)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(LIST).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    bad_rating_second(center_world)
    assert count() == before


# ---------------------------------------------------------------------------- actions

def test_contact_then_close(center_world: CenterWorld) -> None:
    followup = bad_rating(center_world)
    client = center_world.cw.p.client("manager")
    response = client.post(detail(followup) + "contact/", {"note": "已电话联系，核实等候 40 分钟"})
    assert response.status_code == 302 and response["Location"] == detail(followup)
    assert snapshot(followup)[:2] == (FollowUp.Status.CONTACTED, "已电话联系，核实等候 40 分钟")
    response = client.post(detail(followup) + "close/",
                           {"fix_note": "高峰时段增开 3 号窗口", "reply": "已致歉并说明整改"})
    assert response.status_code == 302
    assert snapshot(followup) == (FollowUp.Status.CLOSED, "已电话联系，核实等候 40 分钟", "高峰时段增开 3 号窗口",
                                  "已致歉并说明整改", center_world.cw.p.manager.pk)
    html = client.get(detail(followup)).content.decode()
    assert 'id="followup-status">已办结<' in html
    # The timeline: one row per step, the rater unnamed, the handler by login.
    assert re.findall(r'<li data-event="(\w+)">[^<]*· ([^<]+)</li>', html) == [
        ("open", "评价人"), ("contact", "p_manager"), ("close", "p_manager")]
    assert Rating.objects.count() == 1


def test_action_refusals_change_nothing(center_world: CenterWorld) -> None:
    followup = bad_rating(center_world)
    client = center_world.cw.p.client("manager")
    before = snapshot(followup)
    response = client.post(detail(followup) + "contact/", {"note": "  "})
    assert response.status_code == 422 and b'data-code="note_required"' in response.content
    response = client.post(detail(followup) + "close/", {"fix_note": "x", "reply": "y"})
    assert response.status_code == 409 and b'data-code="followup_illegal_transition"' in response.content
    assert snapshot(followup) == before
    client.post(detail(followup) + "contact/", {"note": "已联系"})
    before = snapshot(followup)
    response = client.post(detail(followup) + "close/", {"fix_note": "整改", "reply": ""})
    assert response.status_code == 422 and b'data-code="reply_required"' in response.content
    response = client.post(detail(followup) + "contact/", {"note": "再次联系"})
    assert response.status_code == 409
    assert snapshot(followup) == before
    assert client.get(f"{LIST}99999999999999999999/").status_code == 404
    assert client.post(f"{LIST}99999999/contact/", {"note": "x"}).status_code == 404
