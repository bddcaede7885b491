"""The protocol every backend (and the tiered cache) implements, and the MISSING sentinel."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Protocol, runtime_checkable

from stunir.cache.stats import CacheStats

Clock = Callable[[], float]
"""A function returning seconds as a float: ``time.monotonic`` in memory, ``time.time`` on disk."""


class _Missing(enum.Enum):
    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing.MISSING
"""Pass as ``default`` to tell a miss from a cached None: ``cache.get(k, MISSING) is MISSING``."""


@runtime_checkable
class Backend(Protocol):
    """A key-value cache with per-entry TTL, usable from threads and from coroutines.

    ``get`` returns ``default`` on a miss; ``get_many`` leaves missing keys out of its result,
    so a cached ``None`` is never confused with a miss. ``ttl=None`` means the backend's default.
    ``get_with_ttl`` returns ``(value, seconds_left)`` (``None`` seconds when the entry never
    expires) or ``None`` on a miss; the tiered cache uses it to bound L1 lifetimes.
    ``delete_namespace(ns)`` removes the entries of one namespace only (keys ``"ns:..."``, and
    in memory tuples ``(ns, ...)``, as ``@cached`` builds them) and returns how many live
    entries it removed; ``clear`` empties the whole backend.
    """

    def get(self, key: str, default: Any = None) -> Any: ...
    def get_with_ttl(self, key: str) -> tuple[Any, float | None] | None: ...
    def set(self, key: str, value: Any, ttl: float | None = None) -> None: ...
    def delete(self, key: str) -> bool: ...
    def delete_namespace(self, namespace: str) -> int: ...
    def clear(self) -> None: ...
    def __contains__(self, key: object) -> bool: ...
    def get_many(self, keys: Iterable[str]) -> dict[str, Any]: ...
    def set_many(self, items: Mapping[str, Any], ttl: float | None = None) -> None: ...
    def delete_many(self, keys: Iterable[str]) -> int: ...
    def stats(self) -> CacheStats: ...

    async def aget(self, key: str, default: Any = None) -> Any: ...
    async def aget_with_ttl(self, key: str) -> tuple[Any, float | None] | None: ...
    async def aset(self, key: str, value: Any, ttl: float | None = None) -> None: ...
    async def adelete(self, key: str) -> bool: ...
    async def adelete_namespace(self, namespace: str) -> int: ...
    async def aclear(self) -> None: ...
    async def acontains(self, key: str) -> bool: ...
    async def aget_many(self, keys: Iterable[str]) -> dict[str, Any]: ...
    async def aset_many(self, items: Mapping[str, Any], ttl: float | None = None) -> None: ...
    async def adelete_many(self, keys: Iterable[str]) -> int: ...


class LocalAsyncMixin:
    """Async methods for a local backend whose calls never wait on a network: they run inline.

    Memory calls take well under a microsecond and file calls tens of microseconds, less than
    a hop to a worker thread would cost, so the event loop runs them directly.
    """

    def get(self, key: str, default: Any = None) -> Any:
        raise NotImplementedError

    def get_with_ttl(self, key: str) -> tuple[Any, float | None] | None:
        raise NotImplementedError

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        raise NotImplementedError

    def delete(self, key: str) -> bool:
        raise NotImplementedError

    def delete_namespace(self, namespace: str) -> int:
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    def __contains__(self, key: object) -> bool:
        raise NotImplementedError

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        raise NotImplementedError

    def set_many(self, items: Mapping[str, Any], ttl: float | None = None) -> None:
        raise NotImplementedError

    def delete_many(self, keys: Iterable[str]) -> int:
        raise NotImplementedError

    async def aget(self, key: str, default: Any = None) -> Any:
        return self.get(key, default)

    async def aget_with_ttl(self, key: str) -> tuple[Any, float | None] | None:
        return self.get_with_ttl(key)

    async def aset(self, key: str, value: Any, ttl: float | None = None) -> None:
        self.set(key, value, ttl)

    async def adelete(self, key: str) -> bool:
        return self.delete(key)

    async def adelete_namespace(self, namespace: str) -> int:
        return self.delete_namespace(namespace)

    async def aclear(self) -> None:
        self.clear()

    async def acontains(self, key: str) -> bool:
        return key in self

    async def aget_many(self, keys: Iterable[str]) -> dict[str, Any]:
        return self.get_many(keys)

    async def aset_many(self, items: Mapping[str, Any], ttl: float | None = None) -> None:
        self.set_many(items, ttl)

    async def adelete_many(self, keys: Iterable[str]) -> int:
        return self.delete_many(keys)
