"""RedisStore against a real redis-server: the same decisions as memory, shared, and outages."""

from __future__ import annotations

import asyncio
import itertools
import logging
import subprocess
import sys
import textwrap

import pytest
import redis
import redis.asyncio
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.backoff import NoBackoff
from redis.retry import Retry

from stunir.ratelimit import (
    ApproximateSlidingWindow,
    FailurePolicy,
    FixedWindow,
    InvalidLimitError,
    LeakyBucket,
    RateLimitError,
    RedisStore,
    SlidingWindow,
    TokenBucket,
)

FACTORIES = {
    "token_bucket": lambda **kw: TokenBucket(rate=5, capacity=4, **kw),
    "leaky_bucket": lambda **kw: LeakyBucket(rate=5, capacity=4, **kw),
    "leaky_queue": lambda **kw: LeakyBucket(rate=5, capacity=4, shaping=True, **kw),
    "fixed_window": lambda **kw: FixedWindow(limit=4, window=1, **kw),
    "sliding_window": lambda **kw: SlidingWindow(limit=4, window=1, **kw),
    "approximate": lambda **kw: ApproximateSlidingWindow(limit=4, window=1, **kw),
}
names = itertools.count()


def client(url: str) -> redis.Redis:
    """A client that fails at once when the server is gone (no retries, short timeouts)."""
    return redis.Redis.from_url(url, retry=Retry(NoBackoff(), 0), socket_timeout=1)


@pytest.mark.parametrize("kind", FACTORIES)
def test_redis_decides_exactly_like_memory(kind: str, redis_url: str) -> None:
    store = RedisStore(client(redis_url), server_time=False, memo=False)

    @settings(max_examples=25)
    @given(
        steps=st.lists(
            st.tuples(st.integers(0, 600_000), st.integers(1, 4), st.sampled_from("ab")),
            max_size=25,
        )
    )
    def same_decisions(steps: list[tuple[int, int, str]]) -> None:
        ticks = [10**12]  # an arbitrary epoch-like start, in microseconds

        def clock() -> float:
            return ticks[0] / 1e6

        name = f"same-{next(names)}"
        local = FACTORIES[kind](clock=clock)
        shared = FACTORIES[kind](clock=clock, store=store, name=name)
        for gap, cost, key in steps:
            ticks[0] += gap
            assert shared.try_acquire(cost, key) == local.try_acquire(cost, key)

    same_decisions()


def test_the_servers_clock_times_the_decisions(redis_url: str) -> None:
    connection = client(redis_url)
    bucket = TokenBucket(rate=1, capacity=3, store=RedisStore(connection), name="api")
    assert [bucket.acquire(key="u1") for _ in range(4)] == [True, True, True, False]
    refusal = bucket.try_acquire(key="u1")
    assert not refusal.allowed
    assert 0.5 < refusal.retry_after <= 1.0
    (state_key,) = connection.keys("stunir:ratelimit:*")
    assert state_key == b"stunir:ratelimit:{api|u1}"
    assert 3000 < connection.pttl(state_key) <= 4000  # forgotten once full again (+1 s slack)


def test_a_flushed_script_cache_is_reloaded(redis_url: str) -> None:
    connection = client(redis_url)
    window = SlidingWindow(2, 60, store=RedisStore(connection), name="w")
    assert window.acquire()
    connection.script_flush()
    assert window.acquire()
    assert not window.acquire()


def test_async_client_shares_the_same_limit(redis_url: str) -> None:
    async def main() -> list[bool]:
        async_connection = redis.asyncio.Redis.from_url(redis_url)
        store = RedisStore(client(redis_url), async_client=async_connection)
        window = FixedWindow(3, 3600, store=store, name="mixed")
        results = [window.acquire(), await window.acquire_async()]
        results.append((await window.try_acquire_async()).allowed)
        results.append(await window.acquire_async())
        results.append(await window.wait_async(timeout=0))
        await async_connection.aclose()
        return results

    assert asyncio.run(main()) == [True, True, True, False, False]


def test_a_store_without_the_needed_client_says_so(redis_url: str) -> None:
    with pytest.raises(InvalidLimitError, match="needs client"):
        RedisStore()
    with pytest.raises(InvalidLimitError, match="on_failure must be one of"):
        RedisStore(client(redis_url), on_failure="maybe")
    sync_only = TokenBucket(1, store=RedisStore(client(redis_url)))
    with pytest.raises(RateLimitError, match="lacks the client for this call"):
        asyncio.run(sync_only.acquire_async())


def test_reset_deletes_the_keys_on_redis(redis_url: str) -> None:
    connection = client(redis_url)
    window = SlidingWindow(1, 60, store=RedisStore(connection), name="r")
    assert window.acquire(key="k")
    assert not window.acquire(key="k")
    window.reset("k")
    assert connection.keys("*") == []
    assert window.acquire(key="k")


def test_a_refused_key_is_answered_locally_until_its_retry_after(redis_server_factory) -> None:
    server = redis_server_factory()
    store = RedisStore(client(server.url), on_failure=FailurePolicy.OPEN)
    bucket = TokenBucket(rate=0.001, capacity=5, store=store, name="memo")
    assert bucket.acquire(5)
    assert not bucket.acquire(3)
    server.stop()
    assert not bucket.acquire(3)  # no round trip: Redis is down, yet the answer is a refusal
    assert not bucket.acquire(4)
    assert bucket.acquire(1)  # smaller than what was refused: asks Redis, which is down: open


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("open", [True] * 4), ("closed", [False] * 4), ("local", [True, True, False, False])],
)
def test_each_policy_while_redis_is_down_and_recovery(
    policy: str, expected: list[bool], redis_server_factory, caplog
) -> None:
    server = redis_server_factory()
    store = RedisStore(client(server.url), on_failure=policy, failure_retry_after=2.5)
    window = FixedWindow(2, 3600, store=store, name=f"down-{policy}")
    assert window.acquire()
    server.stop()
    with caplog.at_level(logging.INFO, logger="stunir.ratelimit"):
        decisions = [window.try_acquire() for _ in range(4)]
        assert [d.allowed for d in decisions] == expected
        if policy == "closed":
            assert decisions[0].retry_after == 2.5
        server.start()  # the data is gone, as after a crash
        assert window.acquire()
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert messages[0][0] == "WARNING"
    assert f"'down-{policy}': Redis is unreachable" in messages[0][1]
    assert f"failing {policy}" in messages[0][1]
    assert messages[1:] == [("INFO", f"rate limit 'down-{policy}': Redis is reachable again")]


def test_async_calls_follow_the_policy_too(redis_server_factory) -> None:
    server = redis_server_factory()

    async def main() -> bool:
        async_connection = redis.asyncio.Redis.from_url(server.url, retry=Retry(NoBackoff(), 0))
        store = RedisStore(async_client=async_connection, on_failure="closed")
        window = SlidingWindow(2, 60, store=store, name="async-down")
        assert await window.acquire_async()
        server.stop()
        allowed = await window.acquire_async()
        await async_connection.aclose()
        return allowed

    assert asyncio.run(main()) is False


_WORKER = textwrap.dedent(
    """
    import sys, threading
    import redis
    from stunir.ratelimit import RedisStore, SlidingWindow, TokenBucket
    url, offers = sys.argv[1], int(sys.argv[2])
    store = RedisStore(redis.Redis.from_url(url), memo=False)
    limiters = [
        TokenBucket(rate=0.001, capacity=200, store=store, name="procs-bucket"),
        SlidingWindow(200, 3600, store=store, name="procs-window"),
    ]
    admitted = {(kind, thread): 0 for kind in range(2) for thread in range(2)}
    def offer(kind, thread):
        for _ in range(offers // 2):
            admitted[kind, thread] += limiters[kind].acquire(key="shared")
    threads = [threading.Thread(target=offer, args=key) for key in admitted]
    for t in threads: t.start()
    for t in threads: t.join()
    print(admitted[0, 0] + admitted[0, 1], admitted[1, 0] + admitted[1, 1])
    """
)


def test_four_processes_offering_three_times_the_limit_get_exactly_the_limit(
    redis_url: str,
) -> None:
    """Two threads in each of four processes, a token bucket and a sliding window of 200."""
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, redis_url, "150"], stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = [worker.communicate(timeout=60)[0].split() for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)
    bucket_admitted = sum(int(output[0]) for output in outputs)
    window_admitted = sum(int(output[1]) for output in outputs)
    assert (bucket_admitted, window_admitted) == (200, 200)  # 4 x 150 offered = 3 x the limit


def test_waits_on_redis_book_slots_and_poll_windows(redis_url: str, clock) -> None:
    store = RedisStore(client(redis_url), server_time=False, prefix="t:")
    queue = LeakyBucket(rate=10, capacity=3, shaping=True, store=store, **clock.options())
    assert [queue.wait() for _ in range(3)] == [True, True, True]
    assert [round(s, 6) for s in clock.slept] == [0.1, 0.1]
    window = SlidingWindow(1, 2, store=store, name="poll", **clock.options())
    assert window.wait()
    assert not window.wait(timeout=1)
    assert window.wait(timeout=2)
    assert client(redis_url).keys("t:*")


def test_async_waiters_on_redis_are_served_in_order(redis_url: str, clock) -> None:
    order: list[int] = []

    async def main() -> None:
        async_connection = redis.asyncio.Redis.from_url(redis_url)
        store = RedisStore(async_client=async_connection, server_time=False)
        window = FixedWindow(1, 1, store=store, name="fifo", **clock.options())

        async def request(index: int) -> None:
            await window.wait_async()
            order.append(index)

        tasks = []
        for index in range(4):
            tasks.append(asyncio.create_task(request(index)))
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)
        await async_connection.aclose()

    asyncio.run(main())
    assert order == [0, 1, 2, 3]


def test_stats_count_this_processes_decisions_including_memo_answers(redis_url: str) -> None:
    bucket = TokenBucket(rate=0.001, capacity=2, store=RedisStore(client(redis_url)))
    assert bucket.admit() == 0.0
    assert bucket.acquire()
    retry_after = bucket.admit()
    assert retry_after > 900  # one token per 1000 s
    assert not bucket.acquire()  # answered by the memo
    stats = bucket.stats()
    assert (stats.allowed, stats.denied, stats.level) == (2, 2, None)


def test_reset_async_deletes_the_keys_with_the_async_client(redis_url: str) -> None:
    async def main() -> list[bool]:
        async_connection = redis.asyncio.Redis.from_url(redis_url)
        window = FixedWindow(1, 60, store=RedisStore(async_client=async_connection), name="ra")
        results = [await window.acquire_async(), await window.acquire_async()]
        await window.reset_async()
        results.append(await window.acquire_async())
        await async_connection.aclose()
        return results

    assert asyncio.run(main()) == [True, False, True]
    with pytest.raises(RateLimitError, match="lacks the client"):
        FixedWindow(1, 60, store=RedisStore(async_client=redis.asyncio.Redis())).reset()


def test_the_memo_forgets_refusals_once_they_have_expired(redis_url: str, clock) -> None:
    store = RedisStore(client(redis_url), server_time=False)
    bucket = TokenBucket(rate=0.001, capacity=1, store=store, clock=clock, name="sweep")
    for user in range(1100):
        bucket.acquire(key=user)
        assert not bucket.acquire(key=user)  # refused, remembered
    assert bucket.stats().keys == 1100
    clock.advance(2000)  # every refusal has expired: the next sweep drops them all
    for user in range(1100, 2100):
        bucket.acquire(key=user)
        assert not bucket.acquire(key=user)
    assert bucket.stats().keys == 1000  # the memo doubled, swept, and kept only the live ones
    assert repr(store) == "RedisStore(prefix='stunir:ratelimit:', on_failure='closed')"


def test_multi_token_requests_on_redis(redis_url: str) -> None:
    async def main() -> list[object]:
        async_connection = redis.asyncio.Redis.from_url(redis_url)
        store = RedisStore(client(redis_url), async_client=async_connection)
        bucket = TokenBucket(rate=0.001, capacity=5, store=store, name="multi")
        results: list[object] = [
            bucket.admit(2),
            await bucket.acquire_async(2),
            (await bucket.try_acquire_async(2)).allowed,
            await bucket.admit_async(1),
        ]
        await async_connection.aclose()
        return results

    admitted, second, third, fourth = asyncio.run(main())
    assert (admitted, second, third) == (0.0, True, False)
    assert fourth == 0.0


def test_without_redis_py_the_store_says_which_extra_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # as if redis-py were not installed
    with pytest.raises(RateLimitError, match=r"pip install 'stunir-ratelimit\[redis\]'"):
        RedisStore(object())  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", FACTORIES)
def test_peek_on_redis_answers_like_memory_and_writes_nothing(kind: str, redis_url: str) -> None:
    ticks = [10**12]

    def clock() -> float:
        return ticks[0] / 1e6

    async def main() -> None:
        async_connection = redis.asyncio.Redis.from_url(redis_url)
        store = RedisStore(
            client(redis_url), async_client=async_connection, server_time=False, memo=False
        )
        local = FACTORIES[kind](clock=clock)
        shared = FACTORIES[kind](clock=clock, store=store, name=f"peek-{kind}")
        for cost in (1, 2, 4, 1, 3):
            ticks[0] += 90_000
            assert shared.peek(cost) == local.peek(cost)
            assert await shared.peek_async(cost) == local.peek(cost)
            assert shared.try_acquire(cost) == local.try_acquire(cost)
        await async_connection.aclose()

    asyncio.run(main())


def test_peek_while_redis_is_down_follows_the_policy_without_counting(
    redis_server_factory,
) -> None:
    server = redis_server_factory()
    store = RedisStore(client(server.url), on_failure="local")
    window = FixedWindow(1, 60, store=store, name="peek-down")
    server.stop()
    assert window.peek().allowed
    assert window.acquire()
    assert not window.peek().allowed
    assert window.stats().allowed == 1


def test_a_key_holding_foreign_data_is_reported_with_its_name(redis_url: str) -> None:
    connection = client(redis_url)
    connection.rpush("stunir:ratelimit:{clash|k}", "not a bucket")
    bucket = TokenBucket(rate=1, store=RedisStore(connection), name="clash")
    with pytest.raises(RateLimitError, match=r"'clash'.*\{clash\|k\}.*WRONGTYPE"):
        bucket.acquire(key="k")
