"""Public pages of a center: kiosk, printed ticket, live status (cancel, rating), waiting board,
hall display and the voice clips of its announcement. Pages use the real clock: the center is
made open around the clock for today (centers-core NOTE)."""

from __future__ import annotations

import datetime
import json
import re
import wave
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from onewindow.centers import services, voice
from onewindow.centers.choices import CenterLevel
from onewindow.centers.models import (
    Appointment,
    AppointmentSlot,
    Center,
    OpeningHours,
    Ticket,
    TicketCategory,
    TicketEvent,
)
from onewindow.centers.testing import CenterWorld, enrol
from onewindow.core.calendar import is_working_day
from onewindow.core.models import CalendarDay
from onewindow.ratings.models import Rating

pytestmark = pytest.mark.django_db
KIOSK = "/centers/TEST-LFL/kiosk/"


def open_around_the_clock(w: CenterWorld) -> None:
    for weekday in range(7):
        OpeningHours.objects.create(center=w.center, weekday=weekday, opens=datetime.time(0, 0),
                                    closes=datetime.time(23, 59, 59), last_ticket=datetime.time(23, 59, 59))
    today = timezone.localdate()
    if not is_working_day(today):
        CalendarDay.objects.create(date=today, is_working_day=True, name="test")


@pytest.fixture
def w(center_world: CenterWorld, client: Client) -> CenterWorld:
    """The center open around the clock, and the test's client enrolled as its hall kiosk."""
    open_around_the_clock(center_world)
    enrol(client, center_world.kiosk)
    return center_world


def _take(client: Client, prefix: str = "A", **data: str) -> Any:
    return client.post(f"{KIOSK}take/", {"category": prefix, **data})


def _text(html: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode())).strip()


def test_kiosk_start_page_shows_categories_and_the_priority_rule(w: CenterWorld, client: Client) -> None:
    response = client.get(KIOSK)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r'data-prefix="([A-Z])"', html) == ["A", "B", "C"]
    assert 'id="lane-rule"' in html and 'value="elderly"' not in html
    assert 'href="/centers/TEST-LFL/kiosk/checkin/"' in html and 'href="/centers/TEST-LFL/kiosk/guide/"' in html
    assert 'data-idle-seconds="90"' in html
    client.force_login(w.clerk)
    html = client.get(KIOSK).content.decode()
    assert 'value="elderly"' in html and 'id="lane-rule"' not in html


def test_take_ticket_at_the_kiosk_prints_number_and_qr(w: CenterWorld, client: Client) -> None:
    response = _take(client, "A")
    ticket = Ticket.objects.get()
    assert (ticket.display, ticket.status, ticket.priority, ticket.source) == ("A001", "waiting", "normal", "kiosk")
    assert response.status_code == 302
    assert response["Location"] == f"/centers/tickets/{ticket.status_code}/print/?kiosk=TEST-LFL"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert '<span class="number" id="ticket-number">A001</span>' in html
    assert '<dd id="ticket-category">户籍办理</dd>' in html
    assert re.search(r'<dd id="ticket-ahead">\s*0 人\s*</dd>', html)
    assert "<svg" in html and 'href="http://testserver/centers/t/' + ticket.status_code + '/"' in html
    assert 'data-home="/centers/TEST-LFL/kiosk/"' in html
    _take(client, "A")
    second = Ticket.objects.get(display="A002")
    html = client.get(f"/centers/tickets/{second.status_code}/print/").content.decode()
    assert re.search(r'<dd id="ticket-ahead">\s*1 人\s*</dd>', html)
    # windows 1 and 3 serve A, 10 min each: 1 ahead → 5 min ± 30 %
    assert re.search(r'<dd id="ticket-wait">\s*约 3–7 分钟\s*</dd>', html)


def test_closed_center_refuses_at_the_kiosk_and_creates_nothing(center_world: CenterWorld, client: Client) -> None:
    enrol(client, center_world.kiosk)
    OpeningHours.objects.filter(center=center_world.center).delete()
    response = _take(client, "A")
    assert response.status_code == 409
    assert "中心现在不在取号时间内，请在开放时间内取号。" in _text(response.content)
    assert 'data-code="center_closed"' in response.content.decode()
    assert (Ticket.objects.count(), TicketEvent.objects.count()) == (0, 0)


def test_priority_lane_needs_staff_and_unknown_category_is_refused(w: CenterWorld, client: Client) -> None:
    response = _take(client, "A", priority="elderly")
    assert response.status_code == 403
    assert "优先取号须由工作人员或取号设备办理。" in _text(response.content)
    response = _take(client, "Z")
    assert response.status_code == 404
    response = _take(client, "A", phone="12345")
    assert response.status_code == 422
    assert (Ticket.objects.count(), TicketEvent.objects.count()) == (0, 0)
    client.force_login(w.clerk)
    assert _take(client, "A", priority="elderly").status_code == 302
    assert Ticket.objects.get().priority == "elderly"


def test_status_page_and_fragment_show_the_exact_place(w: CenterWorld, client: Client) -> None:
    for _ in range(3):
        _take(client, "A")
    first, _second, third = Ticket.objects.order_by("number")
    page = client.get(f"/centers/t/{third.status_code}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<span class="ahead" id="ticket-ahead">2</span>' in html
    assert re.search(r'<dd id="ticket-wait">\s*约 7–13 分钟\s*</dd>', html)  # 2 × 10 min / 2 windows
    assert f'hx-get="/centers/t/{third.status_code}/live/?seen=waiting" hx-trigger="every 1s"' in html
    assert 'id="ticket-cancel"' in html
    live = client.get(f"/centers/t/{third.status_code}/live/?seen=waiting").content.decode()
    assert '<span class="ahead" id="ticket-ahead">2</span>' in live and "hx-swap-oob" not in live

    services.ticket_call_next(by=w.clerk, window_id=w.w1.pk)
    live = client.get(f"/centers/t/{third.status_code}/live/?seen=waiting").content.decode()
    assert '<span class="ahead" id="ticket-ahead">1</span>' in live
    called = client.get(f"/centers/t/{first.status_code}/live/?seen=waiting").content.decode()
    assert 'data-status="called"' in called and 'hx-trigger="every 1s"' in called
    assert 'hx-swap-oob="innerHTML"' in called
    assert "请到 1 号窗口" in _text(called.encode())
    assert 'id="ticket-cancel"' not in called
    again = client.get(f"/centers/t/{first.status_code}/live/?seen=called").content.decode()
    assert "hx-swap-oob" not in again


def test_cancel_while_waiting_then_refused(w: CenterWorld, client: Client) -> None:
    _take(client, "B")
    ticket = Ticket.objects.get()
    response = client.post(f"/centers/t/{ticket.status_code}/cancel/")
    assert response.status_code == 302 and response["Location"] == f"/centers/t/{ticket.status_code}/"
    ticket.refresh_from_db()
    assert ticket.status == "cancelled"
    page = client.get(f"/centers/t/{ticket.status_code}/").content.decode()
    assert "已取消排队。" in page and "hx-trigger" not in page  # final: no more polling
    events = TicketEvent.objects.count()
    again = client.post(f"/centers/t/{ticket.status_code}/cancel/")
    assert again.status_code == 409
    assert "排队号已叫号或已结束，不能取消。" in _text(again.content)
    assert TicketEvent.objects.count() == events
    assert client.get(f"/centers/t/{ticket.status_code}/cancel/").status_code == 405


def test_rating_after_the_service(w: CenterWorld, client: Client) -> None:
    _take(client, "A")
    ticket = Ticket.objects.get()
    early = client.post(f"/centers/t/{ticket.status_code}/rate/", {"level": "5"})
    assert early.status_code == 409 and Rating.objects.count() == 0
    services.ticket_call_next(by=w.clerk, window_id=w.w1.pk)
    services.ticket_start(by=w.clerk, ticket_id=ticket.pk)
    services.ticket_finish(by=w.clerk, ticket_id=ticket.pk)
    page = client.get(f"/centers/t/{ticket.status_code}/").content.decode()
    assert 'id="rating-form"' in page and "hx-trigger" not in page
    assert re.findall(r'name="level" value="(\d)"', page) == ["5", "4", "3", "2", "1"]
    bad = client.post(f"/centers/t/{ticket.status_code}/rate/", {"level": "9"})
    assert bad.status_code == 422 and Rating.objects.count() == 0
    assert 'id="level-err"' in bad.content.decode()
    done = client.post(f"/centers/t/{ticket.status_code}/rate/", {"level": "4", "comment": "很快"})
    assert done.status_code == 302
    rating = Rating.objects.get()
    assert (rating.subject_type, rating.subject_id, rating.level, rating.comment, rating.channel) == (
        "service", str(ticket.pk), 4, "很快", "web")
    page = client.get(f"/centers/t/{ticket.status_code}/").content.decode()
    assert "感谢您的评价！" in page and 'id="rated"' in page and 'id="rating-form"' not in page
    twice = client.post(f"/centers/t/{ticket.status_code}/rate/", {"level": "1"})
    assert twice.status_code == 409 and Rating.objects.count() == 1


def test_board_and_display_fragments_show_exact_numbers(w: CenterWorld, client: Client) -> None:
    for prefix in ("A", "A", "B"):
        _take(client, prefix)
    services.ticket_call_next(by=w.clerk, window_id=w.w1.pk)
    board = client.get("/centers/TEST-LFL/board/", HTTP_HX_REQUEST="true")
    html = board.content.decode()
    assert board.status_code == 200 and "<html" not in html
    waiting = dict(re.findall(r'<tr data-prefix="([A-Z])">.*?data-col="waiting">(\d+)<', html, re.S))
    assert waiting == {"A": "1", "B": "1", "C": "0"}
    assert "A001 → 1 号窗口" in _text(board.content)
    assert client.get("/centers/TEST-LFL/board/").status_code == 200

    display = client.get("/centers/TEST-LFL/display/", HTTP_HX_REQUEST="true")
    html = display.content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert '<li data-key="A001@1">' in html and "请 A001 号到 1 号窗口" in _text(display.content)
    waiting = dict(re.findall(r'<li data-prefix="([A-Z])">.*?data-col="waiting">(\d+)<', html, re.S))
    assert waiting == {"A": "1", "B": "1", "C": "0"}
    calls = json.loads(re.search(r'<script id="display-calls" type="application/json">(.*?)</script>', html,
                                 re.S).group(1))
    assert calls == [{"display": "A001", "window": 1, "key": "A001@1", "text": "请A零零一号到一号窗口",
                      "clips": " ".join(f"/static/centers/voice/{s}.wav" for s in (
                          "qing", "letter_A", "d0", "d0", "d1", "hao", "dao", "d1", "hao", "chuangkou"))}]
    full = client.get("/centers/TEST-LFL/display/").content.decode()
    assert 'id="voice-enable"' in full and "centers/display.js" in full


def test_unknown_codes_are_404(w: CenterWorld, client: Client) -> None:
    for url in ("/centers/t/NOPE/", "/centers/t/NOPE/live/", "/centers/tickets/NOPE/print/",
                "/centers/NOPE/board/"):
        assert client.get(url).status_code == 404, url
    for url in ("/centers/NOPE/display/", "/centers/NOPE/kiosk/"):  # the device pages of another center
        response = client.get(url)
        assert response.status_code == 403 and 'data-code="device_wrong_center"' in response.content.decode(), url


def test_checkin_with_unknown_code_is_refused_and_creates_nothing(w: CenterWorld, client: Client) -> None:
    assert client.get(f"{KIOSK}checkin/").status_code == 200
    response = client.post(f"{KIOSK}checkin/", {"appointment_code": "zzzz9999"})
    assert response.status_code == 404
    assert "找不到该预约。" in _text(response.content) and 'value="ZZZZ9999"' in response.content.decode()
    assert Ticket.objects.count() == 0


def test_kiosk_guide_search_links_guide_pdf_and_self_fill(w: CenterWorld, client: Client) -> None:
    item = w.cw.item
    response = client.get(f"{KIOSK}guide/", {"q": item.name[:4]})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="/catalog/items/{item.code}/guide.pdf"' in html
    assert f'href="/cases/kiosk/apply/{item.code}/"' in html


def test_voice_announcement_and_clips() -> None:
    assert voice.announcement("A012", 3) == ["qing", "letter_A", "d0", "d1", "d2", "hao", "dao", "d3", "hao",
                                             "chuangkou"]
    assert voice.announcement_text("B105", 12) == "请B一零五号到十二号窗口"
    assert voice.announcement_text("C001", 105) == "请C零零一号到一百零五号窗口"
    assert voice.announcement_text("C001", 20) == "请C零零一号到二十号窗口"
    assert voice.announcement_text("C001", 110) == "请C零零一号到一百一十号窗口"
    needed = {s for n in range(1, 1000) for s in voice.announcement("Z999", n)}
    needed |= {s for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for s in voice.announcement(f"{c}0123456789", 1)}
    assert needed == set(voice.symbols())
    for stem in voice.symbols():
        path = voice.CLIP_DIR / f"{stem}.wav"
        with wave.open(str(path), "rb") as clip:
            assert (clip.getnchannels(), clip.getframerate(), clip.getsampwidth()) == (1, 16000, 2), stem
            assert 0.1 < clip.getnframes() / 16000 < 2.0, stem


def _booking(w: CenterWorld, center: Center, category: TicketCategory, code: str) -> Appointment:
    """A booking whose slot is open for check-in now (the slot around the current time)."""
    now = timezone.localtime()
    before, after = now - datetime.timedelta(minutes=10), now + datetime.timedelta(minutes=20)
    starts = before.time() if before.date() == now.date() else datetime.time(0, 0)
    ends = after.time() if after.date() == now.date() else datetime.time(23, 59, 59)
    slot = AppointmentSlot.objects.create(center=center, category=category, date=now.date(), starts=starts,
                                          ends=ends, capacity=5, booked=1)
    return Appointment.objects.create(slot=slot, category=category, date=now.date(), person=w.cw.p.citizen.person,
                                      user=w.cw.p.citizen, code=code, status="booked")


def test_checkin_at_the_kiosk_prints_a_priority_ticket(w: CenterWorld, client: Client) -> None:
    appointment = _booking(w, w.center, w.b, "K2M4P6Q8")
    response = client.post(f"{KIOSK}checkin/", {"appointment_code": "k2m4p6q8"})
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/centers/tickets/{ticket.status_code}/print/?kiosk=TEST-LFL"
    assert (ticket.display, ticket.priority, ticket.source, ticket.appointment_id) == (
        "B001", "appointment", "appointment", appointment.pk)
    appointment.refresh_from_db()
    assert appointment.status == "checked_in"
    again = client.post(f"{KIOSK}checkin/", {"appointment_code": "K2M4P6Q8"})
    assert again.status_code == 409 and "该预约已签到，请勿重复签到。" in _text(again.content)
    assert Ticket.objects.count() == 1


def test_checkin_of_another_centers_booking_is_refused(w: CenterWorld, client: Client) -> None:
    other = Center.objects.create(code="TEST-OTHER", name="另一中心", level=CenterLevel.STREET, region=w.center.region,
                                  department=w.center.department)
    category = TicketCategory.objects.create(center=other, prefix="A", name="户籍办理")
    appointment = _booking(w, other, category, "W7X8Y9Z2")
    response = client.post(f"{KIOSK}checkin/", {"appointment_code": "W7X8Y9Z2"})
    assert response.status_code == 403
    assert "该预约不属于本中心。" in _text(response.content)
    appointment.refresh_from_db()
    assert (appointment.status, Ticket.objects.count(), TicketEvent.objects.count()) == ("booked", 0, 0)


def test_pages_in_english(w: CenterWorld, client: Client) -> None:
    _take(client, "A")
    ticket = Ticket.objects.get()
    client.cookies["django_language"] = "en"
    html = _text(client.get(f"/centers/t/{ticket.status_code}/").content)
    assert "Ahead of you 0 people" in html and "Your turn is next" in html and "Leave the queue" in html
    assert "Take a ticket" in _text(client.get(KIOSK).content)


def test_display_fragment_queries_do_not_grow_with_the_queue(w: CenterWorld, client: Client,
                                                             django_assert_num_queries: Any) -> None:
    for prefix in "AABBC" * 4:
        _take(client, prefix)
    for window in (w.w1, w.w2, w.w3):
        services.ticket_call_next(by=w.clerk, window_id=window.pk)
    # polled every second by every hall screen and waiting phone: the device binding, 5 + 2 per
    # category; 5
    with django_assert_num_queries(12):
        client.get("/centers/TEST-LFL/display/", HTTP_HX_REQUEST="true")
    phone = Client()  # the holder's phone (the QR code), not the kiosk
    code = Ticket.objects.last().status_code
    with django_assert_num_queries(5):  # the ticket and its queue version; the center's snapshot (4)
        phone.get(f"/centers/t/{code}/live/?seen=waiting")
    with django_assert_num_queries(1):  # the snapshot of this version is in memory (test_polled.py)
        phone.get(f"/centers/t/{code}/live/?seen=waiting")


def test_printed_ticket_prints_itself_only_at_a_kiosk_that_asks(w: CenterWorld, client: Client,
                                                                settings: Any) -> None:
    _take(client, "A")
    code = Ticket.objects.get().status_code
    assert "data-autoprint" not in client.get(f"/centers/tickets/{code}/print/?kiosk=TEST-LFL").content.decode()
    settings.CENTERS_KIOSK_AUTOPRINT = True
    assert 'data-autoprint="1"' in client.get(f"/centers/tickets/{code}/print/?kiosk=TEST-LFL").content.decode()
    assert "data-autoprint" not in client.get(f"/centers/tickets/{code}/print/").content.decode()
