"""The interface every limiter shares: waiting, statistics, threads, arguments."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Iterator

import pytest

from stunir.ratelimit import (
    ApproximateSlidingWindow,
    FixedWindow,
    InvalidLimitError,
    LeakyBucket,
    LimiterStats,
    SlidingWindow,
    TokenBucket,
)

LIMITERS = {
    "token_bucket": lambda **kw: TokenBucket(rate=0.001, capacity=1000, **kw),
    "fixed_window": lambda **kw: FixedWindow(limit=1000, window=3600, **kw),
    "sliding_window": lambda **kw: SlidingWindow(limit=1000, window=3600, **kw),
}


@pytest.fixture
def eager_thread_switching() -> Iterator[None]:
    """Switch threads every microsecond so that races, if any, show up."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("eager_thread_switching")
@pytest.mark.parametrize("kind", LIMITERS)
def test_eight_threads_offering_three_times_the_limit_get_exactly_the_limit(
    kind: str, clock
) -> None:
    limiter = LIMITERS[kind](clock=clock)
    admitted = [0] * 8
    start = threading.Barrier(8)

    def offer(index: int) -> None:
        start.wait()
        for _ in range(375):  # 8 x 375 = 3000 = 3 x the limit
            if limiter.acquire(key="shared"):
                admitted[index] += 1

    threads = [threading.Thread(target=offer, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(admitted) == 1000
    stats = limiter.stats(key="shared")
    assert (stats.allowed, stats.denied) == (1000, 2000)


def test_wait_sleeps_exactly_until_admitted(clock) -> None:
    bucket = TokenBucket(rate=2, capacity=1, **clock.options())
    assert bucket.wait()
    assert bucket.wait()
    assert clock.slept == [0.5]
    assert bucket.stats().waited == 1
    assert bucket.stats().wait_seconds == pytest.approx(0.5)


def test_wait_gives_up_at_once_when_the_timeout_is_too_short(clock) -> None:
    window = FixedWindow(limit=1, window=10, **clock.options())
    assert window.wait()
    assert not window.wait(timeout=5)
    assert clock.slept == []  # refused without sleeping for nothing
    assert window.wait(timeout=10)
    assert clock.slept == [10]


def test_a_waiting_window_call_polls_until_its_window(clock) -> None:
    window = SlidingWindow(limit=2, window=1, **clock.options())
    window.acquire()
    clock.advance(0.25)
    window.acquire()
    assert window.wait(tokens=2)
    assert clock.now == pytest.approx(1001.25)
    stats = window.stats()
    assert (stats.allowed, stats.denied, stats.waited) == (3, 0, 1)


def test_timeout_zero_is_a_non_blocking_wait(clock) -> None:
    bucket = TokenBucket(rate=1, capacity=1, **clock.options())
    assert bucket.wait(timeout=0)
    assert not bucket.wait(timeout=0)
    assert clock.slept == []


@pytest.mark.parametrize("timeout", [-1, float("nan"), "1", True])
def test_bad_timeouts_are_refused(timeout: object) -> None:
    with pytest.raises(InvalidLimitError, match="timeout"):
        TokenBucket(rate=1).wait(timeout=timeout)  # type: ignore[arg-type]


def test_stats_is_a_small_immutable_record(clock) -> None:
    bucket = TokenBucket(rate=1, capacity=3, clock=clock)
    bucket.acquire()
    bucket.acquire(key="other")
    stats = bucket.stats()
    assert stats == LimiterStats(allowed=2, denied=0, waited=0, wait_seconds=0.0, keys=2, level=2)
    with pytest.raises(AttributeError):
        stats.allowed = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        (0, "rate must be finite and above 0"),
        (-5, "rate must be finite and above 0"),
        (float("nan"), "rate must be finite and above 0"),
        (float("inf"), "rate must be finite and above 0"),
        (2_000_000, "at most 1000000 per second"),
        ("10", "rate must be a number"),
        (None, "rate must be a number"),
        (True, "rate must be a number"),
    ],
)
def test_bad_rates_are_refused_with_the_value_named(rate: object, message: str) -> None:
    with pytest.raises(InvalidLimitError, match=message) as caught:
        TokenBucket(rate=rate)  # type: ignore[arg-type]
    assert repr(rate) in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("capacity", [0, -1, 0.5, 2.5, float("nan"), "5", True])
def test_capacities_below_one_request_or_not_whole_are_refused(capacity: object) -> None:
    with pytest.raises(InvalidLimitError, match="capacity"):
        TokenBucket(rate=1, capacity=capacity)  # type: ignore[arg-type]


def test_a_name_must_be_a_non_empty_string() -> None:
    with pytest.raises(TypeError, match="name"):
        TokenBucket(rate=1, name="")
    assert TokenBucket(rate=1, capacity=2).name == "token_bucket:1000000:2:0"
    assert repr(TokenBucket(rate=1, name="api")) == "TokenBucket(name='api', limit=1)"


def test_admit_answers_zero_or_the_retry_after(clock) -> None:
    bucket = TokenBucket(rate=4, capacity=1, clock=clock)
    assert bucket.admit() == 0.0
    assert bucket.admit() == pytest.approx(0.25)
    clock.advance(0.25)
    assert bucket.admit() == 0.0


def test_async_admit_and_wait_count_in_stats(clock) -> None:
    bucket = TokenBucket(rate=1, capacity=1, **clock.options())

    async def main() -> tuple[float, float, bool, bool]:
        return (
            await bucket.admit_async(),
            await bucket.admit_async(),
            await bucket.wait_async(timeout=0.5),
            await bucket.wait_async(),
        )

    assert asyncio.run(main()) == (0.0, 1.0, False, True)
    stats = bucket.stats()
    assert (stats.allowed, stats.denied, stats.waited) == (2, 2, 1)
    assert stats.wait_seconds == pytest.approx(1.0)


def test_spans_too_long_to_compute_exactly_are_refused() -> None:
    with pytest.raises(InvalidLimitError, match="at most ten years"):
        TokenBucket(rate=0.001, capacity=1_000_000)
    with pytest.raises(InvalidLimitError, match="at most ten years"):
        LeakyBucket(rate=1e-6, capacity=400)
    with pytest.raises(InvalidLimitError, match="at most 2\\*\\*51"):
        ApproximateSlidingWindow(10**6, 86400)
    assert ApproximateSlidingWindow(10_000, 86400).limit == 10_000


def test_a_limiter_is_a_context_manager_that_waits_for_a_token(clock) -> None:
    bucket = TokenBucket(rate=2, capacity=1, **clock.options())
    with bucket:
        pass
    with bucket as entered:
        assert entered is bucket

    async def main() -> None:
        async with bucket:
            pass

    asyncio.run(main())
    assert [round(s, 6) for s in clock.slept] == [0.5, 0.5]
    assert bucket.stats().allowed == 3


def test_reset_async_forgets_a_key_in_memory(clock) -> None:
    window = FixedWindow(1, 60, clock=clock)
    window.acquire(key="k")
    asyncio.run(window.reset_async("k"))
    assert window.acquire(key="k")


def test_threads_waiting_on_a_window_are_served_first_come_first_served(clock) -> None:
    entered, gate = threading.Event(), threading.Event()
    order: list[str] = []
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        entered.set()
        gate.wait()
        clock.advance(seconds)

    window = FixedWindow(limit=10, window=1, clock=clock, sleep=sleep)
    window.acquire(10)  # full: everyone has to wait for the next window

    def request(name: str, tokens: int) -> None:
        assert window.wait(tokens)
        with lock:
            order.append(name)

    big = threading.Thread(target=request, args=("big", 10))
    big.start()
    assert entered.wait(timeout=10)  # the big request is at the head, sleeping
    smalls = [threading.Thread(target=request, args=(f"small{i}", 1)) for i in range(5)]
    for thread in smalls:
        thread.start()
    gate.set()
    for thread in [big, *smalls]:
        thread.join()
    assert order[0] == "big"  # later small requests never overtake it
    assert sorted(order[1:]) == [f"small{i}" for i in range(5)]
    assert window.stats().allowed == 7  # decisions: the prefill, the big one, five small


def test_a_thread_behind_a_slow_head_times_out_in_the_queue(clock) -> None:
    entered, gate = threading.Event(), threading.Event()

    def sleep(seconds: float) -> None:
        entered.set()
        gate.wait()
        clock.advance(seconds)

    window = SlidingWindow(limit=1, window=1, clock=clock, sleep=sleep)
    window.acquire()
    head = threading.Thread(target=window.wait)
    head.start()
    assert entered.wait(timeout=10)
    assert not window.wait(timeout=0.01)  # the head holds the turn: gives up in the queue
    gate.set()
    head.join()
    stats = window.stats()
    assert (stats.allowed, stats.denied) == (2, 1)


def test_an_interrupted_waiting_thread_leaves_the_queue(clock) -> None:
    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    window = FixedWindow(limit=1, window=1, clock=clock, sleep=interrupted)
    window.acquire()
    with pytest.raises(KeyboardInterrupt):
        window.wait()  # never swallowed
    clock.advance(1)
    assert window.wait(timeout=0)  # the queue was not left blocked by the interrupted call
