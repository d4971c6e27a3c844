"""Rendering message texts from templates: Django template syntax, no HTML escaping, never crashing.

Texts are stored raw; pages escape them when they show them. A missing context key renders
empty; a template that does not parse (possible only through a data migration, since the admin
validates) falls back to its raw text, so a broken template never rolls back the caller's change.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError

SMS_MAX_CHARS = 300

logger = logging.getLogger(__name__)

_engine = Engine(
    autoescape=False,
    string_if_invalid="",
    libraries={},
    builtins=["django.template.defaultfilters", "django.template.defaulttags"],
)


def check_syntax(source: str) -> None:
    """Raise TemplateSyntaxError when ``source`` does not parse (used by the admin form)."""
    _engine.from_string(source)


def render_text(source: str, context: Mapping[str, Any]) -> str:
    """``source`` rendered with ``context`` (values as given, unescaped), stripped."""
    if not source:
        return ""
    try:
        template = _compiled(source)
    except TemplateSyntaxError:
        logger.error("message template does not parse; sending its raw text: %r", source[:200])
        return source.strip()
    return template.render(Context(dict(context), autoescape=False)).strip()


@functools.lru_cache(maxsize=256)
def _compiled(source: str) -> Any:
    """``source`` parsed once per process (issue #17: every message parsed its template anew). Keyed by
    the text itself, so an edited template is a new key at once; a compiled template keeps no render state."""
    return _engine.from_string(source)


def truncate_sms(text: str, limit: int = SMS_MAX_CHARS) -> str:
    """At most ``limit`` characters; a longer text ends in “…”."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
