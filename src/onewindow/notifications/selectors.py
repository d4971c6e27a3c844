"""Reads of notifications, scoped to the requesting user.

A user sees only their own in-app messages (站内消息); SMS rows and other users' messages are
never listed to them. Staff screens and tests read a case's messages by subject.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import NotFound

from .choices import Channel
from .models import Message


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
