"""The demo's window and duty events (issue #14 part 3): for every staffed window-day of the
simulated history, the rows ``window_set_state`` and ``clerk_sign_in``/``clerk_sign_out`` would
have written — the clerk signs in at 08:55 and opens the window at 08:56; the lunch pause starts
when the simulation sent the window to lunch (the window was free then) and ends when lunch is
over; the window closes at 17:00, or after its last service if later, and its clerk is signed out
with it (reason ``closed``). So a clerk is on duty whenever they serve: serving time ⊂ time on duty,
the facts of 有效受理时长 (DutyDayFact). Rows are appended to the history's bulk insert."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import OPEN_S

CLOSE_S = 17 * 3600
SIGN_IN_S = OPEN_S - 300
WINDOW_OPEN_S = OPEN_S - 240


def day_events(history: Any, wins: Sequence[Any]) -> None:
    """Append the day's WindowEvent rows of every staffed window (``wins`` after the simulation:
    ``paused`` the moment it went to lunch or None, ``done`` the moment it had nothing left)."""
    from ..models import WindowEvent

    out, center, dt, ids = history.out[WindowEvent], history.center.pk, history.dt, history.ids
    for win in wins:
        w, clerk = win.window_id, win.clerk_id
        rows = [("sign_in", clerk, "", SIGN_IN_S), ("open", None, "", WINDOW_OPEN_S)]
        paused = win.paused
        if paused is None and win.done <= win.lunch[0]:
            paused = win.lunch[0]  # idle before lunch: the lunch is taken all the same
        if paused is not None and paused < win.lunch[1]:
            rows += [("pause", None, "", paused), ("resume", None, "", win.lunch[1])]
        close = max(CLOSE_S, win.done)
        rows += [("close", None, "", close), ("sign_out", clerk, "closed", close)]
        out += [(ids(WindowEvent), center, w, action, who, clerk, reason, dt(at)) for action, who, reason, at in rows]
    history.counts["window_events"] = history.counts.get("window_events", 0) + len(wins) * 6
