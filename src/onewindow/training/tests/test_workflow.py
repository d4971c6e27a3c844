"""The session workflow table (pure)."""

from __future__ import annotations

import pytest

from onewindow.training import workflow
from onewindow.training.choices import SessionAction as A
from onewindow.training.choices import SessionStatus as S

EXPECTED = {
    (A.HOLD, S.PLANNED): S.HELD,
    (A.RECORD, S.HELD): S.RECORDED,
    (A.RECORD, S.RECORDED): S.RECORDED,
    (A.CANCEL, S.PLANNED): S.CANCELLED,
}


@pytest.mark.parametrize("action", [A.HOLD, A.RECORD, A.CANCEL, A.PLAN])
@pytest.mark.parametrize("status", list(S))
def test_transition_table(action: str, status: str) -> None:
    allowed = (action, status) in EXPECTED
    assert workflow.can(action, status) is allowed
    if allowed:
        assert workflow.target(action) == EXPECTED[(action, status)]


def test_only_the_manager_acts() -> None:
    assert {A.HOLD: {"manager"}, A.RECORD: {"manager"}, A.CANCEL: {"manager"}} == workflow.ACTORS
