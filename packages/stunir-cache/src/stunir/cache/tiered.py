"""Two levels: a fast local L1 in front of a shared L2, kept coherent across processes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from stunir.cache._validate import check_ttl
from stunir.cache.backend import MISSING, Backend
from stunir.cache.errors import CacheConfigError
from stunir.cache.invalidation import Invalidation
from stunir.cache.stats import CacheStats


class TieredCache:
    """Reads L1, then L2 (copying an L2 hit into L1); writes and deletes go to both.

    A copy in L1 never outlives the entry in L2: its TTL is the smaller of L1's default and
    what L2 has left. With ``invalidation`` (made automatically when L2 is a ``RedisBackend``;
    pass ``invalidation=False`` to opt out), every write and delete is published, and other
    processes drop their L1 copies within milliseconds. Call ``close()`` to stop listening.
    """

    def __init__(
        self,
        l1: Backend,
        l2: Backend,
        *,
        invalidation: Invalidation | bool | None = None,
    ) -> None:
        for name, tier in (("l1", l1), ("l2", l2)):
            if not isinstance(tier, Backend):
                raise CacheConfigError(name, tier, "a cache backend (MemoryBackend, ...)")
        self.l1 = l1
        self.l2 = l2
        self._generation = 0  # bumped by every invalidation that arrives
        if invalidation is None or invalidation is True:
            factory = getattr(l2, "invalidation", None)
            if factory is None and invalidation is True:
                raise CacheConfigError("invalidation", True, "an Invalidation when L2 is not Redis")
            invalidation = None if factory is None else factory()
        self.invalidation: Invalidation | None = invalidation or None
        if self.invalidation is not None:
            self.invalidation.start(self._invalidated)
        self.get = self._make_get()
        self.lease_backend = getattr(l2, "lease_backend", None)

    def __repr__(self) -> str:
        return f"TieredCache(l1={self.l1!r}, l2={self.l2!r})"

    def close(self) -> None:
        if self.invalidation is not None:
            self.invalidation.close()

    def _invalidated(self, keys: Sequence[str] | None, namespace: str | None = None) -> None:
        self._generation += 1
        if namespace is not None:
            self.l1.delete_namespace(namespace)
        elif keys is None:
            self.l1.clear()
        else:
            self.l1.delete_many(keys)

    def _l1_ttl(self, seconds_left: float | None) -> float | None:
        """The L1 lifetime of a copy whose L2 entry has ``seconds_left`` (None: L1's default)."""
        l1_default = getattr(self.l1, "ttl", None)
        if seconds_left is None or (l1_default is not None and l1_default <= seconds_left):
            return None
        return seconds_left

    def _promote(self, key: str, found: tuple[Any, float | None], generation: int) -> None:
        value, seconds_left = found
        self.l1.set(key, value, self._l1_ttl(seconds_left))
        if generation != self._generation:  # an invalidation raced the L2 read: drop the copy
            self.l1.delete(key)

    def _publish(self, keys: Sequence[str] | None) -> None:
        if self.invalidation is not None:
            self.invalidation.publish(keys)

    # -- sync -----------------------------------------------------------------------------

    def _make_get(self) -> Callable[..., Any]:
        """``get``: a closure, so an L1 hit costs one call more than the L1's own ``get``."""
        l1_get, from_l2 = self.l1.get, self._from_l2

        def get(key: str, default: Any = None) -> Any:
            """L1's value, else L2's (copied into L1), else ``default``."""
            value = l1_get(key, MISSING)
            if value is not MISSING:
                return value
            found = from_l2(key)
            return default if found is None else found[0]

        return get

    def get_with_ttl(self, key: str) -> tuple[Any, float | None] | None:
        found = self.l1.get_with_ttl(key)
        return found if found is not None else self._from_l2(key)

    def _from_l2(self, key: str) -> tuple[Any, float | None] | None:
        generation = self._generation
        found = self.l2.get_with_ttl(key)
        if found is not None:
            self._promote(key, found, generation)
        return found

    def __contains__(self, key: object) -> bool:
        return key in self.l1 or key in self.l2

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        wanted = list(keys)
        found = self.l1.get_many(wanted)
        for key in wanted:
            if key not in found:
                value = self.get(key, MISSING)
                if value is not MISSING:
                    found[key] = value
        return found

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        self.set_many({key: value}, ttl)

    def _lifetime(self, ttl: float | None) -> float | None:
        """The L2 lifetime of a write: ``ttl``, or L2's default when it is None."""
        return check_ttl(ttl) if ttl is not None else getattr(self.l2, "ttl", None)

    def set_many(self, items: Mapping[str, Any], ttl: float | None = None) -> None:
        lifetime = self._lifetime(ttl)
        self.l2.set_many(items, lifetime)
        self.l1.set_many(items, None if lifetime is None else self._l1_ttl(lifetime))
        self._publish(list(items))

    def delete(self, key: str) -> bool:
        return self.delete_many([key]) > 0

    def delete_many(self, keys: Iterable[str]) -> int:
        wanted = list(keys)
        removed = self.l2.delete_many(wanted)
        removed = max(removed, self.l1.delete_many(wanted))
        self._publish(wanted)
        return removed

    def delete_namespace(self, namespace: str) -> int:
        """Remove the entries of ``namespace`` from both tiers, and from other processes' L1."""
        removed = self.l2.delete_namespace(namespace)
        removed = max(removed, self.l1.delete_namespace(namespace))
        if self.invalidation is not None:
            self.invalidation.publish_namespace(namespace)
        return removed

    def clear(self) -> None:
        self.l2.clear()
        self.l1.clear()
        self._publish(None)

    def stats(self) -> CacheStats:
        """Both tiers: hits in either, misses of L2 (a lookup neither could answer)."""
        first, second = self.l1.stats(), self.l2.stats()
        return CacheStats(
            hits=first.hits + second.hits,
            misses=second.misses,
            sets=second.sets,
            deletes=second.deletes,
            evictions=first.evictions + second.evictions,
            expirations=first.expirations + second.expirations,
            errors=first.errors + second.errors,
            size=second.size,
        )

    def acquire_lease(self, key: str, ttl: float) -> str | None:
        if self.lease_backend is None:
            raise CacheConfigError("l2", self.l2, "a backend with leases (RedisBackend)")
        return self.lease_backend.acquire_lease(key, ttl)  # type: ignore[no-any-return]

    def release_lease(self, key: str, token: str) -> None:
        if self.lease_backend is not None:
            self.lease_backend.release_lease(key, token)

    async def aacquire_lease(self, key: str, ttl: float) -> str | None:
        if self.lease_backend is None:
            raise CacheConfigError("l2", self.l2, "a backend with leases (RedisBackend)")
        return await self.lease_backend.aacquire_lease(key, ttl)  # type: ignore[no-any-return]

    async def arelease_lease(self, key: str, token: str) -> None:
        if self.lease_backend is not None:
            await self.lease_backend.arelease_lease(key, token)

    # -- async ----------------------------------------------------------------------------

    async def aget(self, key: str, default: Any = None) -> Any:
        found = await self.aget_with_ttl(key)
        return default if found is None else found[0]

    async def aget_with_ttl(self, key: str) -> tuple[Any, float | None] | None:
        found = await self.l1.aget_with_ttl(key)
        if found is not None:
            return found
        generation = self._generation
        found = await self.l2.aget_with_ttl(key)
        if found is not None:
            self._promote(key, found, generation)
        return found

    async def acontains(self, key: str) -> bool:
        return await self.l1.acontains(key) or await self.l2.acontains(key)

    async def aget_many(self, keys: Iterable[str]) -> dict[str, Any]:
        found = {}
        for key in keys:
            value = await self.aget(key, MISSING)
            if value is not MISSING:
                found[key] = value
        return found

    async def aset(self, key: str, value: Any, ttl: float | None = None) -> None:
        await self.aset_many({key: value}, ttl)

    async def aset_many(self, items: Mapping[str, Any], ttl: float | None = None) -> None:
        lifetime = self._lifetime(ttl)
        await self.l2.aset_many(items, lifetime)
        await self.l1.aset_many(items, None if lifetime is None else self._l1_ttl(lifetime))
        if self.invalidation is not None:
            await self.invalidation.apublish(list(items))

    async def adelete(self, key: str) -> bool:
        return await self.adelete_many([key]) > 0

    async def adelete_many(self, keys: Iterable[str]) -> int:
        wanted = list(keys)
        removed = await self.l2.adelete_many(wanted)
        removed = max(removed, await self.l1.adelete_many(wanted))
        if self.invalidation is not None:
            await self.invalidation.apublish(wanted)
        return removed

    async def adelete_namespace(self, namespace: str) -> int:
        removed = await self.l2.adelete_namespace(namespace)
        removed = max(removed, await self.l1.adelete_namespace(namespace))
        if self.invalidation is not None:
            await self.invalidation.apublish_namespace(namespace)
        return removed

    async def aclear(self) -> None:
        await self.l2.aclear()
        await self.l1.aclear()
        if self.invalidation is not None:
            await self.invalidation.apublish(None)
