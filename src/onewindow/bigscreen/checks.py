"""System checks of the big-data display: the origin rule (issue #16 part 2, "make the rule
configurable"). A ``BIGSCREEN_ORIGIN_RULE`` naming a class other than local / domestic /
international, or putting one code in two classes, is an error (``bigscreen.E001``), so
``onewindow check`` and ``migrate`` say so before the first count is refused with a 500."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from .origins import check_origin_rule


@register("onewindow")
def origin_rule_is_sound(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [Error(problem, hint="BIGSCREEN_ORIGIN_RULE: class=code|code|… with the classes local, domestic and "
                  "international; a code ending in * is a prefix.", id="bigscreen.E001")
            for problem in check_origin_rule()]
