# /// script
# dependencies = ["limits", "pyrate-limiter", "aiolimiter", "ratelimit", "redis"]
# ///
"""stunir-ratelimit against limits, pyrate-limiter, aiolimiter and ratelimit, in one process.

Every case times one admitted decision per call with the limit set far above what the batch
can use, so each library runs its admission path; Redis cases are compared with a raw GET
round trip on the same server. Accuracy (8 threads offering 3x the limit to one key) is
computed here too and logged to stderr beside the table.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
import threading
from collections.abc import Callable

import aiolimiter
import limits
import limits.storage
import limits.strategies
import pyrate_limiter
import ratelimit
import redis
from _harness import Bench, median_ns

from pytest_stunir import RedisServer
from stunir.ratelimit import (
    ApproximateSlidingWindow,
    FixedWindow,
    RedisStore,
    SlidingWindow,
    TokenBucket,
    rate_limit,
)

logger = logging.getLogger("bench.ratelimit")

HUGE = 10**9  # a limit no batch can reach: every call is admitted
MEMORY_TARGET_NS = 1_000.0
REDIS_TARGET_RATIO = 1.15


def _pyrate(limit: int, period_ms: int, bucket: object | None = None) -> Callable[[], object]:
    rate = pyrate_limiter.Rate(limit, period_ms)
    limiter = pyrate_limiter.Limiter(bucket if bucket is not None else rate)  # type: ignore[arg-type]
    return functools.partial(limiter.try_acquire, "k", blocking=False)


def _limits(strategy: type, item: limits.RateLimitItem, storage: object) -> Callable[[], bool]:
    return functools.partial(strategy(storage).hit, item, "k")


def memory_cases(bench: Bench) -> None:
    bucket = TokenBucket(rate=1_000_000, capacity=HUGE)
    bench.compare(
        "memory token bucket",
        functools.partial(bucket.acquire, 1, "k"),
        {"pyrate-limiter": _pyrate(HUGE, 1000)},
        target_ns=MEMORY_TARGET_NS,
    )
    fixed = FixedWindow(HUGE, 1)
    bench.compare(
        "memory fixed window",
        functools.partial(fixed.acquire, 1, "k"),
        {
            "limits": _limits(
                limits.strategies.FixedWindowRateLimiter,
                limits.RateLimitItemPerSecond(HUGE),
                limits.storage.MemoryStorage(),
            )
        },
        target_ns=MEMORY_TARGET_NS,
    )
    exact = SlidingWindow(100_000, 1)
    bench.compare(
        "memory sliding window (exact)",
        functools.partial(exact.acquire, 1, "k"),
        {
            "limits moving window": _limits(
                limits.strategies.MovingWindowRateLimiter,
                limits.RateLimitItemPerSecond(100_000),
                limits.storage.MemoryStorage(),
            ),
            "pyrate-limiter": _pyrate(100_000, 1000),
        },
        target_ns=MEMORY_TARGET_NS,
    )
    approximate = ApproximateSlidingWindow(HUGE, 1)
    bench.compare(
        "memory sliding window (approx.)",
        functools.partial(approximate.acquire, 1, "k"),
        {
            "limits": _limits(
                limits.strategies.SlidingWindowCounterRateLimiter,
                limits.RateLimitItemPerSecond(HUGE),
                limits.storage.MemoryStorage(),
            )
        },
        target_ns=MEMORY_TARGET_NS,
    )

    @rate_limit(rate=1_000_000, capacity=HUGE)
    def ours() -> None:
        return None

    @ratelimit.limits(calls=HUGE, period=1)
    def theirs() -> None:
        return None

    bench.compare("decorated call", ours, {"ratelimit": theirs})

    async_bucket = TokenBucket(rate=1_000_000, capacity=HUGE)
    peer = aiolimiter.AsyncLimiter(HUGE, 1)

    async def ours_async() -> bool:
        return await async_bucket.acquire_async(1, "k")

    async def aiolimiter_acquire() -> bool:
        if peer.has_capacity():
            await peer.acquire()
            return True
        return False

    bench.compare(
        "async acquire", ours_async, {"aiolimiter": aiolimiter_acquire}, target_ns=MEMORY_TARGET_NS
    )


def redis_cases(bench: Bench, url: str) -> None:
    client = redis.Redis.from_url(url)
    client.set("reference", "1")
    reference = median_ns(functools.partial(client.get, "reference"))
    target = reference * REDIS_TARGET_RATIO
    logger.info("raw redis-py GET round trip: %.1f µs", reference / 1000)
    store = RedisStore(client)
    bucket = TokenBucket(rate=1_000_000, capacity=HUGE, store=store, name="bench-tb")
    storage = limits.storage.RedisStorage(url)
    pyrate_bucket = pyrate_limiter.RedisBucket.init(
        [pyrate_limiter.Rate(HUGE, 1000)], client, "pyrate-bench"
    )
    bench.compare(
        "redis token bucket",
        functools.partial(bucket.acquire, 1, "k"),
        {
            "raw GET (reference)": functools.partial(client.get, "reference"),
            "pyrate-limiter": _pyrate(HUGE, 1000, pyrate_bucket),
        },
        target_ns=target,
    )
    fixed = FixedWindow(HUGE, 1, store=store, name="bench-fw")
    bench.compare(
        "redis fixed window",
        functools.partial(fixed.acquire, 1, "k"),
        {
            "raw GET (reference)": functools.partial(client.get, "reference"),
            "limits": _limits(
                limits.strategies.FixedWindowRateLimiter,
                limits.RateLimitItemPerSecond(HUGE),
                storage,
            ),
        },
        target_ns=target,
    )
    sliding = SlidingWindow(1_000_000, 1, store=store, name="bench-sw")
    bench.compare(
        "redis sliding window (exact)",
        functools.partial(sliding.acquire, 1, "k"),
        {
            "raw GET (reference)": functools.partial(client.get, "reference"),
            "limits moving window": _limits(
                limits.strategies.MovingWindowRateLimiter,
                limits.RateLimitItemPerSecond(1_000_000),
                storage,
            ),
        },
        target_ns=target,
    )


def admitted_by_threads(acquire: Callable[[], object], offers: int) -> int:
    """How many of ``offers`` calls from 8 threads at once were admitted."""
    counts = [0] * 8
    start = threading.Barrier(8)

    def offer(index: int) -> None:
        start.wait()
        for _ in range(offers // 8):
            if acquire():
                counts[index] += 1

    threads = [threading.Thread(target=offer, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts)


def accuracy(url: str) -> None:
    limit = 1000
    offers = 3 * limit
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, as a busy server does
    client = redis.Redis.from_url(url)
    client.flushdb()
    minute = limits.RateLimitItemPerHour(limit)
    candidates: dict[str, Callable[[], object]] = {
        "stunir memory": TokenBucket(rate=0.001, capacity=limit).acquire,
        "stunir redis": TokenBucket(
            rate=0.001, capacity=limit, store=RedisStore(client, memo=False), name="acc"
        ).acquire,
        "limits memory": _limits(
            limits.strategies.MovingWindowRateLimiter, minute, limits.storage.MemoryStorage()
        ),
        "limits redis": _limits(
            limits.strategies.MovingWindowRateLimiter, minute, limits.storage.RedisStorage(url)
        ),
        "pyrate-limiter memory": _pyrate(limit, 3_600_000),
        "pyrate-limiter redis": _pyrate(
            limit,
            3_600_000,
            pyrate_limiter.RedisBucket.init(
                [pyrate_limiter.Rate(limit, 3_600_000)], client, "pyrate-acc"
            ),
        ),
    }
    try:
        for name, acquire in candidates.items():
            admitted = admitted_by_threads(acquire, offers)
            logger.info(
                "accuracy %-22s admitted %4d of %d offered, limit %d (%.2f %%)",
                name,
                admitted,
                offers,
                limit,
                100 * admitted / limit,
            )
    finally:
        sys.setswitchinterval(before)


def run(bench: Bench) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(message)s")
    logging.getLogger("bench.ratelimit").setLevel(logging.INFO)
    logging.getLogger("pyrate_limiter").setLevel(logging.WARNING)  # it logs every bucket made
    memory_cases(bench)
    server = RedisServer().start()
    try:
        redis_cases(bench, server.url)
        accuracy(server.url)
    finally:
        server.stop()
    asyncio.set_event_loop(None)
