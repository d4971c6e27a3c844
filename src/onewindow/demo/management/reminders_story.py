"""Demo step last of all: 提醒管理 (issue #14 part 6) — every reminder feed run once on the demo's state.

The feeds are the periodic jobs of the apps (``<app>/reminder_feed.py``): case deadlines and
expiring licences (cases), appointments the day before (centers), bad-rating follow-ups (ratings),
invitations to coming training sessions (training), open questions (interaction) and proposals
awaiting the department's decision (analytics). Running each once now gives ``manager``,
``centerclerk`` and ``linfenadmin`` the reminders the scheduler would have given them, without
waiting for it. Each feed is idempotent, so a second demo run changes nothing. Lives with the demo
command because it joins every app.
"""

from __future__ import annotations

from collections.abc import Callable

from onewindow.analytics.reminder_feed import analytics_reminders_feed
from onewindow.cases.reminder_feed import cases_reminders_feed
from onewindow.centers.reminder_feed import centers_reminders_feed
from onewindow.interaction.reminder_feed import sync_open as interaction_reminders_feed
from onewindow.ratings.reminder_feed import ratings_reminders_feed
from onewindow.training.reminder_feed import training_reminders_feed

FEEDS: tuple[Callable[[], object], ...] = (
    cases_reminders_feed, centers_reminders_feed, ratings_reminders_feed, training_reminders_feed,
    interaction_reminders_feed, analytics_reminders_feed,
)


def load(progress: Callable[[int], object], seed: int) -> None:
    """Run each feed once (module docstring)."""
    for feed in FEEDS:
        feed()
        progress(1)
