"""Pure transition tables of the queue ticket and the appointment (no database)."""

from __future__ import annotations

from .choices import AppointmentStatus as AS
from .choices import TicketAction as T
from .choices import TicketStatus as S

#: action -> (allowed source statuses, target status; None keeps the status)
TICKET_TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    T.CALL: (frozenset({S.WAITING}), S.CALLED),
    T.RECALL: (frozenset({S.CALLED}), None),
    T.SKIP: (frozenset({S.CALLED}), S.NO_SHOW),
    T.REQUEUE: (frozenset({S.NO_SHOW}), S.WAITING),
    T.TRANSFER: (frozenset({S.WAITING, S.CALLED, S.SERVING}), S.WAITING),
    T.START: (frozenset({S.CALLED}), S.SERVING),
    T.FINISH: (frozenset({S.SERVING}), S.DONE),
    T.CANCEL: (frozenset({S.WAITING}), S.CANCELLED),
}

APPOINTMENT_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "cancel": (frozenset({AS.BOOKED}), AS.CANCELLED),
    "check_in": (frozenset({AS.BOOKED}), AS.CHECKED_IN),
    "no_show": (frozenset({AS.BOOKED}), AS.NO_SHOW),
}


def ticket_allowed(status: str, action: str) -> bool:
    entry = TICKET_TRANSITIONS.get(action)
    return entry is not None and status in entry[0]


def ticket_target(status: str, action: str) -> str:
    if not ticket_allowed(status, action):
        raise ValueError(f"{action} not allowed from {status}")
    return TICKET_TRANSITIONS[action][1] or status


def appointment_allowed(status: str, action: str) -> bool:
    entry = APPOINTMENT_TRANSITIONS.get(action)
    return entry is not None and status in entry[0]
