"""Writes of the service centers (one service per action). Import from here."""

from .booking import (
    appointment_book,
    appointment_cancel,
    appointment_change,
    appointment_check_in,
    appointment_mark_no_show,
    appointments_mark_no_shows,
    appointments_send_reminders,
    booking_restriction,
)
from .phone import phone_check_confirm
from .queue import (
    ticket_call_next,
    ticket_cancel,
    ticket_finish,
    ticket_recall,
    ticket_requeue,
    ticket_skip,
    ticket_start,
    ticket_take,
    ticket_transfer,
)
from .rating import service_rate_at_pad, service_rate_by_code, service_rate_by_token, ticket_from_rating_token
from .windows import (
    clerk_sign_in,
    clerk_sign_out,
    duties_replace,
    duty_assign,
    window_set_categories,
    window_set_state,
)

__all__ = [
    "appointment_book",
    "appointment_cancel",
    "appointment_change",
    "appointment_check_in",
    "appointment_mark_no_show",
    "appointments_mark_no_shows",
    "appointments_send_reminders",
    "booking_restriction",
    "clerk_sign_in",
    "clerk_sign_out",
    "duties_replace",
    "duty_assign",
    "phone_check_confirm",
    "service_rate_at_pad",
    "service_rate_by_code",
    "service_rate_by_token",
    "ticket_call_next",
    "ticket_cancel",
    "ticket_finish",
    "ticket_from_rating_token",
    "ticket_recall",
    "ticket_requeue",
    "ticket_skip",
    "ticket_start",
    "ticket_take",
    "ticket_transfer",
    "window_set_categories",
    "window_set_state",
]
