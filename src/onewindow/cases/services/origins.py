"""Where a case taken at the window came from (受理渠道): ``appointment`` when the clerk is serving
the ticket of a booking (网上预约 → 现场签到 → 窗口受理), ``window`` otherwise.

Cases sits below the service centers, so it cannot read their tickets: the centers app registers a
resolver at start-up (``register_window_origin``), which answers for a ticket reference only when
that ticket is being served by the clerk at a window right now. The page never names the channel
itself, so a walk-in cannot be counted as a booking (the channel feeds the 好差评 and the
appointment statistics). Basis: 国办发〔2019〕51号 (一事一评, channel of the service); GB/T
22239-2019 数据完整性.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..choices import CaseChannel

WindowOrigin = Callable[[Any, str], str | None]
_resolvers: list[WindowOrigin] = []
WINDOW_CHANNELS = (CaseChannel.WINDOW, CaseChannel.APPOINTMENT)


def register_window_origin(resolver: WindowOrigin) -> None:
    """Register ``resolver(user, ticket_ref) -> channel | None`` (idempotent)."""
    if resolver not in _resolvers:
        _resolvers.append(resolver)


def window_channel(user: Any, ticket_ref: Any) -> str:
    """The channel of a case the clerk ``user`` takes at the window while serving ``ticket_ref``."""
    ref = str(ticket_ref or "").strip()[:20]
    if ref:
        for resolver in _resolvers:
            channel = resolver(user, ref)
            if channel in WINDOW_CHANNELS:
                return str(channel)
    return str(CaseChannel.WINDOW)
