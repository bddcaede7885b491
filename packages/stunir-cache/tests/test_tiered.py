import asyncio
import subprocess
import sys
import textwrap
import time

import pytest

from stunir.cache import (
    MISSING,
    CacheConfigError,
    FileBackend,
    MemoryBackend,
    RedisBackend,
    TieredCache,
)


def test_reads_l1_then_l2_and_promotes_hits(tmp_path) -> None:
    l1, l2 = MemoryBackend(maxsize=10), FileBackend(tmp_path)
    cache = TieredCache(l1=l1, l2=l2)
    l2.set("k", "from l2")
    assert cache.get("k") == "from l2"
    assert l1.get("k") == "from l2"
    assert cache.get("absent", MISSING) is MISSING
    assert cache.stats().hits == 2  # one in L2, then the promoted copy read above


def test_an_l1_copy_never_outlives_the_l2_entry(tmp_path, clock) -> None:
    l1 = MemoryBackend(ttl=60, clock=clock)
    l2 = FileBackend(tmp_path, clock=clock)
    cache = TieredCache(l1, l2)
    l2.set("short", 1, ttl=5)
    l2.set("long", 2, ttl=500)
    assert cache.get("short") == 1
    assert cache.get("long") == 2
    assert l1.get_with_ttl("short") == (1, 5)
    assert l1.get_with_ttl("long") == (2, 60)
    cache.set("direct", 3, ttl=10)
    assert l1.get_with_ttl("direct") == (3, 10)
    clock.advance(6)
    assert cache.get("short", MISSING) is MISSING


def test_a_write_without_ttl_uses_the_l2_default_in_l1_too(tmp_path, clock) -> None:
    l1 = MemoryBackend(ttl=60, clock=clock)
    cache = TieredCache(l1, FileBackend(tmp_path, ttl=10, clock=clock))
    cache.set("k", 1)
    assert l1.get_with_ttl("k") == (1, 10)
    clock.advance(10)
    assert cache.get("k", MISSING) is MISSING


def test_writes_and_deletes_go_to_both_tiers(tmp_path) -> None:
    l1, l2 = MemoryBackend(), FileBackend(tmp_path)
    cache = TieredCache(l1, l2)
    cache.set_many({"a": 1, "b": 2})
    assert l1.get("a") == l2.get("a") == 1
    assert cache.get_many(["a", "b", "c"]) == {"a": 1, "b": 2}
    assert cache.delete("a") is True
    assert "a" not in l1
    assert "a" not in l2
    assert cache.delete_many(["b", "zz"]) == 1
    cache.set("c", 3)
    cache.clear()
    assert "c" not in cache


def test_async_tiers(tmp_path) -> None:
    async def scenario() -> None:
        l1, l2 = MemoryBackend(), FileBackend(tmp_path)
        cache = TieredCache(l1, l2)
        l2.set("k", 1)
        assert await cache.aget("k") == 1
        assert l1.get("k") == 1
        await cache.aset("j", 2)
        assert await cache.aget_many(["j", "k", "x"]) == {"j": 2, "k": 1}
        assert await cache.acontains("j")
        assert await cache.adelete("j")
        await cache.aclear()
        assert await cache.aget("k", MISSING) is MISSING

    asyncio.run(scenario())


def test_bad_tiers_are_refused(tmp_path) -> None:
    with pytest.raises(CacheConfigError, match="l1"):
        TieredCache(l1={}, l2=FileBackend(tmp_path))  # type: ignore[arg-type]
    with pytest.raises(CacheConfigError, match="invalidation"):
        TieredCache(MemoryBackend(), FileBackend(tmp_path), invalidation=True)


def wait_until(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.002)
    return False


def test_other_instances_drop_their_l1_copy_on_write_and_delete(redis_url) -> None:
    a = TieredCache(MemoryBackend(), RedisBackend(redis_url))
    b = TieredCache(MemoryBackend(), RedisBackend(redis_url))
    try:
        a.set("k", "v1")
        assert b.get("k") == "v1"  # b now holds an L1 copy
        a.set("k", "v2")
        assert wait_until(lambda: "k" not in b.l1)
        assert b.get("k") == "v2"
        a.delete("k")
        assert wait_until(lambda: "k" not in b.l1)
        assert b.get("k", MISSING) is MISSING
        assert a.l1.get("k", MISSING) is MISSING  # its own messages change nothing
    finally:
        a.close()
        b.close()


CHILD = textwrap.dedent(
    """
    import sys, time
    from stunir.cache import MemoryBackend, RedisBackend, TieredCache

    cache = TieredCache(MemoryBackend(), RedisBackend(sys.argv[1]))
    print(cache.get("shared"), flush=True)        # promotes 'v1' into this process's L1
    sys.stdin.readline()                          # the parent has overwritten it
    deadline = time.monotonic() + 5
    while "shared" in cache.l1 and time.monotonic() < deadline:
        time.sleep(0.001)
    print(cache.get("shared"), flush=True)
    cache.close()
    """
)


def test_an_overwrite_in_one_process_is_seen_by_another_process(redis_url) -> None:
    parent = TieredCache(MemoryBackend(), RedisBackend(redis_url))
    parent.set("shared", "v1")
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, redis_url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None
            assert child.stdin is not None
            assert child.stdout.readline().strip() == "v1"
            started = time.monotonic()
            parent.set("shared", "v2")
            child.stdin.write("go\n")
            child.stdin.flush()
            assert child.stdout.readline().strip() == "v2"
            assert time.monotonic() - started < 2
            assert child.wait(timeout=10) == 0
        finally:
            child.kill()
            parent.close()


def test_a_listener_that_lost_redis_drops_everything_when_it_is_back(redis_server_factory):
    server = redis_server_factory()
    cache = TieredCache(MemoryBackend(), RedisBackend(server.url))
    try:
        cache.l1.set("stale", 1)
        server.stop()
        server.start()
        assert wait_until(lambda: "stale" not in cache.l1, seconds=10)
    finally:
        cache.close()


def test_a_dead_redis_l2_leaves_l1_serving_and_raises_nothing(redis_server_factory) -> None:
    server = redis_server_factory()
    cache = TieredCache(MemoryBackend(), RedisBackend(server.url))
    try:
        cache.set("k", 1)
        server.stop()
        assert cache.get("k") == 1
        cache.set("j", 2)
        assert cache.get("j") == 2
        assert cache.get("absent", MISSING) is MISSING
        assert cache.delete("k") is True
    finally:
        cache.close()


def test_async_writes_are_published_too(redis_url) -> None:
    a = TieredCache(MemoryBackend(), RedisBackend(redis_url))
    b = TieredCache(MemoryBackend(), RedisBackend(redis_url))

    async def scenario() -> None:
        await a.aset("k", "v1")
        assert await b.aget("k") == "v1"
        await a.aset("k", "v2")
        assert wait_until(lambda: "k" not in b.l1)
        assert await b.aget("k") == "v2"
        await a.adelete("k")
        assert wait_until(lambda: "k" not in b.l1)
        await a.l2.aclose()  # type: ignore[attr-defined]
        await b.l2.aclose()  # type: ignore[attr-defined]

    try:
        asyncio.run(scenario())
    finally:
        a.close()
        b.close()


def test_malformed_invalidation_messages_are_ignored_and_listening_goes_on(
    redis_url, caplog
) -> None:
    import redis

    cache = TieredCache(MemoryBackend(), RedisBackend(redis_url, prefix="app:"))
    raw = redis.Redis.from_url(redis_url)
    try:
        assert cache.invalidation is not None
        channel = cache.invalidation.channel  # type: ignore[attr-defined]
        cache.l1.set("k", 1)
        garbage = [
            b"not json",
            b"[]",
            b'{"origin": "x", "keys": [1, 2]}',
            b'{"keys": []}',
            b'{"origin": "x", "keys": null, "namespace": 5}',
            b'{"origin": "x", "keys": ["k"], "namespace": "n"}',
        ]
        for message in garbage:
            raw.publish(channel, message)
        raw.publish(channel, b'{"origin": "another process", "keys": ["k"]}')
        assert wait_until(lambda: "k" not in cache.l1)
        assert caplog.text.count("malformed invalidation") == len(garbage)
    finally:
        raw.close()
        cache.close()


def test_delete_namespace_empties_it_in_both_tiers(tmp_path) -> None:
    cache = TieredCache(MemoryBackend(), FileBackend(tmp_path))
    cache.set_many({"users:1": 1, "users:2": 2, "posts:1": 3})
    cache.l1.delete("users:2")  # only in L2 now
    assert cache.delete_namespace("users") == 2
    for tier in (cache.l1, cache.l2):
        assert "users:1" not in tier
        assert "users:2" not in tier
        assert tier.get("posts:1") == 3
    assert asyncio.run(cache.adelete_namespace("posts")) == 1
    assert "posts:1" not in cache.l1
    assert "posts:1" not in cache.l2
    with pytest.raises(CacheConfigError, match="namespace"):
        cache.delete_namespace("")


def test_delete_namespace_drops_other_instances_l1_copies_of_it_only(redis_url) -> None:
    a = TieredCache(MemoryBackend(), RedisBackend(redis_url))
    b = TieredCache(MemoryBackend(), RedisBackend(redis_url))

    async def adelete(namespace: str) -> int:
        removed = await a.adelete_namespace(namespace)
        await a.l2.aclose()  # type: ignore[attr-defined]
        return removed

    try:
        b.set_many({"users:1": 1, "posts:1": 2, "tags:1": 3})  # b's own writes fill its L1
        assert b.l1.get_many(["users:1", "posts:1", "tags:1"]) == {
            "users:1": 1,
            "posts:1": 2,
            "tags:1": 3,
        }
        assert a.delete_namespace("users") == 1
        assert wait_until(lambda: "users:1" not in b.l1)
        assert b.l1.get("posts:1") == 2
        assert b.get("users:1", MISSING) is MISSING
        assert asyncio.run(adelete("posts")) == 1
        assert wait_until(lambda: "posts:1" not in b.l1)
        assert b.l1.get("tags:1") == 3
    finally:
        a.close()
        b.close()
