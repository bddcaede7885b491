"""TokenBucket: GCRA decides exactly like a classic token bucket, and never exceeds its bound."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stunir.ratelimit import TokenBucket

TICK = Fraction(1, 1_000_000)

rates = st.sampled_from([0.5, 1, 3, 7, 10, 100, 333.3, 1000])
capacities = st.integers(min_value=1, max_value=20)
gaps = st.integers(min_value=0, max_value=3_000_000)  # ticks (microseconds) between requests


class ClassicBucket:
    """The textbook token bucket, in exact fractions: the oracle."""

    def __init__(self, interval: int, capacity: int) -> None:
        self.interval = interval
        self.capacity = capacity
        self.tokens = Fraction(capacity)
        self.last = 0

    def request(self, now: int, cost: int) -> bool:
        refill = Fraction(now - self.last, self.interval)
        self.tokens = min(Fraction(self.capacity), self.tokens + refill)
        self.last = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False


def interval_of(rate: float) -> int:
    return math.ceil(1_000_000 / rate)


@given(rate=rates, capacity=capacities, data=st.data())
def test_decides_exactly_like_a_classic_token_bucket(
    rate: float, capacity: int, data: st.DataObject
) -> None:
    ticks = [0]
    bucket = TokenBucket(rate, capacity, clock=lambda: ticks[0] / 1e6)
    oracle = ClassicBucket(interval_of(rate), capacity)
    costs = st.integers(min_value=1, max_value=capacity)
    for gap, cost in data.draw(st.lists(st.tuples(gaps, costs), max_size=40)):
        ticks[0] += gap
        assert bucket.acquire(cost) == oracle.request(ticks[0], cost)


@given(rate=rates, capacity=capacities, data=st.data())
def test_never_admits_more_than_capacity_plus_rate_times_the_span(
    rate: float, capacity: int, data: st.DataObject
) -> None:
    ticks = [0]
    bucket = TokenBucket(rate, capacity, clock=lambda: ticks[0] / 1e6)
    admitted: list[tuple[int, int]] = []
    costs = st.integers(min_value=1, max_value=capacity)
    for gap, cost in data.draw(st.lists(st.tuples(gaps, costs), max_size=40)):
        ticks[0] += gap
        if bucket.acquire(cost):
            admitted.append((ticks[0], cost))
    for i, (start, _) in enumerate(admitted):
        total = 0
        for end, cost in admitted[i:]:
            total += cost
            assert total <= capacity + Fraction(rate) * (end - start) * TICK


def test_a_full_bucket_admits_a_burst_of_capacity_then_refills_at_rate(clock) -> None:
    bucket = TokenBucket(rate=10, capacity=50, clock=clock)
    assert sum(bucket.acquire() for _ in range(100)) == 50
    clock.advance(0.1)
    assert bucket.acquire()
    assert not bucket.acquire()


def test_default_capacity_is_one_seconds_worth_and_at_least_one(clock) -> None:
    assert TokenBucket(rate=100, clock=clock).capacity == 100
    assert TokenBucket(rate=2.5, clock=clock).capacity == 3
    assert TokenBucket(rate=0.1, clock=clock).capacity == 1


def test_requests_take_several_tokens_at_once(clock) -> None:
    bucket = TokenBucket(rate=1, capacity=10, clock=clock)
    assert bucket.acquire(tokens=7)
    assert not bucket.acquire(tokens=4)
    assert bucket.acquire(tokens=3)
    decision = bucket.try_acquire(tokens=2)
    assert not decision.allowed
    assert decision.retry_after == pytest.approx(2.0)


def test_rate_is_rounded_to_whole_microseconds_never_faster(clock) -> None:
    bucket = TokenBucket(rate=3, capacity=1, clock=clock)  # interval 333334 µs, not 333333.3
    assert bucket.acquire()
    clock.advance(0.333333)
    assert not bucket.acquire()
    clock.advance(0.000001)
    assert bucket.acquire()
