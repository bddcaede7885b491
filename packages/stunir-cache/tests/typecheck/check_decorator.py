"""Typing checks for @cached: mypy reads this file; it is never executed."""

from __future__ import annotations

from collections.abc import Coroutine, Hashable
from typing import Any

from typing_extensions import assert_type

from stunir.cache import (
    MISSING,
    AsyncCachedFunction,
    Backend,
    CachedFunction,
    CacheStats,
    FileBackend,
    MemoryBackend,
    SingleFlight,
    TieredCache,
    cached,
)


@cached(backend=MemoryBackend(maxsize=100), ttl=300)
def expensive_computation(x: int, *, scale: float = 1.0) -> float:
    return x * scale


@cached(ttl=60)
async def fetch_user(user_id: int) -> dict[str, str]:
    return {"id": str(user_id)}


assert_type(expensive_computation(3), float)
assert_type(expensive_computation(3, scale=2.0), float)
assert_type(expensive_computation.invalidate(3), bool)
assert_type(expensive_computation.refresh(3), float)
assert_type(expensive_computation.cache_key(3), Hashable)
assert_type(expensive_computation.cache_info(), CacheStats)
assert_type(expensive_computation.cache_clear(), None)
expensive_computation("three")  # type: ignore[arg-type]
expensive_computation(3, scale="x")  # type: ignore[arg-type]
expensive_computation.invalidate(3, 4)  # type: ignore[call-arg]

coroutine: Coroutine[Any, Any, dict[str, str]] = fetch_user(1)
wrong_result: Coroutine[Any, Any, int] = fetch_user(1)  # type: ignore[assignment]
wrong = fetch_user("1")  # type: ignore[arg-type]
sync_view: CachedFunction[[int], dict[str, str]] = fetch_user  # type: ignore[assignment]
async_view: AsyncCachedFunction[[int], dict[str, str]] = fetch_user


async def use() -> None:
    assert_type(await fetch_user(1), dict[str, str])
    assert_type(await fetch_user.invalidate(1), bool)
    await fetch_user.cache_clear()


class Repository:
    @cached()
    def find(self, item_id: int) -> str:
        return str(item_id)


assert_type(Repository().find(1), str)
assert_type(Repository().find.invalidate(1), bool)
assert_type(Repository.find(Repository(), 1), str)

cache = TieredCache(l1=MemoryBackend(maxsize=100), l2=FileBackend(cache_dir=".cache"))
assert_type(cache.get("k", MISSING), Any)
assert_type(cache.delete_namespace("users"), int)
assert_type(MemoryBackend().delete_namespace("users"), int)
cache.delete_namespace(b"users")  # type: ignore[arg-type]


async def clear_users(backend: Backend) -> int:
    return backend.delete_namespace("users") + await backend.adelete_namespace("users")


def triple(x: int) -> int:
    return 3 * x


assert_type(SingleFlight().do("k", triple, 3), int)
SingleFlight().do("k", triple, "3")  # type: ignore[arg-type]


@cached
def bare(x: int) -> str:
    return str(x)


@cached
async def bare_async(x: int) -> str:
    return str(x)


assert_type(bare(1), str)
assert_type(bare.invalidate(1), bool)
bare("1")  # type: ignore[arg-type]
bare_coroutine: Coroutine[Any, Any, str] = bare_async(1)
