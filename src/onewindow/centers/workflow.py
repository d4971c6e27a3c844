"""Pure transition tables of the queue ticket and the appointment (no database).

The appointment follows the recipe of the cases (cases/workflow.py): ``APPOINTMENT_TRANSITIONS``
maps an action to the statuses it may start from and the status it leads to (``book`` starts from
no appointment, ``""``; ``change`` — 改约 — ends the old booking, and the new one is booked in the
same transaction); ``APPOINTMENT_ACTORS`` maps it to who may take it:

- ``owner``: the logged-in person the booking is for (a real-name account);
- ``kiosk``: an enrolled self-service kiosk of the appointment's center, acting for the person who
  identified themselves there (name, ID and mobile to book; booking code and phone tail to change
  or cancel — services.kiosk_booking);
- ``device``: any active hall device of the center (ticket printer, kiosk, call keypad) that reads
  a booking code to check it in;
- ``staff``: a clerk or manager of the center, or a system admin (check-in at the window or the
  information desk);
- ``system``: the scheduler, which marks a booking not checked in by the end of its check-in
  window as a no-show (爽约).

Booking rules are local practice of Shanghai's community centers (docs/domain.md has no national
rule for appointments); the table says only who acts and in which order.
"""

from __future__ import annotations

from .choices import AppointmentAction as AA
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

#: action -> (allowed source statuses, target status); ``""`` is "no appointment yet"
APPOINTMENT_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    AA.BOOK: (frozenset({""}), AS.BOOKED),
    AA.CHANGE: (frozenset({AS.BOOKED}), AS.CANCELLED),
    AA.CANCEL: (frozenset({AS.BOOKED}), AS.CANCELLED),
    AA.CHECK_IN: (frozenset({AS.BOOKED}), AS.CHECKED_IN),
    AA.NO_SHOW: (frozenset({AS.BOOKED}), AS.NO_SHOW),
}

#: action -> the actor kinds that may take it (see the module docstring)
APPOINTMENT_ACTORS: dict[str, frozenset[str]] = {
    AA.BOOK: frozenset({"owner", "kiosk"}),
    AA.CHANGE: frozenset({"owner", "kiosk"}),
    AA.CANCEL: frozenset({"owner", "kiosk"}),
    AA.CHECK_IN: frozenset({"device", "staff"}),
    AA.NO_SHOW: frozenset({"system"}),
}


def ticket_allowed(status: str, action: str) -> bool:
    entry = TICKET_TRANSITIONS.get(action)
    return entry is not None and status in entry[0]


def ticket_target(status: str, action: str) -> str:
    if not ticket_allowed(status, action):
        raise ValueError(f"{action} not allowed from {status}")
    return TICKET_TRANSITIONS[action][1] or status


def appointment_allowed(status: str, action: str) -> bool:
    """Whether ``action`` may be taken on an appointment in ``status``."""
    entry = APPOINTMENT_TRANSITIONS.get(action)
    return entry is not None and status in entry[0]


def appointment_target(status: str, action: str) -> str:
    """The status of an appointment after ``action`` from ``status`` (ValueError when not allowed)."""
    if not appointment_allowed(status, action):
        raise ValueError(f"{action} not allowed from {status!r}")
    return APPOINTMENT_TRANSITIONS[action][1]
