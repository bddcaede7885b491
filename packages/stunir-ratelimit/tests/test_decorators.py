"""@rate_limit and @throttle on functions, methods and coroutine functions."""

from __future__ import annotations

import asyncio
import pickle
from dataclasses import dataclass

import pytest

from stunir.ratelimit import (
    FixedWindow,
    InvalidLimitError,
    RateLimitExceeded,
    SlidingWindow,
    TokenBucket,
    rate_limit,
    throttle,
)


def test_a_refused_call_raises_with_retry_after_and_does_not_run(clock) -> None:
    calls: list[int] = []

    @rate_limit(limiter=TokenBucket(rate=2, capacity=2, clock=clock, name="api"))
    def api_call(x: int) -> int:
        calls.append(x)
        return x * 2

    assert api_call(1) == 2
    assert api_call(2) == 4
    with pytest.raises(RateLimitExceeded) as caught:
        api_call(3)
    assert calls == [1, 2]
    assert caught.value.retry_after == pytest.approx(0.5)
    assert caught.value.name == "api"
    assert "'api' exceeded" in str(caught.value)
    assert api_call.__name__ == "api_call"


def test_rate_and_capacity_make_a_token_bucket() -> None:
    @rate_limit(rate=0.001, capacity=3)
    def ping() -> str:
        return "pong"

    assert [ping() for _ in range(3)] == ["pong"] * 3
    with pytest.raises(RateLimitExceeded):
        ping()


def test_key_gives_each_caller_its_own_allowance(clock) -> None:
    @rate_limit(limiter=FixedWindow(1, 60, clock=clock), key=lambda user, **_: user)
    def fetch(user: str, *, page: int = 1) -> str:
        return f"{user}:{page}"

    assert fetch("alice") == "alice:1"
    assert fetch("bob", page=2) == "bob:2"
    with pytest.raises(RateLimitExceeded) as caught:
        fetch("alice", page=3)
    assert caught.value.key == "alice"


def test_methods_are_limited_per_instance_through_key(clock) -> None:
    @dataclass
    class Client:
        token: str

        @rate_limit(limiter=FixedWindow(1, 60, clock=clock), key=lambda self, *a: self.token)
        def get(self, path: str) -> str:
            return f"{self.token}{path}"

    a, b = Client("a"), Client("b")
    assert a.get("/x") == "a/x"
    assert b.get("/x") == "b/x"
    with pytest.raises(RateLimitExceeded):
        a.get("/y")


def test_block_waits_instead_of_raising(clock) -> None:
    @rate_limit(limiter=TokenBucket(rate=4, capacity=1, **clock.options()), block=True)
    def step() -> float:
        return clock.now

    times = [step() for _ in range(3)]
    assert [round(t - times[0], 6) for t in times] == [0.0, 0.25, 0.5]


def test_block_with_a_timeout_too_short_raises_at_once(clock) -> None:
    window = SlidingWindow(1, 10, **clock.options())

    @rate_limit(limiter=window, block=True, timeout=1)
    def job() -> None:
        return None

    job()
    with pytest.raises(RateLimitExceeded) as caught:
        job()
    assert caught.value.retry_after == pytest.approx(10)
    assert clock.slept == []


def test_coroutine_functions_are_awaited_and_limited(clock) -> None:
    @rate_limit(limiter=TokenBucket(rate=1, capacity=1, clock=clock))
    async def fetch(x: int) -> int:
        await asyncio.sleep(0)
        return x + 1

    async def main() -> None:
        assert await fetch(1) == 2
        with pytest.raises(RateLimitExceeded):
            await fetch(2)

    assert asyncio.iscoroutinefunction(fetch)
    asyncio.run(main())


def test_blocking_coroutines_wait_on_the_loop(clock) -> None:
    @rate_limit(limiter=TokenBucket(rate=10, capacity=1, **clock.options()), block=True)
    async def fetch() -> float:
        return clock.now

    async def main() -> list[float]:
        return [await fetch() for _ in range(3)]

    times = asyncio.run(main())
    assert [round(t - times[0], 6) for t in times] == [0.0, 0.1, 0.2]


def test_throttle_spaces_calls_out_without_a_burst(clock) -> None:
    limiter = TokenBucket(rate=5, capacity=1, **clock.options())

    @throttle(rate=5, limiter=limiter)
    def poll() -> float:
        return clock.now

    times = [poll() for _ in range(4)]
    assert [round(t - times[0], 6) for t in times] == [0.0, 0.2, 0.4, 0.6]


def test_throttle_works_on_coroutines_with_a_default_limiter() -> None:
    @throttle(rate=1000)
    async def tick() -> str:
        return "ok"

    async def main() -> list[str]:
        return [await tick(), await tick()]

    assert asyncio.run(main()) == ["ok", "ok"]


def test_exceptions_from_the_function_pass_through_untouched() -> None:
    @rate_limit(rate=100)
    def broken() -> None:
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        broken()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "needs rate="),
        ({"rate": 1, "limiter": TokenBucket(1)}, "either rate/capacity or limiter="),
        ({"rate": 0}, "rate must be finite"),
        ({"rate": 1, "capacity": 0}, "capacity must be at least 1"),
        ({"rate": 1, "capacity": 2, "tokens": 3}, "tokens=3 can never be admitted"),
        ({"rate": 1, "key": "user"}, "key must be a callable"),
        ({"rate": 1, "timeout": 5}, "timeout= only applies with block=True"),
    ],
)
def test_bad_decorator_arguments_are_refused_at_decoration(kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidLimitError, match=message):
        rate_limit(**kwargs)


def test_rate_limit_exceeded_survives_pickling_between_processes() -> None:
    error = RateLimitExceeded("api", retry_after=1.5, key=("tenant", 3))
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.name, copy.retry_after, copy.key, str(copy)) == (
        "api",
        1.5,
        ("tenant", 3),
        str(error),
    )
