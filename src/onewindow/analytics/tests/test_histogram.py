"""The fixed-bucket histograms that let medians and p90s merge over any span of rollup rows."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from onewindow.analytics import histogram

durations = st.lists(st.integers(min_value=0, max_value=400 * 86400), max_size=40)


def test_buckets_and_quantiles_of_known_durations() -> None:
    hist = histogram.of([0, 10, 20, 45, 3600])
    assert hist == [2, 1, 1] + [0] * 12 + [1]
    assert histogram.count(hist) == 5
    assert histogram.quantile(hist, 0.5) == 22.5  # rank 2.5 falls half-way into [15, 30)
    assert histogram.quantile([], 0.5) is None
    assert histogram.quantile(histogram.of([400 * 86400]), 0.9) == 365 * 86400  # the open last bucket


@given(st.lists(st.tuples(durations, st.integers(min_value=0, max_value=5)), max_size=8))
def test_merge_counted_equals_merging_each_row(rows: list[tuple[list[int], int]]) -> None:
    """A SQL GROUP BY over the histogram column gives (histogram, rows holding it): merging those
    weighted equals merging every row one by one."""
    hists = [(histogram.of(values), times) for values, times in rows]
    one_by_one = histogram.merge(*[hist for hist, times in hists for _ in range(times)])
    assert histogram.merge_counted(hists) == one_by_one
