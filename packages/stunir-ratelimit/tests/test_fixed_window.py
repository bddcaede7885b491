"""FixedWindow counts requests per aligned window."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stunir.ratelimit import FixedWindow

WINDOW_TICKS = 250_000


@given(limit=st.integers(min_value=1, max_value=10), data=st.data())
def test_decides_like_counting_per_aligned_window(limit: int, data: st.DataObject) -> None:
    ticks = [0]
    window = FixedWindow(limit, window=0.25, clock=lambda: ticks[0] / 1e6)
    counts: dict[int, int] = {}
    steps = st.tuples(
        st.integers(min_value=0, max_value=400_000), st.integers(min_value=1, max_value=limit)
    )
    for gap, cost in data.draw(st.lists(steps, max_size=50)):
        ticks[0] += gap
        index = ticks[0] // WINDOW_TICKS
        expected = counts.get(index, 0) + cost <= limit
        assert window.acquire(cost) == expected
        if expected:
            counts[index] = counts.get(index, 0) + cost


def test_a_refusal_waits_for_the_next_window(clock) -> None:
    clock.now = 100.25
    window = FixedWindow(limit=2, window=1, clock=clock)
    assert window.acquire(2)
    refusal = window.try_acquire()
    assert not refusal.allowed
    assert refusal.retry_after == pytest.approx(0.75)
    assert refusal.reset_after == pytest.approx(0.75)
    assert refusal.remaining == 0


@pytest.mark.parametrize("limit", [0, -3, 1.5, float("nan"), True, "10"])
def test_bad_limits_are_refused(limit: object) -> None:
    with pytest.raises(ValueError, match="limit must be"):
        FixedWindow(limit=limit, window=1)  # type: ignore[arg-type]
