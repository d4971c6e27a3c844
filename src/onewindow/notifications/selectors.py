"""Reads of notifications, scoped to the requesting user.

A user sees only their own in-app messages (站内消息); SMS rows and other users' messages are
never listed to them. Staff screens and tests read a case's messages by subject.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import NotFound

from .choices import Channel, ReminderChannel, ReminderState
from .models import Message, Reminder, ReminderPreference


def message_list_for(user: Any, *, unread_only: bool = False) -> QuerySet[Message]:
    """The user's own in-app messages, newest first (anonymous: none)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Message.objects.none()
    messages = Message.objects.filter(user=user, channel=Channel.INAPP)
    if unread_only:
        messages = messages.filter(read_at__isnull=True)
    return messages.order_by("-created_at", "-pk")


def message_unread_count_for(user: Any) -> int:
    """How many of the user's in-app messages are unread (the badge on the inbox)."""
    return message_list_for(user, unread_only=True).count()


def message_get_for(user: Any, message_id: uuid.UUID | str) -> Message:
    """One of the user's own in-app messages; another user's message is "not found" (404), never 403,
    so its existence is not disclosed."""
    try:
        key = uuid.UUID(str(message_id))
    except ValueError:
        key = None
    message = message_list_for(user).filter(pk=key).first() if key else None
    if message is None:
        raise NotFound(_("找不到该消息。"), code="message_not_found")
    return message


def message_list_for_subject(subject_type: str, subject_id: str) -> QuerySet[Message]:
    """Every message (all channels, all recipients) about one subject, e.g. ``("case", "<number>")``,
    oldest first. For staff screens and tests; callers check the staff member's scope on the subject."""
    return Message.objects.filter(subject_type=subject_type, subject_id=str(subject_id)).order_by(
        "created_at", "channel", "pk"
    )


# ---- reminders (提醒管理, issue #14 part 6) ----------------------------------------------------

#: The states ``reminders_for`` accepts: "active" (open, plus snoozed ones whose snooze has
#: passed: what is due now), "open" (strictly), "snoozed" (still asleep), "done", "resolved", "all".
REMINDER_LISTS: tuple[str, ...] = ("active", "open", "snoozed", "done", "resolved", "all")


def _active(now: datetime.datetime) -> Q:
    return Q(state=ReminderState.OPEN) | Q(state=ReminderState.SNOOZED, snoozed_until__lte=now)


def reminders_for(*, user: Any, state: str = "active", now: datetime.datetime | None = None) -> QuerySet[Reminder]:
    """The user's own reminders (anonymous: none), soonest due first, undated last.

    ``state``: one of :data:`REMINDER_LISTS`; another value is a programming error (ValueError).
    """
    if state not in REMINDER_LISTS:
        raise ValueError(f"unknown reminder list {state!r}")
    if user is None or not getattr(user, "is_authenticated", False):
        return Reminder.objects.none()
    now = now or timezone.now()
    reminders = Reminder.objects.filter(user=user)
    if state == "active":
        reminders = reminders.filter(_active(now))
    elif state == "snoozed":
        reminders = reminders.filter(state=ReminderState.SNOOZED, snoozed_until__gt=now)
    elif state != "all":
        reminders = reminders.filter(state=state)
    return reminders.order_by(F("due_at").asc(nulls_last=True), "id")


def reminder_count(*, user: Any, now: datetime.datetime | None = None) -> int:
    """How many reminders are due for the user now (the count in the page header): one query."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return Reminder.objects.filter(_active(now or timezone.now()), user=user).count()


def reminder_get_for(user: Any, reminder_id: int | str) -> Reminder:
    """One of the user's own reminders; another user's is "not found" (404), never 403."""
    try:
        key = int(str(reminder_id))
    except ValueError:
        key = 0
    reminder = (
        Reminder.objects.filter(user=user, pk=key).first()
        if key > 0 and user is not None and getattr(user, "is_authenticated", False)
        else None
    )
    if reminder is None:
        raise NotFound(_("找不到该提醒。"), code="reminder_not_found")
    return reminder


#: The groups of the reminder page, in order: overdue, due today, this week, later (or undated).
REMINDER_GROUPS: tuple[str, ...] = ("overdue", "today", "week", "later")


def reminder_group(reminder: Reminder, now: datetime.datetime) -> str:
    """Which group of the page a due reminder falls in (local dates; the week ends on Sunday)."""
    if reminder.due_at is None:
        return "later"
    if reminder.due_at < now:
        return "overdue"
    today = timezone.localdate(now)
    day = timezone.localdate(reminder.due_at)
    if day == today:
        return "today"
    if day <= today + datetime.timedelta(days=6 - today.weekday()):
        return "week"
    return "later"


def reminder_groups_for(*, user: Any, now: datetime.datetime | None = None,
                        limit: int = 300) -> dict[str, list[Reminder]]:
    """The user's due reminders by group (:data:`REMINDER_GROUPS`), soonest first in each."""
    now = now or timezone.now()
    groups: dict[str, list[Reminder]] = {name: [] for name in REMINDER_GROUPS}
    for reminder in reminders_for(user=user, now=now)[:limit]:
        groups[reminder_group(reminder, now)].append(reminder)
    return groups


def reminder_channel_for(user: Any) -> str:
    """The user's reminder channel ("inapp" when never chosen)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ReminderChannel.INAPP
    channel = ReminderPreference.objects.filter(user=user).values_list("channel", flat=True).first()
    return str(channel or ReminderChannel.INAPP)
