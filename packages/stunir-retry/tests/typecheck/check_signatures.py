"""Checked by mypy (nox -s typecheck), never executed: decorators keep the
signatures type checkers see, and wrong calls are type errors."""

from __future__ import annotations

from typing_extensions import assert_type

from stunir.retry import (
    AsyncRetrying,
    Attempt,
    CircuitBreaker,
    CircuitState,
    ExponentialBackoff,
    Retrying,
    RetryPolicy,
    RetryStats,
    retry,
)


@retry
def bare(x: int, *, name: str = "") -> str:
    return name * x


@retry(max_attempts=5, backoff=ExponentialBackoff(base=1.0))
def configured(a: int, b: float) -> float:
    return a * b


@retry(timeout=3)
async def fetch(url: str) -> bytes:
    return url.encode()


breaker = CircuitBreaker(failure_threshold=5, recovery_timeout=30)


@breaker
def guarded(n: int) -> list[int]:
    return [n]


@breaker
async def guarded_async(n: int) -> int:
    return n


class Client:
    @retry(on=ConnectionError)
    def get(self, key: str) -> bytes:
        return key.encode()

    @breaker
    def put(self, key: str, value: bytes) -> None:
        return None


assert_type(bare(2, name="x"), str)
assert_type(configured(1, 2.0), float)
assert_type(guarded(1), list[int])
assert_type(Client().get("k"), bytes)
assert_type(Client().put("k", b"v"), None)
assert_type(breaker.call(guarded, 3), list[int])
assert_type(breaker.call(configured, 1, b=2.0), float)
assert_type(breaker.state, CircuitState)
assert_type(retry(max_attempts=2), RetryPolicy)
assert_type(RetryPolicy().stats(), RetryStats)

for attempt in Retrying(max_attempts=2):
    assert_type(attempt, Attempt)


async def awaited() -> None:
    assert_type(await fetch("u"), bytes)
    assert_type(await guarded_async(1), int)


async def iterate() -> None:
    async for attempt in AsyncRetrying(max_attempts=2):
        assert_type(attempt, Attempt)


# Wrong calls must be errors for the type checker: each line below needs its ignore.
bare("2")  # type: ignore[arg-type]
configured(1)  # type: ignore[call-arg]
guarded(n="x")  # type: ignore[arg-type]
breaker.call(guarded, "x")  # type: ignore[arg-type]
Client().get(1)  # type: ignore[arg-type]
