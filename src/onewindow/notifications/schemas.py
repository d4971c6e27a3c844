"""Schemas of the notifications API."""

from __future__ import annotations

import datetime
import uuid

from ninja import Schema

from onewindow.core.schemas import ErrorOut as ErrorOut  # re-exported: the one error shape
from onewindow.core.schemas import PageOut


class MessageOut(Schema):
    id: uuid.UUID
    event: str
    title: str
    text: str
    subject_type: str
    subject_id: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None


class InboxOut(PageOut):
    unread: int
    items: list[MessageOut]


class ReadAllOut(Schema):
    marked: int


class ReminderOut(Schema):
    id: int
    kind: str
    title: str
    detail: str
    link: str
    due_at: datetime.datetime | None
    state: str
    snoozed_until: datetime.datetime | None
    group: str


class RemindersOut(PageOut):
    due: int
    items: list[ReminderOut]


class SnoozeIn(Schema):
    choice: str
    until: datetime.datetime | None = None


class PreferenceIn(Schema):
    channel: str


class PreferenceOut(Schema):
    channel: str
