"""The transition table, pair by pair, against an expected table written out by hand (not derived)."""

from __future__ import annotations

import pytest

from onewindow.cases import workflow
from onewindow.cases.choices import CaseAction, CaseStatus

OPEN = ["submitted", "pre_review", "correction", "accepted", "forwarded", "under_review", "suspended"]
EXPECTED: dict[str, tuple[list[str], str | None]] = {
    "submit": (["draft"], "submitted"),
    "start_pre_review": (["submitted"], "pre_review"),
    "request_correction": (["submitted", "pre_review"], "correction"),
    "resubmit": (["correction"], "submitted"),
    "accept": (["submitted", "pre_review"], "accepted"),
    "deem_accepted": (["submitted", "pre_review"], "accepted"),
    "refuse": (["submitted", "pre_review", "correction"], "not_accepted"),
    "forward": (["accepted"], "forwarded"),
    "start_review": (["accepted", "forwarded"], "under_review"),
    "suspend": (["under_review"], "suspended"),
    "resume": (["suspended"], "under_review"),
    "extend": (["under_review", "suspended"], None),
    "approve": (["under_review"], "approved"),
    "reject": (["under_review"], "rejected"),
    "deliver": (["approved", "rejected"], "delivered"),
    "withdraw": (["draft", *OPEN], "withdrawn"),
    "reassign": ([*OPEN, "approved", "rejected"], None),
}


def test_the_table_covers_every_workflow_action() -> None:
    assert set(workflow.TRANSITIONS) == set(EXPECTED)
    assert set(workflow.TRANSITIONS) == set(CaseAction.values) - {"create", "rate", "deadline_recalculated"}
    assert set(workflow.ACTORS) == set(EXPECTED)


@pytest.mark.parametrize("status", CaseStatus.values)
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_every_status_action_pair(status: str, action: str) -> None:
    sources, target = EXPECTED[action]
    if status in sources:
        assert workflow.allowed(status, action)
        assert workflow.target(status, action) == (target or status)
    else:
        assert not workflow.allowed(status, action)
        with pytest.raises(workflow.IllegalTransition):
            workflow.target(status, action)


def test_final_statuses_allow_nothing() -> None:
    for status in ("delivered", "not_accepted", "withdrawn"):
        assert workflow.actions_from(status) == []


def test_actors_of_each_action() -> None:
    assert workflow.ACTORS["deem_accepted"] == {"system"}
    assert workflow.ACTORS["withdraw"] == {"applicant"}
    assert workflow.ACTORS["extend"] == {"head"}
    assert workflow.ACTORS["approve"] == {"handler"}
    assert workflow.ACTORS["accept"] == {"receiver"}
    assert workflow.ACTORS["submit"] == {"applicant", "receiver"}
