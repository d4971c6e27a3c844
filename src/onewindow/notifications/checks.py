"""System checks of the SMS gateway settings: a wrong setting stops the start, not the first message."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from .backends import DEFAULT_BODY_TEMPLATE, parse_header, render_body


@register("onewindow")
def sms_gateway_configured(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    kind = getattr(settings, "NOTIFICATIONS_SMS_BACKEND", "outbox")
    errors: list[CheckMessage] = []
    if kind not in ("outbox", "console", "http"):
        errors.append(
            Error(f"NOTIFICATIONS_SMS_BACKEND must be outbox, console or http, not {kind!r}.", id="notifications.E001")
        )
    if kind != "http":
        return errors
    if not str(getattr(settings, "NOTIFICATIONS_SMS_URL", "")).startswith(("http://", "https://")):
        errors.append(
            Error(
                "NOTIFICATIONS_SMS_URL must be an http:// or https:// URL when the backend is http.",
                id="notifications.E002",
            )
        )
    try:
        parse_header(getattr(settings, "NOTIFICATIONS_SMS_AUTH_HEADER", ""))
    except ValueError as exc:
        errors.append(Error(str(exc), id="notifications.E003"))
    template = getattr(settings, "NOTIFICATIONS_SMS_BODY_TEMPLATE", "") or DEFAULT_BODY_TEMPLATE
    try:
        json.loads(render_body(template, message_id="x", phone="1", text='a "quoted"\ntext'))
    except ValueError:
        errors.append(
            Error(
                "NOTIFICATIONS_SMS_BODY_TEMPLATE does not give valid JSON; put each placeholder "
                'inside quotes, e.g. {"text": "{text}"}.',
                id="notifications.E004",
            )
        )
    return errors
