"""Demo step last of all: 提醒管理 (issue #14 part 6) — every reminder feed run once on the demo's state.

The feeds are the periodic jobs of the apps (``<app>/reminder_feed.py``): case deadlines and
expiring licences (cases), appointments the day before (centers), bad-rating follow-ups (ratings),
and the feeds training and interaction (and analytics) keep themselves. Running each once now gives
``manager`` and ``centerclerk`` the reminders the scheduler would have given them, without waiting
for it. A feed module not present yet is skipped; each feed is idempotent, so a second demo run
changes nothing. Lives with the demo command because it joins every app.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

#: (module, the names its run-once function may have, first found wins).
FEEDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("onewindow.cases.reminder_feed", ("cases_reminders_feed",)),
    ("onewindow.centers.reminder_feed", ("centers_reminders_feed",)),
    ("onewindow.ratings.reminder_feed", ("ratings_reminders_feed",)),
    ("onewindow.training.reminder_feed", ("training_reminders_feed", "reminders_feed", "sync_open", "feed")),
    ("onewindow.interaction.reminder_feed", ("interaction_reminders_feed", "reminders_feed", "sync_open", "feed")),
    ("onewindow.analytics.reminder_feed", ("analytics_reminders_feed", "reminders_feed", "sync_open", "feed")),
)


def _feed(module_name: str, names: tuple[str, ...]) -> Callable[[], Any] | None:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    for name in names:
        function = getattr(module, name, None)
        if callable(function):
            return function  # type: ignore[no-any-return]
    return None


def load(progress: Callable[[int], object], seed: int) -> None:
    """Run each present feed once (module docstring)."""
    for module_name, names in FEEDS:
        function = _feed(module_name, names)
        if function is not None:
            function()
            progress(1)
