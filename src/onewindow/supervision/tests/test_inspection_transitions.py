"""The pure transition tables of draw plans and inspections (issue #12: "workflow tables for plans,
inspections …"): every action from every status either leads where the table says or is refused
with :class:`IllegalTransition`; the services walk them (test_draw_plans.py, test_inspections.py)."""

from __future__ import annotations

import pytest

from onewindow.supervision import workflow
from onewindow.supervision.choices import DrawPlanAction, DrawPlanStatus, InspectionStatus

PLAN = {
    ("publish", "draft"): "published",
    ("freeze", "published"): "frozen",
    ("draw", "frozen"): "drawn",
    ("close", "drawn"): "closed",
    ("cancel", "draft"): "cancelled",
    ("cancel", "published"): "cancelled",
    ("cancel", "frozen"): "cancelled",
    ("cancel", "drawn"): "cancelled",
    ("replace", "drawn"): "drawn",
    ("publish_results", "closed"): "closed",
}
INSPECTION = {
    ("record", "scheduled"): "recorded",
    ("record", "recorded"): "recorded",
    ("close", "scheduled"): "closed",
    ("close", "recorded"): "closed",
}


@pytest.mark.parametrize("action", DrawPlanAction.values)
@pytest.mark.parametrize("status", DrawPlanStatus.values)
def test_every_plan_action_from_every_status(action: str, status: str) -> None:
    expected = PLAN.get((action, status))
    if expected is None:
        with pytest.raises(workflow.IllegalTransition):
            workflow.plan_target(status, action)
        assert action not in workflow.plan_actions_from(status)
    else:
        assert workflow.plan_target(status, action) == expected
        assert action in workflow.plan_actions_from(status)


def test_a_draw_is_never_run_again_and_a_cancelled_or_closed_plan_moves_no_further() -> None:
    assert workflow.plan_actions_from("drawn") == ["close", "cancel", "replace"]
    assert workflow.plan_actions_from("cancelled") == []
    assert workflow.plan_actions_from("closed") == ["publish_results"]
    assert set(workflow.PLAN_ACTORS) == set(workflow.PLAN_TRANSITIONS)


@pytest.mark.parametrize("action", ["record", "close", "reopen"])
@pytest.mark.parametrize("status", InspectionStatus.values)
def test_every_inspection_action_from_every_status(action: str, status: str) -> None:
    expected = INSPECTION.get((action, status))
    if expected is None:
        with pytest.raises(workflow.IllegalTransition):
            workflow.inspection_target(status, action)
    else:
        assert workflow.inspection_target(status, action) == expected
