"""LeakyBucket: as a meter it is a token bucket; as a queue it spaces calls out evenly."""

from __future__ import annotations

import threading

from hypothesis import given
from hypothesis import strategies as st

from stunir.ratelimit import LeakyBucket, TokenBucket


@given(
    steps=st.lists(
        st.tuples(st.integers(min_value=0, max_value=900_000), st.integers(1, 5)), max_size=40
    )
)
def test_the_meter_decides_exactly_like_a_token_bucket(steps: list[tuple[int, int]]) -> None:
    ticks = [0]
    leaky = LeakyBucket(rate=4, capacity=5, clock=lambda: ticks[0] / 1e6)
    bucket = TokenBucket(rate=4, capacity=5, clock=lambda: ticks[0] / 1e6)
    for gap, cost in steps:
        ticks[0] += gap
        assert leaky.try_acquire(cost) == bucket.try_acquire(cost)


def test_the_queue_never_bursts(clock) -> None:
    queue = LeakyBucket(rate=10, capacity=5, shaping=True, clock=clock)
    assert queue.acquire()
    assert not queue.acquire()
    clock.advance(0.1)
    assert queue.acquire()


def test_waiters_on_the_queue_leave_one_interval_apart(clock) -> None:
    queue = LeakyBucket(rate=10, capacity=3, shaping=True, **clock.options())
    departures = []
    for _ in range(3):
        start = clock.now
        assert queue.wait()
        departures.append(round(clock.now - start, 6))
    assert departures == [0.0, 0.1, 0.1]


def test_a_full_queue_refuses_at_once_within_the_timeout() -> None:
    queue = LeakyBucket(rate=1, capacity=2, shaping=True)
    assert queue.acquire()  # in service: the next departure is one second away
    booked = queue.try_acquire()
    assert not booked.allowed
    assert not queue.wait(timeout=0.5)  # the slot is 1 s away: refused without sleeping
    assert queue.stats().denied == 2


def test_threads_waiting_on_the_queue_get_distinct_slots(clock) -> None:
    lock = threading.Lock()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        with lock:
            slept.append(round(seconds, 6))

    queue = LeakyBucket(rate=100, capacity=8, shaping=True, clock=clock, sleep=sleep)
    threads = [threading.Thread(target=queue.wait) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(slept) == [round(0.01 * i, 6) for i in range(1, 8)]
