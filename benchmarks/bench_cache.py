# /// script
# dependencies = ["cachetools", "diskcache", "aiocache", "redis"]
# ///
"""stunir.cache against cachetools, functools, diskcache, aiocache and raw redis-py."""

from __future__ import annotations

import asyncio
import functools
import tempfile
import threading
from pathlib import Path

import cachetools
import diskcache
import redis
from _harness import Bench
from aiocache import SimpleMemoryCache
from aiocache import cached as aiocache_cached

from pytest_stunir import RedisServer
from stunir.cache import FileBackend, MemoryBackend, RedisBackend, TieredCache, cached

VALUE = {"id": 42, "name": "ada", "roles": ["admin", "dev"]}


def memory_cases(bench: Bench) -> None:
    ours = MemoryBackend(maxsize=1000, ttl=300)
    ttl_cache: cachetools.TTLCache[str, object] = cachetools.TTLCache(maxsize=1000, ttl=300)
    lru_cache: cachetools.LRUCache[str, object] = cachetools.LRUCache(maxsize=1000)
    lock = threading.Lock()
    ours.set("k", VALUE)
    ttl_cache["k"] = VALUE
    lru_cache["k"] = VALUE

    def ttl_locked() -> object:
        with lock:
            return ttl_cache["k"]

    bench.compare(
        "memory get hit (LRU + TTL, thread-safe)",
        lambda: ours.get("k"),
        {
            "cachetools TTLCache.get": lambda: ttl_cache.get("k"),
            "cachetools TTLCache[k] + lock": ttl_locked,
            "cachetools TTLCache[k] (unsafe)": lambda: ttl_cache["k"],
            "cachetools LRUCache[k] (no TTL)": lambda: lru_cache["k"],
        },
        target_ns=400,
    )


def decorator_cases(bench: Bench) -> None:
    @cached(backend=MemoryBackend(maxsize=1000), ttl=300)
    def ours(x: int) -> int:
        return x

    @cachetools.cached(cachetools.TTLCache(maxsize=1000, ttl=300), lock=threading.Lock())
    def theirs(x: int) -> int:
        return x

    @functools.lru_cache(maxsize=1000)
    def builtin(x: int) -> int:
        return x

    for fn in (ours, theirs, builtin):
        fn(1)
    bench.compare(
        "@cached hit",
        lambda: ours(1),
        {
            "cachetools @cached(TTLCache, lock)": lambda: theirs(1),
            "functools.lru_cache (no TTL)": lambda: builtin(1),
        },
        target_ns=1000,
    )


def async_cases(bench: Bench) -> None:
    ours = MemoryBackend(maxsize=1000, ttl=300)
    ours.set("k", VALUE)
    theirs = SimpleMemoryCache()

    async def our_get() -> object:
        return await ours.aget("k")

    async def their_get() -> object:
        return await theirs.get("k")

    async def fill() -> None:
        await theirs.set("k", VALUE, ttl=300)

    asyncio.run(fill())
    bench.compare("async memory get hit", our_get, {"aiocache SimpleMemoryCache.get": their_get})

    @cached(backend=MemoryBackend(maxsize=1000), ttl=300)
    async def our_fn(x: int) -> int:
        return x

    @aiocache_cached(ttl=300)
    async def their_fn(x: int) -> int:
        return x

    async def warm_both() -> None:
        await our_fn(1)
        await their_fn(1)

    asyncio.run(warm_both())

    async def our_call() -> int:
        return await our_fn(1)

    async def their_call() -> int:
        return await their_fn(1)

    bench.compare("async @cached hit", our_call, {"aiocache @cached (memory)": their_call})


def file_cases(bench: Bench, directory: Path) -> None:
    ours = FileBackend(directory / "stunir")
    ours.set("k", VALUE)
    theirs = diskcache.Cache(str(directory / "diskcache"))
    theirs.set("k", VALUE)
    bench.compare(
        "file get hit", lambda: ours.get("k"), {"diskcache Cache.get": lambda: theirs.get("k")}
    )
    theirs.close()


def redis_cases(bench: Bench, url: str) -> None:
    ours = RedisBackend(url)
    ours.set("k", VALUE)
    raw = redis.Redis.from_url(url)
    stored = raw.get("stunir:cache:k")
    raw.set("raw:k", stored)
    bench.compare(
        "redis get hit", lambda: ours.get("k"), {"raw redis-py GET": lambda: raw.get("raw:k")}
    )

    tiered = TieredCache(l1=MemoryBackend(maxsize=1000, ttl=300), l2=ours)
    tiered.set("k", VALUE)
    plain = MemoryBackend(maxsize=1000, ttl=300)
    plain.set("k", VALUE)
    bench.compare(
        "tiered L1 hit (Redis L2)",
        lambda: tiered.get("k"),
        {"stunir MemoryBackend.get (reference)": lambda: plain.get("k")},
    )
    tiered.close()
    ours.close()
    raw.close()


def run(bench: Bench) -> None:
    memory_cases(bench)
    decorator_cases(bench)
    async_cases(bench)
    with tempfile.TemporaryDirectory() as directory:
        file_cases(bench, Path(directory))
    server = RedisServer().start()
    try:
        redis_cases(bench, server.url)
    finally:
        server.stop()
