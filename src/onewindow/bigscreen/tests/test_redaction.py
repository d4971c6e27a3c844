"""FlowKit's small-count rule on the public crowd screens (issue #16 part 3): below k, "<k"."""

from __future__ import annotations

import pytest
from django.test import override_settings

from onewindow.bigscreen import redaction
from onewindow.bigscreen.models import Area


@pytest.mark.parametrize(("value", "shown"), [(14, "<15"), (15, 15), (16, 16), (0, "<15"), (1, "<15"),
                                              (12000, 12000), (None, None)])
def test_redact_at_k_minus_one_k_k_plus_one_and_zero(value: int | None, shown: object) -> None:
    assert redaction.redact(value, 15) == shown


def test_redact_with_another_k() -> None:
    assert [redaction.redact(v, 50) for v in (0, 49, 50, 51)] == ["<50", "<50", 50, 51]


def test_k_of_zero_hides_nothing() -> None:
    assert [redaction.redact(v, 0) for v in (0, 1, 14)] == [0, 1, 14]


def test_is_hidden() -> None:
    assert [redaction.is_hidden(v, 15) for v in (None, 0, 14, 15, 16)] == [False, True, True, False, False]


def test_share_is_null_when_its_numerator_is_redacted() -> None:
    assert redaction.share(14, 100, k=15) is None
    assert redaction.share(15, 100, k=15) == 0.15
    assert redaction.share(16, 100, k=15) == 0.16
    assert redaction.share(0, 100, k=15) is None


def test_share_without_redaction_and_missing_parts() -> None:
    assert redaction.share(14, 100) == 0.14
    assert redaction.share(0, 100) == 0.0
    assert redaction.share(1, 3) == 0.3333
    assert redaction.share(None, 100) is None
    assert redaction.share(5, None) is None
    assert redaction.share(5, 0) is None


def test_threshold_is_the_areas_own_else_the_setting() -> None:
    with override_settings(BIGSCREEN_REDACTION_THRESHOLD=20):
        assert redaction.threshold_for(Area(code="a", name="a", redaction_threshold=0)) == 20
        assert redaction.threshold_for(Area(code="b", name="b", redaction_threshold=10)) == 10
    with override_settings(BIGSCREEN_REDACTION_THRESHOLD=15):
        assert redaction.threshold_for(Area(code="c", name="c")) == 15
