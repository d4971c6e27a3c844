"""Citizen pages of the centers (网上预约, WeChat H5): book with the anti-script challenge, my
appointments, change and cancel; authorization, every refusal with its status and nothing booked."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ..choices import AppointmentStatus
from ..models import Appointment, AppointmentSlot
from ..testing import CenterWorld
from ..views.citizen import CHALLENGE_KEY

A = AppointmentStatus


@pytest.fixture(autouse=True)
def _no_minimum_wait(settings: Any) -> None:
    settings.CENTERS_BOOKING_MIN_SECONDS = 0


def slot(world: CenterWorld, days: int = 1, hour: int = 9, capacity: int = 2, category: Any = None,
         booked: int = 0) -> AppointmentSlot:
    return AppointmentSlot.objects.create(center=world.center, category=category or world.a,
                                          date=timezone.localdate() + datetime.timedelta(days=days),
                                          starts=datetime.time(hour, 0), ends=datetime.time(hour, 30),
                                          capacity=capacity, booked=booked)


def book_url(world: CenterWorld) -> str:
    return f"/centers/{world.center.code}/book/"


def answer(client: Client) -> str:
    """The answer the server keeps in the session (what a person reads off the page)."""
    return str(client.session[CHALLENGE_KEY]["answer"])


def state() -> tuple[Any, ...]:
    return (list(Appointment.objects.order_by("pk").values_list("code", "status", "slot_id")),
            list(AppointmentSlot.objects.order_by("pk").values_list("pk", "booked")))


def post_booking(client: Client, world: CenterWorld, target: AppointmentSlot, **extra: Any) -> Any:
    client.get(book_url(world) + f"?category={target.category_id}")
    return client.post(book_url(world), {"category": target.category_id, "slot": target.pk,
                                         "answer": answer(client)}, **extra)


# ---------------------------------------------------------------------------- authorization

def test_anonymous_is_sent_to_login(center_world: CenterWorld) -> None:
    booking = slot(center_world)
    for url in (book_url(center_world), "/centers/appointments/", "/centers/appointments/ABCDEFGH/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = Client().post(book_url(center_world), {"slot": booking.pk, "answer": "1"})
    assert response.status_code == 302 and Appointment.objects.count() == 0


def test_unknown_center_answers_404(center_world: CenterWorld) -> None:
    response = center_world.cw.p.client("citizen").get("/centers/NOPE/book/")
    assert response.status_code == 404 and b'data-code="center_not_found"' in response.content


def test_book_page_lists_the_next_14_days_with_free_places(center_world: CenterWorld) -> None:
    free = slot(center_world, days=1)
    full = slot(center_world, days=2, capacity=1, booked=1)
    slot(center_world, days=14)  # outside the 14 days
    slot(center_world, days=-1)  # past
    other = slot(center_world, days=1, category=center_world.b)
    html = center_world.cw.p.client("citizen").get(book_url(center_world)).content.decode()
    assert f'name="slot" value="{free.pk}"' in html and 'data-free="2">余 2 个' in html
    assert f'name="slot" value="{full.pk}" disabled' in html and "已约满" in html
    assert html.count('name="slot"') == 2 and f'value="{other.pk}"' not in html
    assert 'id="no-show-rule"' in html and "90 天内爽约 3 次的，暂停网上预约 30 天" in html
    assert "加" in html and 'name="answer"' in html
    html = center_world.cw.p.client("citizen").get(book_url(center_world) + f"?category={center_world.b.pk}"
                                                   ).content.decode()
    assert f'value="{other.pk}"' in html and html.count('name="slot"') == 1


# ---------------------------------------------------------------------------- booking

def test_citizen_books_a_slot(center_world: CenterWorld) -> None:
    target = slot(center_world)
    client = center_world.cw.p.client("citizen")
    response = post_booking(client, center_world, target)
    appointment = Appointment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/centers/appointments/{appointment.code}/"
    assert (appointment.status, appointment.slot_id, appointment.channel) == (A.BOOKED, target.pk, "web")
    assert appointment.person_id == center_world.cw.p.citizen.person_id
    assert AppointmentSlot.objects.get(pk=target.pk).booked == 1
    html = client.get(response["Location"]).content.decode()
    assert f'id="appointment-code">{appointment.code}<' in html and 'id="appointment-status">已预约' in html
    listing = client.get("/centers/appointments/").content.decode()
    assert f'data-appointment="{appointment.code}"' in listing


def test_booking_inside_wechat_records_the_channel(center_world: CenterWorld) -> None:
    target = slot(center_world)
    client = center_world.cw.p.client("citizen")
    post_booking(client, center_world, target, headers={"User-Agent": "Mozilla/5.0 MicroMessenger/8.0.47"})
    assert Appointment.objects.get().channel == "wechat"


@pytest.mark.parametrize("given", ["", "abc", "wrong", "999999"])
def test_wrong_answer_is_refused_and_nothing_booked(center_world: CenterWorld, given: str) -> None:
    target = slot(center_world)
    client = center_world.cw.p.client("citizen")
    client.get(book_url(center_world))
    right = answer(client)
    before = state()
    response = client.post(book_url(center_world), {"slot": target.pk,
                                                    "answer": str(int(right) + 1) if given == "wrong" else given})
    assert response.status_code == 422 and b'data-code="challenge_failed"' in response.content
    assert state() == before


def test_answer_cannot_be_reused(center_world: CenterWorld) -> None:
    first, second = slot(center_world), slot(center_world, category=center_world.b)
    client = center_world.cw.p.client("citizen")
    client.get(book_url(center_world))
    right = answer(client)
    assert client.post(book_url(center_world), {"slot": first.pk, "answer": right}).status_code == 302
    before = state()
    response = client.post(book_url(center_world), {"slot": second.pk, "answer": right})
    assert response.status_code == 422 and state() == before


def test_too_fast_is_refused(center_world: CenterWorld, settings: Any) -> None:
    settings.CENTERS_BOOKING_MIN_SECONDS = 3600
    target = slot(center_world)
    client = center_world.cw.p.client("citizen")
    response = post_booking(client, center_world, target)
    assert response.status_code == 422 and b'data-code="challenge_too_fast"' in response.content
    assert Appointment.objects.count() == 0 and AppointmentSlot.objects.get(pk=target.pk).booked == 0


def test_full_slot_and_unknown_slot_are_refused(center_world: CenterWorld) -> None:
    full = slot(center_world, capacity=1, booked=1)
    client = center_world.cw.p.client("citizen")
    before = state()
    response = post_booking(client, center_world, full)
    assert response.status_code == 409 and b'data-code="slot_full"' in response.content
    client.get(book_url(center_world))
    response = client.post(book_url(center_world), {"slot": "99999999999999", "answer": answer(client)})
    assert response.status_code == 404 and b'data-code="slot_not_found"' in response.content
    assert state() == before


def test_second_booking_same_day_is_refused(center_world: CenterWorld) -> None:
    first, second = slot(center_world, hour=9), slot(center_world, hour=10)
    client = center_world.cw.p.client("citizen")
    assert post_booking(client, center_world, first).status_code == 302
    before = state()
    response = post_booking(client, center_world, second)
    assert response.status_code == 409 and b'data-code="already_booked"' in response.content
    assert state() == before


def test_no_show_restriction_states_the_rule(center_world: CenterWorld) -> None:
    person = center_world.cw.p.citizen.person
    for days in (1, 2, 3):
        past = slot(center_world, days=-days)
        Appointment.objects.create(slot=past, category=past.category, date=past.date, person=person,
                                   code=f"NOSHOW{days}", status=A.NO_SHOW)
    target = slot(center_world)
    client = center_world.cw.p.client("citizen")
    before = state()
    response = post_booking(client, center_world, target)
    html = response.content.decode()
    assert response.status_code == 409 and 'data-code="booking_restricted"' in html
    until = (timezone.localdate() - datetime.timedelta(days=1) + datetime.timedelta(days=30)).isoformat()
    assert f"您在 90 天内爽约已达 3 次，{until} 前暂停网上预约；可直接到中心现场取号。" in html
    assert state() == before


# ---------------------------------------------------------------------------- my appointments

def _booked(world: CenterWorld, client: Client, target: AppointmentSlot) -> Appointment:
    assert post_booking(client, world, target).status_code == 302
    return Appointment.objects.get(slot=target, status=A.BOOKED)


def test_another_person_cannot_see_change_or_cancel(center_world: CenterWorld) -> None:
    target, later = slot(center_world), slot(center_world, days=2)
    mine = _booked(center_world, center_world.cw.p.client("citizen"), target)
    other = center_world.cw.p.client("another_citizen")
    before = state()
    url = f"/centers/appointments/{mine.code}/"
    assert other.get(url).status_code == 404
    response = other.post(url + "cancel/")
    assert response.status_code == 404 and b'data-code="appointment_not_found"' in response.content
    other.get(book_url(center_world))
    response = other.post(url + "change/", {"slot": later.pk, "answer": answer(other)})
    assert response.status_code == 404
    assert mine.code not in other.get("/centers/appointments/").content.decode()
    assert state() == before


def test_cancel_frees_the_place(center_world: CenterWorld) -> None:
    target = slot(center_world)
    client = center_world.cw.p.client("citizen")
    mine = _booked(center_world, client, target)
    response = client.post(f"/centers/appointments/{mine.code}/cancel/")
    assert response.status_code == 302 and response["Location"] == "/centers/appointments/"
    assert Appointment.objects.get(pk=mine.pk).status == A.CANCELLED
    assert AppointmentSlot.objects.get(pk=target.pk).booked == 0
    before = state()
    response = client.post(f"/centers/appointments/{mine.code}/cancel/")
    assert response.status_code == 409 and b'data-code="appointment_illegal_transition"' in response.content
    assert state() == before


def test_change_moves_the_booking(center_world: CenterWorld) -> None:
    target, later = slot(center_world), slot(center_world, days=2)
    client = center_world.cw.p.client("citizen")
    mine = _booked(center_world, client, target)
    url = f"/centers/appointments/{mine.code}/"
    html = client.get(url).content.decode()
    assert f'name="slot" value="{later.pk}"' in html and f'value="{target.pk}"' not in html
    response = client.post(url + "change/", {"slot": later.pk, "answer": answer(client)})
    new = Appointment.objects.get(slot=later)
    assert response.status_code == 302 and response["Location"] == f"/centers/appointments/{new.code}/"
    assert Appointment.objects.get(pk=mine.pk).status == A.CANCELLED and new.status == A.BOOKED
    assert list(AppointmentSlot.objects.order_by("pk").values_list("booked", flat=True)) == [0, 1]


def test_change_refusals_change_nothing(center_world: CenterWorld) -> None:
    target, later = slot(center_world), slot(center_world, days=2)
    full = slot(center_world, days=3, capacity=1, booked=1)
    client = center_world.cw.p.client("citizen")
    mine = _booked(center_world, client, target)
    url = f"/centers/appointments/{mine.code}/"
    before = state()
    client.get(url)
    response = client.post(url + "change/", {"slot": later.pk, "answer": "x"})
    assert response.status_code == 422 and b'data-code="challenge_failed"' in response.content
    client.get(url)
    response = client.post(url + "change/", {"slot": full.pk, "answer": answer(client)})
    assert response.status_code == 409 and b'data-code="slot_full"' in response.content
    assert state() == before
