"""The notifications part of the JSON API (/api/v1/notifications/): a user's own in-app messages.

401 anonymous; a token without an owning user (a device) or without ``notifications:read`` /
``notifications:write`` gets 403; another user's message is 404. SMS rows are never listed here.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router

from onewindow.accounts.api_auth import require_user, session_or_token
from onewindow.core.normalize import NfkcInt
from onewindow.core.pagination import MAX_PAGE, MAX_PAGE_SIZE, PAGE_SIZE, paginated

from . import selectors, services
from .models import Message, Reminder
from .schemas import (
    ErrorOut,
    InboxOut,
    MessageOut,
    PreferenceIn,
    PreferenceOut,
    ReadAllOut,
    ReminderOut,
    RemindersOut,
    SnoozeIn,
)

router = Router(tags=["notifications"], auth=session_or_token)

READ = "notifications:read"
WRITE = "notifications:write"
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _out(message: Message) -> MessageOut:
    return MessageOut(
        id=message.pk,
        event=message.event,
        title=message.title,
        text=message.text,
        subject_type=message.subject_type,
        subject_id=message.subject_id,
        created_at=message.created_at,
        read_at=message.read_at,
    )


@router.get("/messages", response={200: InboxOut, **ERRORS}, summary="我的站内消息")
def messages(
    request: HttpRequest,
    unread_only: bool = False,
    page: NfkcInt = Query(1, ge=1, le=MAX_PAGE),  # noqa: B008 - ninja reads the default
    page_size: NfkcInt = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),  # noqa: B008
) -> InboxOut:
    user = require_user(request, READ)
    rows = paginated(selectors.message_list_for(user, unread_only=unread_only), page, page_size, _out)
    return InboxOut(unread=selectors.message_unread_count_for(user), **rows)


@router.post("/messages/read-all", response={200: ReadAllOut, **ERRORS}, summary="全部标为已读")
def messages_read_all(request: HttpRequest) -> ReadAllOut:
    user = require_user(request, WRITE)
    return ReadAllOut(marked=services.message_mark_all_read(by=user))


@router.get("/messages/{message_id}", response={200: MessageOut, **ERRORS}, summary="查看消息")
def message_detail(request: HttpRequest, message_id: uuid.UUID) -> MessageOut:
    user = require_user(request, READ)
    return _out(selectors.message_get_for(user, message_id))


@router.post("/messages/{message_id}/read", response={200: MessageOut, **ERRORS}, summary="标为已读")
def message_read(request: HttpRequest, message_id: uuid.UUID) -> MessageOut:
    user = require_user(request, WRITE)
    return _out(services.message_mark_read(by=user, message_id=message_id))


# ---- reminders (提醒管理, issue #14 part 6) ----------------------------------------------------


def _reminder_out(reminder: Reminder, now: datetime.datetime) -> ReminderOut:
    return ReminderOut(
        id=reminder.pk,
        kind=reminder.kind,
        title=reminder.title,
        detail=reminder.detail,
        link=reminder.link,
        due_at=reminder.due_at,
        state=reminder.state,
        snoozed_until=reminder.snoozed_until,
        group=selectors.reminder_group(reminder, now),
    )


@router.get("/reminders", response={200: RemindersOut, **ERRORS}, summary="我的提醒")
def reminders(
    request: HttpRequest,
    state: Literal["active", "snoozed", "done", "resolved", "all"] = "active",
    page: NfkcInt = Query(1, ge=1, le=MAX_PAGE),  # noqa: B008 - ninja reads the default
    page_size: NfkcInt = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),  # noqa: B008
) -> RemindersOut:
    user = require_user(request, READ)
    now = timezone.now()
    rows = paginated(selectors.reminders_for(user=user, state=state, now=now), page, page_size,
                     lambda r: _reminder_out(r, now))
    return RemindersOut(due=selectors.reminder_count(user=user, now=now), **rows)


@router.get("/reminders/preference", response={200: PreferenceOut, **ERRORS}, summary="提醒方式")
def reminder_preference(request: HttpRequest) -> PreferenceOut:
    user = require_user(request, READ)
    return PreferenceOut(channel=selectors.reminder_channel_for(user))


@router.put("/reminders/preference", response={200: PreferenceOut, **ERRORS}, summary="设置提醒方式")
def reminder_preference_set(request: HttpRequest, body: PreferenceIn) -> PreferenceOut:
    user = require_user(request, WRITE)
    return PreferenceOut(channel=services.reminder_preference_set(by=user, channel=body.channel).channel)


@router.post("/reminders/{reminder_id}/snooze", response={200: ReminderOut, **ERRORS, 409: ErrorOut},
             summary="推迟提醒")
def reminder_snooze(request: HttpRequest, reminder_id: int, body: SnoozeIn) -> ReminderOut:
    user = require_user(request, WRITE)
    selectors.reminder_get_for(user, reminder_id)  # another user's: 404 before the time is read
    until = services.snooze_until(body.choice, custom=body.until)
    return _reminder_out(services.reminder_snooze(by=user, reminder_id=reminder_id, until=until), timezone.now())


@router.post("/reminders/{reminder_id}/done", response={200: ReminderOut, **ERRORS, 409: ErrorOut},
             summary="完成提醒")
def reminder_done(request: HttpRequest, reminder_id: int) -> ReminderOut:
    user = require_user(request, WRITE)
    return _reminder_out(services.reminder_done(by=user, reminder_id=reminder_id), timezone.now())
