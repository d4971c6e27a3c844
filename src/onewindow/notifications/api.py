"""The notifications part of the JSON API (/api/v1/notifications/): a user's own in-app messages.

401 anonymous; a token without an owning user (a device) or without ``notifications:read`` /
``notifications:write`` gets 403; another user's message is 404. SMS rows are never listed here.
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest
from ninja import Query, Router

from onewindow.accounts.api_auth import require_user, session_or_token
from onewindow.core.normalize import NfkcInt
from onewindow.core.pagination import MAX_PAGE, MAX_PAGE_SIZE, PAGE_SIZE, paginated

from . import selectors, services
from .models import Message
from .schemas import ErrorOut, InboxOut, MessageOut, ReadAllOut

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
