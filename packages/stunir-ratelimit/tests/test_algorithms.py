"""Properties every algorithm shares: retry_after is exact, and bad requests are refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stunir.ratelimit import (
    ApproximateSlidingWindow,
    FixedWindow,
    InvalidLimitError,
    LeakyBucket,
    Limiter,
    SlidingWindow,
    TokenBucket,
)

FACTORIES = {
    "token_bucket": lambda clock: TokenBucket(rate=5, capacity=4, clock=clock),
    "leaky_bucket": lambda clock: LeakyBucket(rate=5, capacity=4, clock=clock),
    "leaky_queue": lambda clock: LeakyBucket(rate=5, capacity=4, shaping=True, clock=clock),
    "fixed_window": lambda clock: FixedWindow(limit=4, window=1, clock=clock),
    "sliding_window": lambda clock: SlidingWindow(limit=4, window=1, clock=clock),
    "approximate": lambda clock: ApproximateSlidingWindow(limit=4, window=1, clock=clock),
}

ops = st.lists(
    st.tuples(st.integers(min_value=0, max_value=700_000), st.integers(min_value=1, max_value=4)),
    max_size=30,
)


def replayed(kind: str, history: list[tuple[int, int]]) -> tuple[Limiter, list[int]]:
    """A limiter on a virtual clock (whole microseconds in ``ticks[0]``) after ``history``."""
    ticks = [0]
    limiter: Limiter = FACTORIES[kind](lambda: ticks[0] / 1e6)
    for gap, tokens in history:
        ticks[0] += gap
        limiter.acquire(tokens)
    return limiter, ticks


@pytest.mark.parametrize("kind", FACTORIES)
@given(history=ops, cost=st.integers(min_value=1, max_value=4))
def test_a_retry_at_retry_after_succeeds_and_a_microsecond_earlier_fails(
    kind: str, history: list[tuple[int, int]], cost: int
) -> None:
    limiter, ticks = replayed(kind, history)
    refusal = limiter.try_acquire(cost)
    if refusal.allowed:
        return
    wait = round(refusal.retry_after * 1e6)
    assert wait >= 1
    ticks[0] += wait - 1
    assert not limiter.try_acquire(cost).allowed
    ticks[0] += 1
    assert limiter.try_acquire(cost).allowed


@pytest.mark.parametrize("kind", FACTORIES)
def test_decisions_report_remaining_and_reset(kind: str, clock) -> None:
    limiter: Limiter = FACTORIES[kind](clock)
    first = limiter.try_acquire()
    assert first.allowed
    assert first.limit == 4
    assert first.retry_after == 0
    assert 0 <= first.remaining <= 3
    assert first.reset_after > 0


@pytest.mark.parametrize("kind", FACTORIES)
@pytest.mark.parametrize("tokens", [0, -1, 5, 1.5, "1", None, True])
def test_a_request_that_could_never_pass_is_refused_clearly(kind: str, tokens, clock) -> None:
    limiter: Limiter = FACTORIES[kind](clock)
    with pytest.raises(InvalidLimitError, match="tokens"):
        limiter.acquire(tokens)
    with pytest.raises(InvalidLimitError, match="tokens"):
        limiter.try_acquire(tokens)
    with pytest.raises(InvalidLimitError, match="tokens"):
        limiter.wait(tokens)


@pytest.mark.parametrize("kind", FACTORIES)
def test_keys_have_separate_allowances(kind: str, clock) -> None:
    limiter: Limiter = FACTORIES[kind](clock)
    assert limiter.acquire(4, key="alice")
    assert not limiter.acquire(key="alice")
    assert limiter.acquire(key="bob")
    assert limiter.acquire(key=("tenant", 7))


@pytest.mark.parametrize("kind", FACTORIES)
def test_idle_keys_are_forgotten_so_memory_stays_bounded(kind: str, clock) -> None:
    limiter: Limiter = FACTORIES[kind](clock)
    for round_ in range(5):
        for user in range(3000):
            limiter.acquire(key=(round_, user))
        clock.advance(10)  # every key of this round is idle now
    assert limiter.stats().keys <= 6000
    assert limiter.stats().allowed == 15000


@pytest.mark.parametrize("kind", FACTORIES)
def test_reset_forgets_a_key(kind: str, clock) -> None:
    limiter: Limiter = FACTORIES[kind](clock)
    limiter.acquire(4, key="k")
    assert not limiter.acquire(key="k")
    limiter.reset("k")
    assert limiter.acquire(4, key="k")


@pytest.mark.parametrize("kind", FACTORIES)
@given(history=ops, cost=st.integers(min_value=1, max_value=4))
def test_peek_answers_like_try_acquire_and_takes_nothing(
    kind: str, history: list[tuple[int, int]], cost: int
) -> None:
    limiter, _ = replayed(kind, history)
    before = limiter.stats()
    peeked = limiter.peek(cost)
    assert limiter.peek(cost) == peeked  # nothing was taken
    assert limiter.stats() == before  # and nothing counted
    assert limiter.try_acquire(cost) == peeked
