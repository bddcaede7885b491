"""Async twins: the same decisions, first-come first-served waiters, cancellation safety."""

from __future__ import annotations

import asyncio

import pytest

from stunir.ratelimit import FixedWindow, SlidingWindow, TokenBucket


def sleep_after(gate: asyncio.Event, clock):
    """An async sleep that first waits for ``gate``: the head of a queue stays put until then."""

    async def sleep(seconds: float) -> None:
        await gate.wait()
        clock.advance(seconds)

    return sleep


def test_async_twins_decide_like_the_sync_calls(clock) -> None:
    async def main() -> None:
        bucket = TokenBucket(rate=1, capacity=2, clock=clock)
        assert await bucket.acquire_async()
        decision = await bucket.try_acquire_async()
        assert decision.allowed
        assert decision.remaining == 0
        assert not await bucket.acquire_async()

    asyncio.run(main())


def test_a_large_waiter_is_not_starved_by_later_small_ones(clock) -> None:
    window = SlidingWindow(limit=10, window=1, **clock.options())
    order: list[str] = []

    async def request(name: str, tokens: int) -> None:
        assert await window.wait_async(tokens)
        order.append(name)

    async def main() -> None:
        window.acquire(10)  # the window is full: everyone has to wait
        big = asyncio.create_task(request("big", 10))
        await asyncio.sleep(0)
        smalls = [asyncio.create_task(request(f"small{i}", 1)) for i in range(5)]
        await asyncio.gather(big, *smalls)

    asyncio.run(main())
    assert order == ["big", "small0", "small1", "small2", "small3", "small4"]


def test_waiters_are_served_in_arrival_order(clock) -> None:
    window = FixedWindow(limit=1, window=1, **clock.options())
    order: list[int] = []

    async def request(index: int) -> None:
        await window.wait_async()
        order.append(index)

    async def main() -> None:
        tasks = []
        for index in range(8):
            tasks.append(asyncio.create_task(request(index)))
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert order == list(range(8))


def test_a_cancelled_waiter_hands_its_turn_on(clock) -> None:
    gate = asyncio.Event()
    window = FixedWindow(limit=1, window=1, clock=clock, async_sleep=sleep_after(gate, clock))

    async def main() -> list[str]:
        window.acquire()
        served: list[str] = []

        async def request(name: str) -> None:
            await window.wait_async()
            served.append(name)

        head = asyncio.create_task(request("head"))
        second = asyncio.create_task(request("second"))
        third = asyncio.create_task(request("third"))
        await asyncio.sleep(0)
        head.cancel()  # cancelled while sleeping at the head of the queue
        second.cancel()  # cancelled while waiting for its turn
        await asyncio.sleep(0)
        gate.set()
        await third
        with pytest.raises(asyncio.CancelledError):
            await head
        return served

    assert asyncio.run(main()) == ["third"]
    assert window.stats().allowed == 2


def test_a_waiter_times_out_in_the_queue(clock) -> None:
    window = FixedWindow(limit=1, window=3600, **clock.options())

    async def main() -> tuple[bool, bool]:
        window.acquire()
        head = asyncio.create_task(window.wait_async())
        await asyncio.sleep(0)
        late = await window.wait_async(timeout=0.01)
        return late, await head

    assert asyncio.run(main()) == (False, True)


def test_bucket_waiters_book_slots_in_arrival_order(clock) -> None:
    booked: list[float] = []

    async def record(seconds: float) -> None:  # time stands still: all four book at once
        booked.append(round(seconds, 6))

    bucket = TokenBucket(rate=10, capacity=1, clock=clock, async_sleep=record)

    async def main() -> None:
        await asyncio.gather(*(bucket.wait_async() for _ in range(4)))

    asyncio.run(main())
    assert booked == [0.1, 0.2, 0.3]


def test_a_waiter_behind_a_slow_head_times_out_in_the_queue(clock) -> None:
    gate = asyncio.Event()
    window = FixedWindow(limit=1, window=1, clock=clock, async_sleep=sleep_after(gate, clock))

    async def main() -> tuple[bool, bool, bool]:
        window.acquire()
        head = asyncio.create_task(window.wait_async())
        await asyncio.sleep(0)
        behind = await window.wait_async(timeout=0.01)  # the head holds the turn: gives up
        gate.set()
        third = await window.wait_async(timeout=5)  # the queue still works afterwards
        return behind, await head, third

    assert asyncio.run(main()) == (False, True, True)
    stats = window.stats()
    assert (stats.allowed, stats.denied) == (3, 1)
