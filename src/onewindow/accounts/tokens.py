"""Lifetime of machine tokens (机器令牌有效期).

Rule: every machine token expires. A token lives at most ``ACCOUNTS_TOKEN_MAX_DAYS`` (default
365) days, a device token (scope ``device``: kiosks, displays, call keypads, rating pads)
``ACCOUNTS_DEVICE_TOKEN_MAX_DAYS`` (default 365: a hall device is re-enrolled once a year, on a
date the center manager sees in advance). Issuing without an expiry sets the maximum; a later
expiry is refused (``expires_too_late``). Tokens that expire within a few weeks are listed by
:func:`tokens_expiring` (``onewindow tokens_expiring``, the admin's token and device lists) so a
device is renewed before it goes dark. An expired token answers 401 ``token_expired``
(services.api_token_authenticate).

Basis: GB/T 22239-2019 (等保2.0 三级) 身份鉴别 (鉴别信息定期更换); OWASP ASVS 5.0 V9/V4 (tokens
have a limited lifetime); decision 0009.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import DomainError

from .models import ApiToken

DEVICE_SCOPE = "device"
DEFAULT_MAX_DAYS = 365
DEFAULT_DEVICE_MAX_DAYS = 365


def max_days(scopes: Sequence[str]) -> int:
    """The longest a token with these scopes may live, in days."""
    if DEVICE_SCOPE in scopes:
        return int(getattr(settings, "ACCOUNTS_DEVICE_TOKEN_MAX_DAYS", DEFAULT_DEVICE_MAX_DAYS))
    return int(getattr(settings, "ACCOUNTS_TOKEN_MAX_DAYS", DEFAULT_MAX_DAYS))


def token_expiry(expires_at: datetime.datetime | None, scopes: Sequence[str],
                 now: datetime.datetime | None = None) -> datetime.datetime:
    """The expiry to store for a new token: the maximum when none is asked for; a later one
    than the maximum is refused (``expires_too_late``, on the field ``expires_at``)."""
    now = now or timezone.now()
    limit = now + datetime.timedelta(days=max_days(scopes))
    if expires_at is None:
        return limit
    if expires_at > limit:
        days = max_days(scopes)
        raise DomainError(_("令牌有效期最长为 %(days)s 天") % {"days": days}, code="expires_too_late",
                          fields={"expires_at": [_("令牌有效期最长为 %(days)s 天") % {"days": days}]})
    return expires_at


def tokens_expiring(within_days: int = 30, now: datetime.datetime | None = None) -> QuerySet[ApiToken]:
    """Unrevoked tokens that are still valid and expire within ``within_days`` days, soonest first."""
    now = now or timezone.now()
    return (ApiToken.objects.filter(revoked_at__isnull=True, expires_at__gt=now,
                                    expires_at__lte=now + datetime.timedelta(days=within_days))
            .select_related("owner").order_by("expires_at", "id"))


def default_expiry(sender: Any, instance: ApiToken, **kwargs: Any) -> None:
    """``pre_save`` of ApiToken: a token saved without an expiry — by any path, the demo and the
    device enrolment included — gets the maximum, so no token lives for ever."""
    if instance.expires_at is None:
        instance.expires_at = token_expiry(None, instance.scopes or [])
