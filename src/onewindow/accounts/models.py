"""Parties and logins.

A Person (natural person) is not a User (a login): minors and walk-in applicants have no login.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A login (用户账号). Linked to a Person for citizens and staff alike."""

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
