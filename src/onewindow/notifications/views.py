"""The in-app inbox (站内消息) at /messages/: a logged-in user's own messages, unread badge, mark read.
Views parse, call one service/selector, render."""

from __future__ import annotations

import datetime

from django.contrib import messages as django_messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from onewindow.core.errors import DomainError, NotFound

from . import selectors, services
from .choices import ReminderChannel


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


# ---- reminders (提醒管理, issue #14 part 6) ----------------------------------------------------

GROUP_TITLES = {
    "overdue": _("已逾期"),
    "today": _("今天到期"),
    "week": _("本周到期"),
    "later": _("以后或无期限"),
}


def _reminders_page(request: HttpRequest, *, error: DomainError | None = None) -> HttpResponse:
    groups = selectors.reminder_groups_for(user=request.user)
    return render(
        request,
        "notifications/reminders.html",
        {
            "error": error,
            "groups": [(name, GROUP_TITLES[name], groups[name]) for name in selectors.REMINDER_GROUPS],
            "total": sum(len(rows) for rows in groups.values()),
            "snoozed": selectors.reminders_for(user=request.user, state="snoozed")[:100],
            "channel": selectors.reminder_channel_for(request.user),
            "channels": ReminderChannel.choices,
        },
        status=error.status if error is not None else 200,
    )


def _refused(request: HttpRequest, error: DomainError) -> HttpResponse:
    """A refused snooze, done or preference: the page again with the reason, and the error's 4xx."""
    return _reminders_page(request, error=error)


@login_required
@require_GET
def reminders(request: HttpRequest) -> HttpResponse:
    """The user's reminders grouped by due, the snoozed ones, and the delivery preference."""
    return _reminders_page(request)


def _custom_time(value: str) -> datetime.datetime | None:
    try:
        parsed = datetime.datetime.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@login_required
@require_POST
def reminder_snooze(request: HttpRequest, reminder_id: int) -> HttpResponse:
    try:
        custom = _custom_time(request.POST.get("until", ""))
        until = services.snooze_until(request.POST.get("choice", ""), custom=custom)
        services.reminder_snooze(by=request.user, reminder_id=reminder_id, until=until)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        return _refused(request, exc)
    until_text = timezone.localtime(until).strftime("%Y-%m-%d %H:%M")
    django_messages.success(request, _("已推迟到 %(until)s。") % {"until": until_text})
    return redirect("notifications:reminders")


@login_required
@require_POST
def reminder_done(request: HttpRequest, reminder_id: int) -> HttpResponse:
    try:
        services.reminder_done(by=request.user, reminder_id=reminder_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        return _refused(request, exc)
    django_messages.success(request, _("已标为完成。"))
    return redirect("notifications:reminders")


@login_required
@require_POST
def reminder_preference(request: HttpRequest) -> HttpResponse:
    try:
        services.reminder_preference_set(by=request.user, channel=request.POST.get("channel", ""))
    except DomainError as exc:
        return _refused(request, exc)
    django_messages.success(request, _("提醒方式已保存。"))
    return redirect("notifications:reminders")
