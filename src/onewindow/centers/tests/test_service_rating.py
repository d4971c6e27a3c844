"""好差评 of window services (一次一评) and the follow-up of a bad rating."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from onewindow.accounts.testing import make_api_token
from onewindow.centers import services
from onewindow.centers.choices import DeviceKind
from onewindow.centers.models import Device
from onewindow.centers.testing import CenterWorld, take
from onewindow.core.calendar import add_working_days
from onewindow.core.errors import DomainError
from onewindow.notifications.models import Message
from onewindow.ratings import services as rating_services
from onewindow.ratings.models import FollowUp, Rating


def _served(w: CenterWorld, minute: int = 0) -> Any:
    ticket = take(w, w.a, minute)
    services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(minute + 1))
    services.ticket_start(by=w.clerk, ticket_id=ticket.pk, now=w.at(minute + 2))
    return services.ticket_finish(by=w.clerk, ticket_id=ticket.pk, now=w.at(minute + 9))


@pytest.fixture
def pad(center_world: CenterWorld) -> Device:
    token, _bearer = make_api_token(name="1号窗口评价器", scopes=["device"], system_name="pad-1")
    return Device.objects.create(center=center_world.center, window=center_world.w1, kind=DeviceKind.RATING_PAD,
                                 name="1号窗口评价器", token=token)


def test_pad_rates_the_service_just_given_once(center_world: CenterWorld, pad: Device) -> None:
    w = center_world
    ticket = _served(w)
    rating = services.service_rate_at_pad(by=pad, level=5, now=w.at(12))
    assert (rating.subject_type, rating.subject_id, rating.channel, rating.staff, rating.department) == (
        "service", str(ticket.pk), "pad", w.clerk, w.center.department)
    with pytest.raises(DomainError) as excinfo:
        services.service_rate_at_pad(by=pad, level=1, now=w.at(13))
    assert excinfo.value.code == "already_rated"
    with pytest.raises(DomainError) as excinfo:
        services.service_rate_at_pad(by=pad, level=5, now=w.at(40))
    assert excinfo.value.code == "no_service_to_rate"
    with pytest.raises(DomainError) as excinfo:
        services.service_rate_at_pad(by=w.keypad, level=5, now=w.at(12))  # a keypad is not a rating pad
    assert excinfo.value.code == "not_a_rating_pad"
    assert Rating.objects.count() == 1


def test_status_page_rating_and_refusals(center_world: CenterWorld) -> None:
    w = center_world
    waiting = take(w, w.b, 0)
    with pytest.raises(DomainError) as excinfo:
        services.service_rate_by_code(status_code=waiting.status_code, level=5)
    assert excinfo.value.code == "service_not_given"
    with pytest.raises(DomainError) as excinfo:
        services.service_rate_by_code(status_code="NOSUCHCODE", level=5)
    assert excinfo.value.code == "ticket_not_found"
    assert not Rating.objects.exists()
    served = _served(w, 5)
    assert services.service_rate_by_code(status_code=served.status_code, level=4, channel="wechat").level == 4


def test_bad_rating_opens_a_followup_for_the_center_manager(center_world: CenterWorld, pad: Device) -> None:
    w = center_world
    manager = w.cw.p.manager  # department admin of the handling body, not of the center's department
    from onewindow.accounts.testing import StaffRoleFactory

    StaffRoleFactory.create(user=manager, role="center_manager", department=w.center.department, region=None)
    _served(w)
    rating = services.service_rate_at_pad(by=pad, level=1, comment="态度不好", now=w.at(12))
    followup = FollowUp.objects.get(rating=rating)
    assert (followup.status, followup.department) == ("open", w.center.department)
    assert followup.due_date == add_working_days(timezone.localdate(), 5)
    assert Message.objects.filter(event="rating_followup_due", user=manager).count() == 1
    with pytest.raises(DomainError) as excinfo:
        rating_services.followup_close(by=manager, followup_id=followup.pk, fix_note="x", reply="y")
    assert excinfo.value.code == "followup_illegal_transition"
    with pytest.raises(DomainError) as excinfo:
        rating_services.followup_contact(by=w.cw.p.citizen, followup_id=followup.pk, note="电话回访")
    assert excinfo.value.code == "followup_forbidden"
    rating_services.followup_contact(by=manager, followup_id=followup.pk, note="已电话回访，核实情况属实")
    closed = rating_services.followup_close(by=manager, followup_id=followup.pk, fix_note="窗口人员培训",
                                            reply="已整改，感谢监督")
    assert (closed.status, closed.handled_by) == ("closed", manager)


def test_good_rating_opens_no_followup(center_world: CenterWorld, pad: Device) -> None:
    _served(center_world)
    services.service_rate_at_pad(by=pad, level=3, now=center_world.at(12))
    assert not FollowUp.objects.exists()


def _finish(w: CenterWorld, ticket: Any, minute: int) -> Any:
    services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(minute + 1))
    services.ticket_start(by=w.clerk, ticket_id=ticket.pk, now=w.at(minute + 2))
    return services.ticket_finish(by=w.clerk, ticket_id=ticket.pk, now=w.at(minute + 9))


def test_finished_service_sends_one_signed_rating_link_to_a_confirmed_number(center_world: CenterWorld) -> None:
    import datetime

    from django.test import Client

    from onewindow.centers.models import AppointmentSlot

    w = center_world
    citizen = w.cw.p.citizen
    citizen.person.preferred_language = "en"  # the holder's language, set by their language switch
    citizen.person.save(update_fields=["preferred_language"])
    slot = AppointmentSlot.objects.create(center=w.center, category=w.a, date=w.at().date(),
                                          starts=datetime.time(10, 0), ends=datetime.time(10, 30), capacity=1)
    booking = services.appointment_book(by=citizen, slot_id=slot.pk, now=w.at(-60))
    ticket = services.appointment_check_in(by=w.kiosk, code=booking.code, now=w.at(0))  # the booking's number
    assert ticket.phone_confirmed_at is not None and ticket.person_id == citizen.person.pk
    _finish(w, ticket, 0)
    sms = list(Message.objects.filter(event="service_rating"))
    assert [(m.channel, m.phone, m.subject_type, m.subject_id, m.language) for m in sms] == [
        ("sms", citizen.person.phone, "ticket", str(ticket.pk), "en")]
    link = next(word for word in sms[0].text.split() if "/centers/rate/" in word)
    path = link[link.index("/centers/rate/"):]
    assert path.count("/") == 4 and path.endswith("/")

    browser = Client()  # no login
    assert browser.get(path).status_code == 200
    assert browser.get(path[:-6] + "xxxxx/").status_code == 404  # a tampered link
    response = browser.post(path, {"level": "4", "comment": "很快"})
    assert response.status_code == 200
    rating = Rating.objects.get()
    assert (rating.subject_type, rating.subject_id, rating.level, rating.channel) == (
        "service", str(ticket.pk), 4, "sms")
    before = (Rating.objects.count(), Message.objects.count())
    again = browser.post(path, {"level": "1"})
    assert again.status_code == 409 and (Rating.objects.count(), Message.objects.count()) == before


def test_unconfirmed_or_no_number_gets_no_rating_sms(center_world: CenterWorld) -> None:
    w = center_world
    typed = take(w, w.a, 0, device=w.kiosk, phone="13912340000")  # a kiosk number never confirmed
    assert typed.phone_confirmed_at is None
    _finish(w, typed, 0)
    _finish(w, take(w, w.a, 10), 10)  # no number at all
    assert not Message.objects.filter(event="service_rating").exists()
    confirmed = take(w, w.a, 20, by=w.clerk, phone="13912341111")  # typed by a clerk: confirmed
    _finish(w, confirmed, 20)
    assert list(Message.objects.filter(event="service_rating").values_list("subject_id", "language")) == [
        (str(confirmed.pk), "zh-hans")]
