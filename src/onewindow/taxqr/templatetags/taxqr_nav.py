"""``{% taxqr_sections user as sections %}``: which parts of 智慧税务 the user may open.

The navigation shows only what the user may use: the client form to anyone logged in, the window
to tax clerks and reviewers, the records, summaries and analysis to them and to system admins.
"""

from __future__ import annotations

from typing import Any

from django import template

from onewindow.taxqr import permissions

register = template.Library()


@register.simple_tag
def taxqr_sections(user: Any) -> dict[str, bool]:
    window = bool(getattr(user, "is_authenticated", False)) and bool(permissions.bureaus_of(user))
    return {"window": window, "records": window or permissions.is_admin(user)}
