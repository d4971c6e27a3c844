"""登记状态 transitions of a market entity (pure: no database).

存续 (active) may become 吊销 (licence revoked), 注销 (deregistered) or 迁出 (moved to another
registration authority); a revoked entity can still be deregistered (吊销后办理注销, 市场主体登记管理条例
art. 31-33 and 40); 注销 and 迁出 end the entity's record here (a move back in is a new
registration by the receiving authority). The importer sets a status as the source says: it does
not apply this table, because the source registry has already decided.
"""

from __future__ import annotations

from .choices import EntityStatus

STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    EntityStatus.ACTIVE: frozenset({EntityStatus.REVOKED, EntityStatus.DEREGISTERED, EntityStatus.MOVED_OUT}),
    EntityStatus.REVOKED: frozenset({EntityStatus.DEREGISTERED}),
    EntityStatus.DEREGISTERED: frozenset(),
    EntityStatus.MOVED_OUT: frozenset(),
}


def status_change_allowed(current: str, target: str) -> bool:
    """True when ``current`` may become ``target``."""
    return target in STATUS_TRANSITIONS.get(current, frozenset())
