"""``{% reminder_count %}``: how many reminders are due for the logged-in user (the header badge).

One COUNT query, only when a template asks and only for a logged-in user; anonymous pages run none.
"""

from __future__ import annotations

from typing import Any

from django import template

from onewindow.notifications.selectors import reminder_count as count_for

register = template.Library()


@register.simple_tag(takes_context=True)
def reminder_count(context: dict[str, Any]) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return count_for(user=user)
