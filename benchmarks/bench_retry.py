# /// script
# dependencies = ["tenacity", "stamina", "backoff", "pybreaker", "redis>=5.0"]
# ///
"""stunir.retry against tenacity, stamina, backoff and pybreaker: the cost of one call.

Every implementation in a case does the same work: the same function, the same retry or
breaker settings, no real sleeping. ``plain`` (no protection) and ``hand loop`` (a minimal
hand-written retry loop) are reference rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import backoff
import pybreaker
import redis
import stamina
import tenacity
from _harness import Bench

from pytest_stunir import RedisServer
from stunir.retry import CircuitBreaker, RedisBreakerStorage, retry


def work() -> int:
    return 1


async def awork() -> int:
    return 1


def hand_loop(fn: Callable[[], int], attempts: int = 3) -> Callable[[], int]:
    def call() -> int:
        for attempt in range(attempts):
            try:
                return fn()
            except Exception:  # noqa: PERF203  # the reference loop is written the plain way
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    return call


def flaky(failures: int) -> Callable[[], int]:
    """A function that fails ``failures`` times, then succeeds, then starts over."""
    state = [0]

    def call() -> int:
        state[0] += 1
        if state[0] <= failures:
            raise ConnectionError
        state[0] = 0
        return 1

    return call


def retry_success(bench: Bench) -> None:
    peers: dict[str, Callable[[], Any]] = {
        "tenacity": tenacity.retry(stop=tenacity.stop_after_attempt(3))(work),
        "stamina": stamina.retry(on=Exception, attempts=3)(work),
        "backoff": backoff.on_exception(backoff.expo, Exception, max_tries=3)(work),
        "plain call": work,
        "hand loop": hand_loop(work),
    }
    bench.compare("retry, success (sync)", retry(max_attempts=3)(work), peers, target_ns=1000)


def retry_success_async(bench: Bench) -> None:
    async def plain() -> int:
        return await awork()

    peers: dict[str, Callable[[], Any]] = {
        "tenacity": tenacity.retry(stop=tenacity.stop_after_attempt(3))(awork),
        "stamina": stamina.retry(on=Exception, attempts=3)(awork),
        "backoff": backoff.on_exception(backoff.expo, Exception, max_tries=3)(awork),
        "plain await": plain,
    }
    bench.compare("retry, success (async)", retry(max_attempts=3)(awork), peers, target_ns=1500)


def retry_two_failures(bench: Bench) -> None:
    peers: dict[str, Callable[[], Any]] = {
        "tenacity": tenacity.retry(stop=tenacity.stop_after_attempt(3), wait=tenacity.wait_none())(
            flaky(2)
        ),
        "stamina": stamina.retry(
            on=Exception, attempts=3, wait_initial=0, wait_max=0, wait_jitter=0
        )(flaky(2)),
        "backoff": backoff.on_exception(
            backoff.constant, Exception, max_tries=3, interval=0, jitter=None
        )(flaky(2)),
        "hand loop": hand_loop(flaky(2)),
    }
    ours = retry(max_attempts=3, backoff=None)(flaky(2))
    bench.compare("retry, 2 failures then success, no wait", ours, peers)


def breaker_closed(bench: Bench) -> None:
    ours = CircuitBreaker(failure_threshold=5, recovery_timeout=30)(work)
    theirs = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30)
    peers = {"pybreaker": lambda: theirs.call(work), "plain call": work}
    bench.compare("breaker, closed call (sync)", ours, peers, target_ns=1000)
    breaker = CircuitBreaker(failure_threshold=5, recovery_timeout=30)
    bench.compare(
        "breaker.call(fn), closed",
        lambda: breaker.call(work),
        {"pybreaker": lambda: theirs.call(work)},
        target_ns=1000,
    )


def breaker_closed_windowed(bench: Bench) -> None:
    ours = CircuitBreaker(
        failure_threshold=5,
        failure_rate_threshold=0.5,
        slow_call_duration=1.0,
        slow_call_rate_threshold=0.5,
    )(work)
    theirs = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30)
    bench.compare(
        "breaker, closed call, rate + slow-call windows",
        ours,
        {"pybreaker": lambda: theirs.call(work)},
    )


def breaker_closed_async(bench: Bench) -> None:
    ours = CircuitBreaker(failure_threshold=5, recovery_timeout=30)(awork)
    bench.compare("breaker, closed call (async)", ours, {"plain await": awork}, target_ns=1500)


def breaker_redis(bench: Bench) -> None:
    server = RedisServer().start()
    try:
        ours = CircuitBreaker(5, 30, name="bench", storage=RedisBreakerStorage(server.url))(work)
        client = redis.Redis.from_url(server.url)
        storage = pybreaker.CircuitRedisStorage(pybreaker.STATE_CLOSED, client, namespace="pb")
        theirs = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30, state_storage=storage)
        peers = {"pybreaker": lambda: theirs.call(work)}
        bench.compare("breaker, closed call, state in Redis", ours, peers)
        storage = RedisBreakerStorage(server.url)
        ours_async = CircuitBreaker(5, 30, name="bench-async", storage=storage)(awork)
        bench.compare("breaker, closed call, state in Redis (async)", ours_async, {})
    finally:
        server.stop()


def run(bench: Bench) -> None:
    stamina.instrumentation.set_on_retry_hooks([])  # no log line per retry: time the retries
    retry_success(bench)
    retry_success_async(bench)
    retry_two_failures(bench)
    breaker_closed(bench)
    breaker_closed_windowed(bench)
    breaker_closed_async(bench)
    breaker_redis(bench)
