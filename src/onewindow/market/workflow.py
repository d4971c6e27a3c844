"""登记状态 transitions of a market entity, and the 联合惩戒 listing table below (pure: no database).

存续 (active) may become 吊销 (licence revoked), 注销 (deregistered) or 迁出 (moved to another
registration authority); a revoked entity can still be deregistered (吊销后办理注销, 市场主体登记管理条例
art. 31-33 and 40); 注销 and 迁出 end the entity's record here (a move back in is a new
registration by the receiving authority). The importer sets a status as the source says: it does
not apply this table, because the source registry has already decided.
"""

from __future__ import annotations

from .choices import EntityStatus, SanctionAction, SanctionStatus

STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    EntityStatus.ACTIVE: frozenset({EntityStatus.REVOKED, EntityStatus.DEREGISTERED, EntityStatus.MOVED_OUT}),
    EntityStatus.REVOKED: frozenset({EntityStatus.DEREGISTERED}),
    EntityStatus.DEREGISTERED: frozenset(),
    EntityStatus.MOVED_OUT: frozenset(),
}


def status_change_allowed(current: str, target: str) -> bool:
    """True when ``current`` may become ``target``."""
    return target in STATUS_TRANSITIONS.get(current, frozenset())


# --------------------------------------------------------------------------- 联合惩戒 listings
# A listing's lifecycle (issue #12 part 7; 国发〔2016〕33号): listed → repair requested (信用修复, by
# the entity or the listing department) → removed (the department approves, never before the
# earliest removal date) or back to listed (the department refuses). A correction by the listing
# department changes the content, not the status; a removed listing is final.
SANCTION_TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    SanctionAction.CORRECT: (frozenset({SanctionStatus.LISTED, SanctionStatus.REPAIR_REQUESTED}), None),
    SanctionAction.REQUEST_REPAIR: (frozenset({SanctionStatus.LISTED}), SanctionStatus.REPAIR_REQUESTED),
    SanctionAction.APPROVE_REPAIR: (frozenset({SanctionStatus.REPAIR_REQUESTED}), SanctionStatus.REMOVED),
    SanctionAction.REJECT_REPAIR: (frozenset({SanctionStatus.REPAIR_REQUESTED}), SanctionStatus.LISTED),
}

#: Who may take each action: ``department`` = the listing department's staff (its system by token,
#: or the scheduler), ``reviewer`` = its regulators and admins, ``entity`` = the listed
#: organization's own login or its agent.
SANCTION_ACTORS: dict[str, frozenset[str]] = {
    SanctionAction.LIST: frozenset({"department"}),
    SanctionAction.CORRECT: frozenset({"department"}),
    SanctionAction.REQUEST_REPAIR: frozenset({"department", "entity"}),
    SanctionAction.APPROVE_REPAIR: frozenset({"reviewer"}),
    SanctionAction.REJECT_REPAIR: frozenset({"reviewer"}),
}


def sanction_allowed(status: str, action: str) -> bool:
    """True when ``action`` may be taken on a listing in ``status``."""
    transition = SANCTION_TRANSITIONS.get(action)
    return transition is not None and status in transition[0]


def sanction_target(status: str, action: str) -> str:
    """The status after ``action`` (the same status for a correction); ValueError when not allowed."""
    if not sanction_allowed(status, action):
        raise ValueError(f"{action} is not allowed in status {status}")
    return SANCTION_TRANSITIONS[action][1] or status
