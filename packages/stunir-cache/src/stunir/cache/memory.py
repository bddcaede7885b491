"""An in-process LRU cache with per-entry TTL: O(1) per call, thread-safe, no timers."""

from __future__ import annotations

import math
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, Protocol

from stunir.cache._validate import (
    NAMESPACE_SEPARATOR,
    check_callable,
    check_namespace,
    check_positive_int,
    check_ttl,
)
from stunir.cache.backend import Clock, LocalAsyncMixin
from stunir.cache.stats import CacheStats

# An entry is (value, expires_at or None, size in bytes); a tuple is never None, so a dict
# lookup with a None default tells a miss apart from a cached None in one step.
_Entry = tuple[Any, float | None, int]


class _Get(Protocol):
    def __call__(self, key: Hashable, default: Any = None) -> Any: ...


class MemoryBackend(LocalAsyncMixin):
    """Least-recently-used cache bounded by ``maxsize`` entries and, optionally, ``max_bytes``.

    Every call takes one lock and reads the clock at most once; expired entries are dropped
    when they are touched or when they reach the LRU end, never by a timer or a thread.
    ``maxsize=None`` means unbounded. ``ttl`` is the default lifetime in seconds (``None``:
    entries live until evicted). ``max_bytes`` bounds the sum of ``sizeof(value)`` (shallow
    ``sys.getsizeof`` unless you pass your own); a value larger than the whole budget is not
    stored. Keys may be any hashable object.
    """

    def __init__(
        self,
        maxsize: int | None = 1024,
        *,
        ttl: float | None = None,
        max_bytes: int | None = None,
        sizeof: Callable[[Any], int] = sys.getsizeof,
        clock: Clock = time.monotonic,
    ) -> None:
        self.maxsize = check_positive_int(maxsize, "maxsize")
        self.ttl = check_ttl(ttl)
        self.max_bytes = check_positive_int(max_bytes, "max_bytes")
        check_callable(sizeof, "sizeof", "a function value -> size in bytes")
        check_callable(clock, "clock", "a function returning seconds")
        self._sizeof = sizeof
        self._clock = clock
        self._lock = threading.Lock()
        self._data: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._touch = self._data.move_to_end
        self._bytes = 0
        self._lookups = [0, 0]  # hits, misses: a list the fast ``get`` closure can reach
        self._sets = self._deletes = 0
        self._evictions = self._expirations = 0
        self.get: _Get = self._make_get()

    def _make_get(self) -> _Get:
        """``get``, the hot path: a closure over what it touches, so that a hit costs no
        bound-method creation and no attribute lookups (a fifth faster than a method)."""
        lookup, touch = self._data.get, self._touch
        acquire, release = self._lock.acquire, self._lock.release
        clock, counts, remove_expired = self._clock, self._lookups, self._remove_expired

        def get(key: Hashable, default: Any = None) -> Any:
            """The value of ``key``, or ``default`` on a miss; a hit refreshes its LRU place."""
            acquire()  # explicit acquire/release is measurably cheaper than ``with``
            try:
                entry = lookup(key)
                if entry is not None:
                    expires_at = entry[1]
                    if expires_at is None or expires_at > clock():
                        touch(key)
                        counts[0] += 1
                        return entry[0]
                    remove_expired(key, entry)
                counts[1] += 1
                return default
            finally:
                release()

        return get

    def __repr__(self) -> str:
        return (
            f"MemoryBackend(maxsize={self.maxsize}, ttl={self.ttl}, "
            f"max_bytes={self.max_bytes}, size={len(self._data)})"
        )

    def __len__(self) -> int:
        """Stored entries, including expired ones not yet dropped (see ``expire()``)."""
        return len(self._data)

    def get_with_ttl(self, key: Hashable) -> tuple[Any, float | None] | None:
        with self._lock:
            entry = self._data.get(key)
            if entry is not None:
                expires_at = entry[1]
                if expires_at is None:
                    self._touch(key)
                    self._lookups[0] += 1
                    return entry[0], None
                left = expires_at - self._clock()
                if left > 0:
                    self._touch(key)
                    self._lookups[0] += 1
                    return entry[0], left
                self._remove_expired(key, entry)
            self._lookups[1] += 1
            return None

    def __contains__(self, key: object) -> bool:
        """True for a live entry; does not count as a hit nor refresh the LRU position."""
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return False
            expires_at = entry[1]
            return expires_at is None or expires_at > self._clock()

    def set(self, key: Hashable, value: Any, ttl: float | None = None) -> None:
        lifetime = self.ttl if ttl is None else check_ttl(ttl)
        nbytes = self._sizeof(value) if self.max_bytes is not None else 0
        with self._lock:
            self._store(key, value, lifetime, nbytes, self._clock())

    def set_many(self, items: Mapping[Any, Any], ttl: float | None = None) -> None:
        lifetime = self.ttl if ttl is None else check_ttl(ttl)
        sized = [
            (key, value, self._sizeof(value) if self.max_bytes is not None else 0)
            for key, value in items.items()
        ]
        with self._lock:
            now = self._clock()
            for key, value, nbytes in sized:
                self._store(key, value, lifetime, nbytes, now)

    def get_many(self, keys: Iterable[Any]) -> dict[Any, Any]:
        found: dict[Any, Any] = {}
        with self._lock:
            now = self._clock()
            for key in keys:
                entry = self._data.get(key)
                if entry is None:
                    self._lookups[1] += 1
                elif entry[1] is not None and entry[1] <= now:
                    self._remove_expired(key, entry)
                    self._lookups[1] += 1
                else:
                    self._touch(key)
                    self._lookups[0] += 1
                    found[key] = entry[0]
        return found

    def delete(self, key: Hashable) -> bool:
        with self._lock:
            return self._delete(key)

    def delete_many(self, keys: Iterable[Any]) -> int:
        with self._lock:
            return sum(self._delete(key) for key in keys)

    def delete_namespace(self, namespace: str) -> int:
        """Remove the entries of ``namespace``: str keys ``"namespace:..."`` and tuple keys
        ``(namespace, ...)``. O(n) under the lock. Returns the live entries removed (counted
        as deletes; expired ones found on the way count as expirations)."""
        prefix = check_namespace(namespace) + NAMESPACE_SEPARATOR
        with self._lock:
            now = self._clock()
            mine = [
                (key, entry)
                for key, entry in self._data.items()
                if (type(key) is tuple and key and type(key[0]) is str and key[0] == namespace)
                or (type(key) is str and key.startswith(prefix))
            ]
            removed = 0
            for key, entry in mine:
                if entry[1] is not None and entry[1] <= now:
                    self._remove_expired(key, entry)
                else:
                    removed += self._delete(key)
            return removed

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0

    def expire(self) -> int:
        """Drop every expired entry now (O(n)); returns how many were dropped."""
        with self._lock:
            now = self._clock()
            dead = [(k, e) for k, e in self._data.items() if e[1] is not None and e[1] <= now]
            for key, entry in dead:
                self._remove_expired(key, entry)
            return len(dead)

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                hits=self._lookups[0],
                misses=self._lookups[1],
                sets=self._sets,
                deletes=self._deletes,
                evictions=self._evictions,
                expirations=self._expirations,
                size=len(self._data),
            )

    # -- private: callers hold the lock ---------------------------------------------------

    def _store(self, key: Hashable, value: Any, ttl: float | None, nbytes: int, now: float) -> None:
        old = self._data.pop(key, None)
        if old is not None:
            self._bytes -= old[2]
        self._sets += 1
        if self.max_bytes is not None and nbytes > self.max_bytes:
            self._evictions += 1  # too big to ever fit: the old value is gone, nothing stored
            return
        expires_at = None if ttl is None or ttl == math.inf else now + ttl
        self._data[key] = (value, expires_at, nbytes)
        self._bytes += nbytes
        maxsize, max_bytes = self.maxsize, self.max_bytes
        while (maxsize is not None and len(self._data) > maxsize) or (
            max_bytes is not None and self._bytes > max_bytes
        ):
            _, (_, oldest_expiry, oldest_bytes) = self._data.popitem(last=False)
            self._bytes -= oldest_bytes
            if oldest_expiry is not None and oldest_expiry <= now:
                self._expirations += 1
            else:
                self._evictions += 1

    def _remove_expired(self, key: Hashable, entry: _Entry) -> None:
        del self._data[key]
        self._bytes -= entry[2]
        self._expirations += 1

    def _delete(self, key: Hashable) -> bool:
        entry = self._data.pop(key, None)
        if entry is None:
            return False
        self._bytes -= entry[2]
        self._deletes += 1
        return True
