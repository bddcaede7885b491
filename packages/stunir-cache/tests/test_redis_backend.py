import asyncio
import logging

import pytest
import redis

from stunir.cache import (
    MISSING,
    BackendUnavailableError,
    CacheConfigError,
    JsonSerializer,
    PickleSerializer,
    RedisBackend,
    SerializationError,
    SignedSerializer,
)

KEY = b"redis-cache-signing-key-0123"


def test_round_trip_with_prefix_and_ttl(redis_url) -> None:
    cache = RedisBackend(redis_url, prefix="app:")
    cache.set("user:1", {"name": "ada"}, ttl=30)
    cache.set("none", None)
    assert cache.get("user:1") == {"name": "ada"}
    assert cache.get("none", MISSING) is None
    assert cache.get("absent", MISSING) is MISSING
    value, left = cache.get_with_ttl("user:1")
    assert value == {"name": "ada"}
    assert 29 < left <= 30
    assert cache.get_with_ttl("none") == (None, None)
    raw = redis.Redis.from_url(redis_url)
    assert raw.pttl("app:user:1") > 29_000
    assert "user:1" in cache
    assert "absent" not in cache
    raw.close()
    cache.close()


def test_many_calls_delete_and_clear_touch_only_the_prefix(redis_url) -> None:
    raw = redis.Redis.from_url(redis_url)
    raw.set("other:keep", b"1")
    cache = RedisBackend(redis_url, prefix="app[1]*:")
    cache.set_many({"a": 1, "b": 2, "c": 3}, ttl=60)
    assert cache.get_many(["a", "b", "x"]) == {"a": 1, "b": 2}
    assert cache.delete("a") is True
    assert cache.delete("a") is False
    assert cache.delete_many(["b", "x"]) == 1
    cache.clear()
    assert cache.get("c", MISSING) is MISSING
    assert raw.get("other:keep") == b"1"
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.sets, stats.deletes) == (2, 2, 3, 2)
    assert stats.size is None
    raw.close()
    cache.close()


def test_a_tampered_signed_entry_is_a_miss(redis_url, caplog) -> None:
    cache = RedisBackend(redis_url, serializer=SignedSerializer(JsonSerializer(), signing_key=KEY))
    cache.set("role", "user")
    raw = redis.Redis.from_url(redis_url)
    raw.set("stunir:cache:role", raw.get("stunir:cache:role").replace(b"user", b"root"))
    assert cache.get("role", MISSING) is MISSING
    assert "unreadable Redis entry" in caplog.text
    assert cache.stats().errors == 1
    raw.close()
    cache.close()


def test_the_default_serializer_cannot_be_fed_a_pickle(redis_url) -> None:
    import pickle

    cache = RedisBackend(redis_url)
    raw = redis.Redis.from_url(redis_url)
    raw.set("stunir:cache:evil", pickle.dumps(print))
    assert cache.get("evil", MISSING) is MISSING
    with pytest.raises(CacheConfigError, match="allow_unsigned"):
        RedisBackend(redis_url, serializer=PickleSerializer())
    raw.close()
    cache.close()


def test_bad_arguments_are_refused(redis_url) -> None:
    with pytest.raises(CacheConfigError, match="url"):
        RedisBackend()
    with pytest.raises(CacheConfigError, match="socket_timeout"):
        RedisBackend(redis_url, socket_timeout=-1)
    with pytest.raises(CacheConfigError, match="ttl"):
        RedisBackend(redis_url, ttl=0)
    with pytest.raises(CacheConfigError, match="decode_responses"):
        RedisBackend(client=redis.Redis.from_url(redis_url, decode_responses=True))
    cache = RedisBackend(redis_url)
    with pytest.raises(SerializationError):
        cache.set("k", object())
    with pytest.raises(CacheConfigError, match="key"):
        cache.get(1)  # type: ignore[arg-type]
    cache.close()


def test_redis_down_gives_misses_then_recovers(redis_server_factory, clock, caplog) -> None:
    server = redis_server_factory()
    cache = RedisBackend(server.url, retry_after=5, clock=clock)
    cache.set("k", "v")
    server.stop()
    caplog.set_level(logging.WARNING, logger="stunir.cache")
    assert cache.get("k", MISSING) is MISSING  # the failure opens the breaker
    cache.set("k", "lost")  # a no-op
    assert cache.get_many(["k"]) == {}
    assert cache.delete("k") is False
    assert "k" not in cache
    cache.clear()
    assert caplog.text.count("is unavailable") == 1
    assert cache.stats().errors == 1  # later calls never touched the network
    server.start()
    assert cache.get("k", MISSING) is MISSING  # still open: no attempt yet
    clock.advance(5)
    cache.set("k", "back")
    assert cache.get("k") == "back"
    assert "answers again" in caplog.text
    cache.close()


def test_strict_mode_raises_instead(redis_server_factory, clock) -> None:
    server = redis_server_factory()
    cache = RedisBackend(server.url, strict=True, retry_after=2, clock=clock)
    server.stop()
    with pytest.raises(BackendUnavailableError) as first:
        cache.get("k")
    assert first.value.retry_after == 0.0
    clock.advance(0.5)
    with pytest.raises(BackendUnavailableError) as second:
        cache.set("k", 1)
    assert second.value.retry_after == pytest.approx(1.5)
    cache.close()


def test_async_calls_use_the_async_client(redis_url) -> None:
    cache = RedisBackend(redis_url)

    async def scenario() -> None:
        await cache.aset("a", (1, 2), ttl=10)
        await cache.aset_many({"b": None})
        assert await cache.aget("a") == (1, 2)
        assert await cache.aget("b", MISSING) is None
        assert await cache.aget_many(["a", "b", "c"]) == {"a": (1, 2), "b": None}
        found = await cache.aget_with_ttl("a")
        assert found is not None
        assert found[0] == (1, 2)
        assert await cache.acontains("a")
        assert await cache.adelete("a")
        assert await cache.adelete_many(["b", "x"]) == 1
        await cache.aset("c", 3)
        await cache.aclear()
        assert await cache.aget("c", MISSING) is MISSING
        await cache.aclose()

    asyncio.run(scenario())
    asyncio.run(scenario())  # a second event loop gets its own client
    assert cache.get("a", MISSING) is MISSING
    cache.close()


def test_async_calls_degrade_too(redis_server_factory, clock) -> None:
    server = redis_server_factory()
    cache = RedisBackend(server.url, clock=clock)
    server.stop()

    async def scenario() -> None:
        assert await cache.aget("k", MISSING) is MISSING
        await cache.aset("k", 1)
        assert await cache.aget_many(["k"]) == {}
        assert await cache.adelete("k") is False
        await cache.aclose()

    asyncio.run(scenario())
    assert cache.stats().errors == 1
    cache.close()


def test_leases_admit_one_holder_until_released(redis_url) -> None:
    first, second = RedisBackend(redis_url), RedisBackend(redis_url)
    token = first.acquire_lease("report", ttl=10)
    assert token is not None
    assert second.acquire_lease("report", ttl=10) is None
    second.release_lease("report", "not-the-token")  # cannot free someone else's lease
    assert second.acquire_lease("report", ttl=10) is None
    first.release_lease("report", token)
    assert second.acquire_lease("report", ttl=10) is not None
    first.close()
    second.close()


def test_delete_namespace_scans_only_that_namespace_in_batches(redis_url) -> None:
    raw = redis.Redis.from_url(redis_url)
    raw.set("users:1", b"another service, no prefix")
    other_service = RedisBackend(redis_url, prefix="app[1]*:")
    other_service.set("users:1", "theirs")
    cache = RedisBackend(redis_url, prefix="app[1]*")  # a prefix of the other's prefix
    cache.set_many({f"users:{i}": i for i in range(1200)})
    cache.set_many({"users2:1": "b", "users": "c", "posts:1": "d"})
    token = cache.acquire_lease("users:7", 30)
    assert cache.delete_namespace("users") == 1200
    assert cache.get_many(["users:0", "users2:1", "users", "posts:1"]) == {
        "users2:1": "b",
        "users": "c",
        "posts:1": "d",
    }
    assert other_service.get("users:1") == "theirs"
    assert raw.get("users:1") == b"another service, no prefix"
    assert cache.acquire_lease("users:7", 30) is None  # a lease is left to its holder
    assert token is not None
    assert cache.stats().deletes == 1200
    assert cache.delete_namespace("users") == 0
    with pytest.raises(CacheConfigError, match="namespace"):
        cache.delete_namespace("")

    async def scenario() -> int:
        removed = await cache.adelete_namespace("posts")
        await cache.aclose()
        return removed

    assert asyncio.run(scenario()) == 1
    assert cache.get("users2:1") == "b"
    for closing in (raw, other_service, cache):
        closing.close()


def test_delete_namespace_while_redis_is_down_removes_nothing(redis_server_factory, clock):
    server = redis_server_factory()
    cache = RedisBackend(server.url, retry_after=5, clock=clock)
    cache.set("users:1", 1)
    server.stop()
    assert cache.delete_namespace("users") == 0
    assert cache.stats().errors == 1
    cache.close()
