"""The item-proposal transition table (workflow.py): who may take which step from which status."""

from __future__ import annotations

import pytest

from ..choices import ProposalEventAction, ProposalStatus
from ..workflow import ACTORS, TRANSITIONS, can, target

EXPECTED = {
    ("propose", "proposed"): False,
    ("accept", "proposed"): True, ("accept", "accepted"): False, ("accept", "rejected"): False,
    ("accept", "cancelled"): False,
    ("reject", "proposed"): True, ("reject", "accepted"): False, ("reject", "rejected"): False,
    ("reject", "cancelled"): False,
    ("cancel", "proposed"): True, ("cancel", "accepted"): False, ("cancel", "rejected"): False,
    ("cancel", "cancelled"): False,
}


@pytest.mark.parametrize(("action", "status"), sorted(EXPECTED))
def test_transition_table(action: str, status: str) -> None:
    assert can(action, status) is EXPECTED[(action, status)]


def test_targets_and_actors() -> None:
    assert {a: target(a) for a in TRANSITIONS} == {
        "propose": "proposed", "accept": "accepted", "reject": "rejected", "cancel": "cancelled"}
    assert {a: set(k) for a, k in ACTORS.items()} == {
        "propose": {"manager"}, "accept": {"department"}, "reject": {"department"}, "cancel": {"proposer"}}
    assert set(TRANSITIONS) == set(ProposalEventAction.values)
    assert {t.target for t in TRANSITIONS.values()} == set(ProposalStatus.values)
    assert not can("delete", "proposed")
