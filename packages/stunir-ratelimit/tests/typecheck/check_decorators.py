"""Typing tests (checked by mypy, never run): the decorators keep the wrapped signatures."""

from __future__ import annotations

from typing_extensions import assert_type

from stunir.ratelimit import (
    Decision,
    Limiter,
    LimiterStats,
    RedisStore,
    SlidingWindow,
    TokenBucket,
    rate_limit,
    throttle,
)


@rate_limit(rate=10, capacity=50)
def api_call(user: str, *, retries: int = 3) -> list[int]:
    return [retries]


@rate_limit(rate=10, key=lambda user, *args, **kwargs: user, block=True, timeout=1.0)
async def fetch(user: str, page: int) -> bytes:
    return b""


@throttle(rate=2)
def poll(url: str) -> bool:
    return True


class Service:
    @rate_limit(rate=1, key=lambda self, *args: id(self))
    def call(self, x: float) -> float:
        return x


async def use() -> None:
    assert_type(api_call("alice", retries=1), list[int])
    assert_type(await fetch("bob", 2), bytes)
    assert_type(poll("http://x"), bool)
    assert_type(Service().call(1.5), float)
    limiter = TokenBucket(rate=100, capacity=200)
    assert_type(limiter.acquire(), bool)
    assert_type(limiter.try_acquire(tokens=2, key="k"), Decision)
    assert_type(await limiter.wait_async(timeout=1), bool)
    assert_type(limiter.stats(), LimiterStats)
    assert_type(limiter.peek(key=("tenant", 1)), Decision)
    assert_type(limiter.admit(3), float)
    assert_type(await limiter.try_acquire_async(), Decision)
    assert_type(limiter.try_acquire().headers(), dict[str, str])
    with limiter as entered:
        assert_type(entered, Limiter)
    async with limiter as entered_async:
        assert_type(entered_async, Limiter)
    window = SlidingWindow(limit=10, window=1.5, store=RedisStore(async_client=None))
    assert_type(window.wait(timeout=None), bool)
    api_call(1)  # type: ignore[arg-type]
    api_call("alice", retry=1)  # type: ignore[call-arg]
    TokenBucket(rate=1, capacity=1, clock="monotonic")  # type: ignore[arg-type]
