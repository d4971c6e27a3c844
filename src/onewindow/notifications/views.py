"""The in-app inbox (站内消息) at /messages/: a logged-in user's own messages, unread badge, mark read.
Views parse, call one service/selector, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from onewindow.core.errors import NotFound

from . import selectors, services


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    return render(
        request,
        "notifications/inbox.html",
        {
            "messages_list": selectors.message_list_for(request.user, unread_only=unread_only)[:200],
            "unread_count": selectors.message_unread_count_for(request.user),
            "unread_only": unread_only,
        },
    )


@login_required
@require_GET
def detail(request: HttpRequest, message_id: str) -> HttpResponse:
    """Opening a message marks it read."""
    try:
        message = services.message_mark_read(by=request.user, message_id=message_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    return render(request, "notifications/detail.html", {"message": message})


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    services.message_mark_all_read(by=request.user)
    return redirect("notifications:inbox")
