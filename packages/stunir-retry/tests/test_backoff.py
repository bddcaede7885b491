import math
import random
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stunir.retry import (
    ConstantBackoff,
    DecorrelatedJitterBackoff,
    DecorrelatedJitterV2Backoff,
    ExponentialBackoff,
    FibonacciBackoff,
    InvalidArgumentError,
    Jitter,
    LinearBackoff,
)

HUGE = st.integers(min_value=1, max_value=10**12)


def first(backoff, n, first_attempt=1):
    delays = backoff.delays(first_attempt)
    return [next(delays) for _ in range(n)]


def test_exponential_doubles_from_base_until_the_cap() -> None:
    backoff = ExponentialBackoff(base=1.0, max_delay=10.0, jitter=Jitter.NONE)
    assert first(backoff, 6) == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_exponential_factor_is_honoured() -> None:
    backoff = ExponentialBackoff(base=0.5, factor=3, max_delay=100, jitter="none")
    assert first(backoff, 4) == [0.5, 1.5, 4.5, 13.5]


def test_linear_grows_by_increment_until_the_cap() -> None:
    backoff = LinearBackoff(base=1.0, increment=2.0, max_delay=6.0, jitter="none")
    assert first(backoff, 5) == [1.0, 3.0, 5.0, 6.0, 6.0]


def test_linear_with_zero_increment_is_constant() -> None:
    assert first(LinearBackoff(base=2, increment=0, jitter="none"), 3) == [2.0, 2.0, 2.0]


def test_fibonacci_follows_the_sequence_until_the_cap() -> None:
    backoff = FibonacciBackoff(base=1.0, max_delay=10.0, jitter="none")
    assert first(backoff, 8) == [1.0, 1.0, 2.0, 3.0, 5.0, 8.0, 10.0, 10.0]


def test_constant_is_constant_and_unjittered_by_default() -> None:
    assert first(ConstantBackoff(0.25), 3) == [0.25, 0.25, 0.25]


def test_full_jitter_spans_zero_to_the_delay() -> None:
    values = iter([0.0, 0.5, 0.999])
    backoff = ExponentialBackoff(base=4, max_delay=4, jitter="full", rng=lambda: next(values))
    assert first(backoff, 3) == pytest.approx([0.0, 2.0, 3.996])


def test_equal_jitter_spans_half_the_delay_to_the_delay() -> None:
    values = iter([0.0, 0.5])
    backoff = ExponentialBackoff(base=4, max_delay=4, jitter="equal", rng=lambda: next(values))
    assert first(backoff, 2) == [2.0, 3.0]


def test_the_random_source_makes_sequences_reproducible() -> None:
    def make():
        return ExponentialBackoff(base=1, max_delay=60, jitter="full", rng=random.Random(7).random)

    assert first(make(), 10) == first(make(), 10)


@pytest.mark.parametrize("jitter", [Jitter.FULL, Jitter.EQUAL])
def test_jitter_is_applied_after_the_cap_so_capped_clients_spread(jitter: Jitter) -> None:
    backoff = ExponentialBackoff(base=1, max_delay=8, jitter=jitter, rng=random.Random(1).random)
    at_cap = [backoff.delay(50) for _ in range(200)]
    assert max(at_cap) <= 8
    assert len(set(at_cap)) > 150
    assert max(at_cap) - min(at_cap) > 3


@given(attempt=HUGE)
def test_curves_never_overflow_and_stay_within_the_bounds(attempt: int) -> None:
    for backoff in (
        ExponentialBackoff(base=0.1, max_delay=30, jitter="none"),
        ExponentialBackoff(base=0.1, factor=1.0001, max_delay=30, jitter="full"),
        LinearBackoff(base=0.1, increment=0.5, max_delay=30, jitter="equal"),
        FibonacciBackoff(base=0.1, max_delay=30, jitter="none"),
        ConstantBackoff(3.0, jitter="full"),
    ):
        delay = backoff.delay(attempt)
        assert 0 <= delay <= 30
        assert math.isfinite(delay)


@given(attempt=HUGE, seed=st.integers(0, 2**32))
def test_decorrelated_strategies_stay_bounded_from_any_attempt(attempt: int, seed: int) -> None:
    rng = random.Random(seed).random
    for backoff in (
        DecorrelatedJitterBackoff(base=0.5, max_delay=20, rng=rng),
        DecorrelatedJitterV2Backoff(median_first_delay=0.5, max_delay=20, rng=rng),
    ):
        for delay in first(backoff, 5, first_attempt=attempt):
            assert 0 < delay <= 20
            assert math.isfinite(delay)


def test_a_millionth_attempt_costs_no_more_than_the_first() -> None:
    backoff = ExponentialBackoff(base=1, max_delay=60, jitter="none")
    assert backoff.delay(1_000_000) == 60
    assert backoff.delay(10**100) == 60
    assert FibonacciBackoff(jitter="none").delay(10**100) == 30
    assert LinearBackoff(jitter="none").delay(10**400) == 30


def test_decorrelated_jitter_is_clamped_to_base_and_cap() -> None:
    backoff = DecorrelatedJitterBackoff(base=1, max_delay=5, rng=random.Random(3).random)
    delays = first(backoff, 500)
    assert min(delays) >= 1
    assert max(delays) <= 5
    assert len({round(d, 6) for d in delays[50:]}) > 300  # still spread at the cap


def test_decorrelated_jitter_extremes_of_the_random_source() -> None:
    assert first(DecorrelatedJitterBackoff(base=1, max_delay=5, rng=lambda: 0.0), 3) == [1, 1, 1]
    top = first(DecorrelatedJitterBackoff(base=1, max_delay=50, rng=lambda: 1.0), 4)
    assert top == [3, 9, 27, 50]


def test_v2_median_of_the_first_delay_is_near_the_setting() -> None:
    backoff = DecorrelatedJitterV2Backoff(
        median_first_delay=1.0, max_delay=100, rng=random.Random(5).random
    )
    firsts = sorted(next(backoff.delays()) for _ in range(2001))
    assert 0.7 < firsts[1000] < 1.3


def test_v2_grows_and_spreads_at_the_cap() -> None:
    backoff = DecorrelatedJitterV2Backoff(
        median_first_delay=0.1, max_delay=4, rng=random.Random(9).random
    )
    delays = first(backoff, 200)
    assert delays[5] > delays[0]
    at_cap = delays[50:]
    assert all(2 <= d <= 4 for d in at_cap)
    assert len(set(at_cap)) > 100


def test_each_call_gets_its_own_sequence() -> None:
    backoff = ExponentialBackoff(base=1, max_delay=100, jitter="none")
    a, b = backoff.delays(), backoff.delays()
    assert [next(a), next(a), next(a)] == [1, 2, 4]
    assert next(b) == 1  # not 8: b's sequence is its own


def test_concurrent_sequences_never_share_state(in_threads) -> None:
    backoff = DecorrelatedJitterBackoff(base=1, max_delay=1000, rng=lambda: 1.0)
    results: list[list[float]] = []
    lock = threading.Lock()

    def worker() -> None:
        seq = first(backoff, 5)
        with lock:
            results.append(seq)

    in_threads(worker, 8)
    assert all(seq == [3, 9, 27, 81, 243] for seq in results)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ExponentialBackoff(base=0), "base must be a finite number > 0, got 0"),
        (lambda: ExponentialBackoff(base=-1), "base must be a finite number > 0, got -1"),
        (lambda: ExponentialBackoff(base=float("nan")), "base must be a number, got NaN"),
        (lambda: ExponentialBackoff(base=float("inf")), "finite number > 0, got inf"),
        (lambda: ExponentialBackoff(base="1"), "base must be a number, got '1'"),
        (lambda: ExponentialBackoff(base=True), "base must be a number, got True"),
        (lambda: ExponentialBackoff(factor=0.5), "factor must be >= 1"),
        (lambda: ExponentialBackoff(base=5, max_delay=1), "min and max are inverted"),
        (lambda: ExponentialBackoff(jitter="half"), "jitter must be one of"),
        (lambda: ExponentialBackoff(rng=3), "rng must be a callable"),
        (lambda: LinearBackoff(increment=-1), "increment must be a finite number >= 0"),
        (lambda: LinearBackoff(base=3, max_delay=2), "min and max are inverted"),
        (lambda: FibonacciBackoff(base=0), "base must be a finite number > 0"),
        (lambda: ConstantBackoff(0), "delay must be a finite number > 0, got 0"),
        (lambda: ConstantBackoff(-0.5), "delay must be a finite number > 0, got -0.5"),
        (lambda: DecorrelatedJitterBackoff(base=2, max_delay=1), "inverted"),
        (lambda: DecorrelatedJitterV2Backoff(median_first_delay=0), "median_first_delay"),
        (lambda: DecorrelatedJitterV2Backoff(median_first_delay=9, max_delay=1), "inverted"),
    ],
)
def test_bad_arguments_are_refused_with_the_value_named(make, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message.replace("(", r"\(")):
        make()


def test_invalid_argument_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="base"):
        ExponentialBackoff(base=-1)


def test_reprs_show_the_settings() -> None:
    assert repr(ExponentialBackoff(base=1.0, max_delay=5.0, jitter="none")) == (
        "ExponentialBackoff(base=1.0, factor=2.0, max_delay=5.0, jitter='none')"
    )
    assert "LinearBackoff" in repr(LinearBackoff())
    assert "FibonacciBackoff" in repr(FibonacciBackoff())
    assert "ConstantBackoff(1.0" in repr(ConstantBackoff())
    assert "DecorrelatedJitterBackoff" in repr(DecorrelatedJitterBackoff())
    assert "DecorrelatedJitterV2Backoff" in repr(DecorrelatedJitterV2Backoff())


@given(
    base=st.floats(min_value=0.001, max_value=10),
    spread=st.floats(min_value=1, max_value=1000),
    attempt=HUGE,
    u=st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_jitter_at_the_cap_covers_the_whole_jitter_range(
    base: float, spread: float, attempt: int, u: float
) -> None:
    cap = base * spread
    full = ExponentialBackoff(base=base, max_delay=cap, jitter="full", rng=lambda: u)
    equal = ExponentialBackoff(base=base, max_delay=cap, jitter="equal", rng=lambda: u)
    capped = full.capped_delay(attempt)
    assert capped <= cap
    if attempt > 2000:  # far past the cap: every client's curve sits at the cap
        assert capped == cap
    # The random draw scales the capped value: clients at the cap spread over the range.
    assert full.delay(attempt) == pytest.approx(capped * u)
    assert equal.delay(attempt) == pytest.approx(capped / 2 + capped / 2 * u)


@given(seed=st.integers(0, 2**32), attempt=HUGE)
def test_decorrelated_jitter_at_the_cap_still_spreads(seed: int, attempt: int) -> None:
    backoff = DecorrelatedJitterBackoff(base=1, max_delay=4, rng=random.Random(seed).random)
    delays = first(backoff, 60, first_attempt=attempt)[20:]
    assert all(1 <= d <= 4 for d in delays)
    assert max(delays) - min(delays) > 1
