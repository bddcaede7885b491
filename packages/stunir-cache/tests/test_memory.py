import asyncio
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stunir.cache import MISSING, CacheConfigError, MemoryBackend


def test_get_returns_default_on_a_miss_and_tells_it_from_a_cached_none() -> None:
    cache = MemoryBackend(maxsize=4)
    cache.set("none", None)
    assert cache.get("none", MISSING) is None
    assert cache.get("absent", MISSING) is MISSING
    assert cache.get("absent") is None
    assert cache.get_many(["none", "absent"]) == {"none": None}


def test_least_recently_used_entry_is_evicted_first() -> None:
    cache = MemoryBackend(maxsize=3)
    for key in "abc":
        cache.set(key, key.upper())
    assert cache.get("a") == "A"  # a is now the most recently used
    cache.set("d", "D")
    assert "b" not in cache
    assert [k for k in "acd" if k in cache] == ["a", "c", "d"]
    assert cache.stats().evictions == 1
    assert len(cache) == 3


def test_overwriting_a_key_refreshes_it_without_growing() -> None:
    cache = MemoryBackend(maxsize=2)
    cache.set("a", 1)
    cache.set("b", 2)
    cache.set("a", 3)
    cache.set("c", 4)
    assert cache.get("a") == 3
    assert "b" not in cache


def test_entries_expire_in_virtual_time(clock) -> None:
    cache = MemoryBackend(maxsize=10, ttl=10, clock=clock)
    cache.set("default", 1)
    cache.set("short", 2, ttl=2)
    cache.set("forever", 3, ttl=float("inf"))
    clock.advance(1.999)
    assert cache.get("short") == 2
    clock.advance(0.001)
    assert cache.get("short", MISSING) is MISSING
    assert cache.get("default") == 1
    clock.advance(8)
    assert "default" not in cache
    assert cache.get("default", MISSING) is MISSING
    clock.advance(1e9)
    assert cache.get("forever") == 3
    assert cache.stats().expirations == 2


def test_get_with_ttl_reports_the_seconds_left(clock) -> None:
    cache = MemoryBackend(ttl=30, clock=clock)
    cache.set("k", "v")
    clock.advance(10)
    assert cache.get_with_ttl("k") == ("v", 20)
    cache.set("forever", 1, ttl=float("inf"))
    assert cache.get_with_ttl("forever") == (1, None)
    clock.advance(20)
    assert cache.get_with_ttl("k") is None


def test_expire_drops_every_expired_entry_at_once(clock) -> None:
    cache = MemoryBackend(ttl=1, clock=clock)
    cache.set_many({"a": 1, "b": 2})
    cache.set("c", 3, ttl=100)
    clock.advance(5)
    assert cache.expire() == 2
    assert len(cache) == 1


def test_expired_entries_at_the_lru_end_count_as_expirations_not_evictions(clock) -> None:
    cache = MemoryBackend(maxsize=1, ttl=1, clock=clock)
    cache.set("a", 1)
    clock.advance(2)
    cache.set("b", 2)
    assert cache.stats().expirations == 1
    assert cache.stats().evictions == 0


def test_max_bytes_bounds_the_sum_of_value_sizes() -> None:
    cache = MemoryBackend(maxsize=None, max_bytes=10, sizeof=len)
    cache.set("a", "xxxx")
    cache.set("b", "yyyy")
    cache.set("c", "zzzz")  # 12 bytes: a goes
    assert "a" not in cache
    assert cache.get("b") == "yyyy"
    cache.set("huge", "x" * 11)  # never fits: not stored, nothing else lost
    assert "huge" not in cache
    assert cache.get("c") == "zzzz"


def test_many_calls_and_deletes() -> None:
    cache = MemoryBackend()
    cache.set_many({"a": 1, "b": 2, "c": 3})
    assert cache.get_many(["a", "c", "x"]) == {"a": 1, "c": 3}
    assert cache.delete("a") is True
    assert cache.delete("a") is False
    assert cache.delete_many(["b", "c", "x"]) == 2
    assert len(cache) == 0


def test_stats_count_hits_misses_sets_and_the_ratio() -> None:
    cache = MemoryBackend()
    assert cache.stats().hit_ratio == 0.0
    cache.set("a", 1)
    cache.get("a")
    cache.get("a")
    cache.get("b")
    "a" in cache  # noqa: B015  # membership is not a lookup
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.sets, stats.size) == (2, 1, 1, 1)
    assert stats.hit_ratio == pytest.approx(2 / 3)
    with pytest.raises(AttributeError):
        stats.hits = 5  # type: ignore[misc]


def test_clear_empties_the_cache() -> None:
    cache = MemoryBackend(max_bytes=100, sizeof=len)
    cache.set("a", "x")
    cache.clear()
    assert len(cache) == 0
    assert cache.get("a") is None


def test_async_methods_behave_like_the_sync_ones() -> None:
    async def scenario() -> None:
        cache = MemoryBackend()
        await cache.aset("a", 1)
        await cache.aset_many({"b": 2})
        assert await cache.aget("a") == 1
        assert await cache.aget_many(["a", "b", "c"]) == {"a": 1, "b": 2}
        assert await cache.acontains("b")
        assert await cache.aget_with_ttl("a") == (1, None)
        assert await cache.adelete("a")
        assert await cache.adelete_many(["b"]) == 1
        await cache.aset("c", 3)
        await cache.aclear()
        assert await cache.aget("c", MISSING) is MISSING

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"maxsize": -1}, "maxsize"),
        ({"maxsize": 0}, "maxsize"),
        ({"maxsize": 1.5}, "maxsize"),
        ({"maxsize": True}, "maxsize"),
        ({"ttl": -1}, "ttl"),
        ({"ttl": 0}, "ttl"),
        ({"ttl": float("nan")}, "ttl"),
        ({"ttl": "10"}, "ttl"),
        ({"max_bytes": -5}, "max_bytes"),
        ({"clock": 5}, "clock"),
        ({"sizeof": "len"}, "sizeof"),
    ],
)
def test_bad_arguments_are_refused_with_the_name_and_value(kwargs, name) -> None:
    with pytest.raises(CacheConfigError) as info:
        MemoryBackend(**kwargs)
    assert info.value.name == name
    assert name in str(info.value)
    assert isinstance(info.value, ValueError)


def test_a_bad_per_entry_ttl_is_refused() -> None:
    cache = MemoryBackend()
    with pytest.raises(CacheConfigError, match="ttl=-3"):
        cache.set("a", 1, ttl=-3)
    assert "a" not in cache


def test_unhashable_keys_are_refused() -> None:
    with pytest.raises(TypeError, match="unhashable"):
        MemoryBackend().set(["list"], 1)  # type: ignore[arg-type]


def test_sixteen_threads_mutating_one_cache_keep_it_consistent() -> None:
    cache = MemoryBackend(maxsize=50, ttl=1000)
    start = threading.Barrier(16)
    errors: list[BaseException] = []

    def hammer(worker: int) -> None:
        start.wait()
        try:
            for i in range(2000):
                key = (worker * 7 + i) % 80
                cache.set(key, i)
                cache.get(key)
                cache.get_many([key, key + 1])
                if i % 5 == 0:
                    cache.delete(key + 2)
        except BaseException as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stats = cache.stats()
    assert stats.size == len(cache) <= 50
    assert stats.sets == 16 * 2000
    assert stats.hits + stats.misses == 16 * 2000 * 3
    assert sum(1 for key in range(90) if key in cache) == stats.size


@given(st.lists(st.tuples(st.sampled_from(["set", "get", "delete"]), st.integers(0, 9))))
def test_behaves_like_a_reference_lru(operations) -> None:
    cache = MemoryBackend(maxsize=4)
    model: list[int] = []  # keys, least recently used first
    for op, key in operations:
        if op == "set":
            if key in model:
                model.remove(key)
            model.append(key)
            if len(model) > 4:
                model.pop(0)
            cache.set(key, key)
        elif op == "get":
            assert cache.get(key, MISSING) == (key if key in model else MISSING)
            if key in model:
                model.remove(key)
                model.append(key)
        else:
            assert cache.delete(key) == (key in model)
            if key in model:
                model.remove(key)
    assert sorted(model) == sorted(k for k in range(10) if k in cache)


def test_each_call_reads_the_clock_at_most_once(clock) -> None:
    reads: list[float] = []

    def counting_clock() -> float:
        reads.append(clock())
        return clock()

    cache = MemoryBackend(maxsize=2, ttl=10, clock=counting_clock)
    cache.set_many({"a": 1, "b": 2})
    assert len(reads) == 1
    clock.advance(20)
    cache.set("c", 3)  # evicts an expired entry on the way: still one read
    assert len(reads) == 2
    cache.get("c")
    cache.get("missing")
    cache.get_many(["a", "b", "c"])
    assert len(reads) == 4  # a miss of an absent key needs no clock


def test_delete_namespace_removes_that_namespace_only(clock) -> None:
    cache = MemoryBackend(clock=clock)
    cache.set_many({"users:1": "a", "users:2": "b", "users2:1": "c", "posts:1": "d", "users": "e"})
    cache.set(("users", (1,)), "f")
    cache.set(("users2", (1,)), "g")
    cache.set("users:old", "h", ttl=5)
    clock.advance(5)
    assert cache.delete_namespace("users") == 3  # the expired one is not counted
    survivors = ["users2:1", "posts:1", "users", ("users2", (1,))]
    assert cache.get_many([*survivors, "users:1", "users:2", ("users", (1,))]) == dict(
        zip(survivors, "cdeg", strict=True)
    )
    stats = cache.stats()
    assert (stats.deletes, stats.expirations, stats.size) == (3, 1, 4)
    assert cache.delete_namespace("users") == 0
    assert asyncio.run(cache.adelete_namespace("posts")) == 1


@pytest.mark.parametrize("namespace", ["", "a:b", None, 7, b"users"])
def test_a_bad_namespace_is_refused(namespace) -> None:
    cache = MemoryBackend()
    cache.set("a:b:c", 1)
    with pytest.raises(CacheConfigError, match="namespace"):
        cache.delete_namespace(namespace)
    assert cache.get("a:b:c") == 1
