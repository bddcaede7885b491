"""SlidingWindow is exact against a brute-force log; the approximate variant matches its formula."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stunir.ratelimit import ApproximateSlidingWindow, SlidingWindow

WINDOW_TICKS = 1_000_000
limits = st.integers(min_value=1, max_value=12)
gaps = st.integers(min_value=0, max_value=1_500_000)


@given(limit=limits, data=st.data())
def test_exact_window_decides_like_a_brute_force_log_and_never_exceeds_limit(
    limit: int, data: st.DataObject
) -> None:
    ticks = [0]
    window = SlidingWindow(limit, window=1, clock=lambda: ticks[0] / 1e6)
    admitted: list[tuple[int, int]] = []
    costs = st.integers(min_value=1, max_value=limit)
    for gap, cost in data.draw(st.lists(st.tuples(gaps, costs), max_size=50)):
        ticks[0] += gap
        now = ticks[0]
        in_window = sum(c for t, c in admitted if t > now - WINDOW_TICKS)
        expected = in_window + cost <= limit
        assert window.acquire(cost) == expected
        if expected:
            admitted.append((now, cost))
    for end, _ in admitted:  # every trailing window, ending at every admission
        assert sum(c for t, c in admitted if end - WINDOW_TICKS < t <= end) <= limit


@given(limit=limits, data=st.data())
def test_approximate_window_decides_by_its_weighted_formula(
    limit: int, data: st.DataObject
) -> None:
    ticks = [0]
    window = ApproximateSlidingWindow(limit, window=1, clock=lambda: ticks[0] / 1e6)
    counts: dict[int, int] = {}
    costs = st.integers(min_value=1, max_value=limit)
    for gap, cost in data.draw(st.lists(st.tuples(gaps, costs), max_size=50)):
        ticks[0] += gap
        index, elapsed = divmod(ticks[0], WINDOW_TICKS)
        weight = Fraction(WINDOW_TICKS - elapsed, WINDOW_TICKS)
        estimate = counts.get(index - 1, 0) * weight + counts.get(index, 0)
        expected = estimate + cost <= limit
        assert window.acquire(cost) == expected
        if expected:
            counts[index] = counts.get(index, 0) + cost


def test_exact_window_refuses_a_burst_across_a_window_boundary(clock) -> None:
    window = SlidingWindow(limit=10, window=60, clock=clock)
    clock.advance(59)
    assert sum(window.acquire() for _ in range(10)) == 10
    clock.advance(2)  # a fixed window would have reset here
    assert not window.acquire()
    clock.advance(57.999999)
    assert not window.acquire()
    clock.advance(0.000001)
    assert sum(window.acquire() for _ in range(20)) == 10


def test_stats_level_counts_requests_in_the_trailing_window(clock) -> None:
    window = SlidingWindow(limit=10, window=1, clock=clock)
    window.acquire(3)
    clock.advance(0.5)
    window.acquire(2)
    assert window.stats().level == 5
    clock.advance(0.5)
    assert window.stats().level == 2


@pytest.mark.parametrize("window", [0, -1, float("nan"), float("inf"), "1", None])
def test_bad_windows_are_refused(window: object) -> None:
    with pytest.raises(ValueError, match="window"):
        SlidingWindow(limit=1, window=window)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="window"):
        ApproximateSlidingWindow(limit=1, window=window)  # type: ignore[arg-type]
