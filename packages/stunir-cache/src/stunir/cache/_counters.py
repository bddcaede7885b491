"""Thread-safe counters behind the ``stats()`` of the file and Redis backends."""

from __future__ import annotations

import threading

from stunir.cache.stats import CacheStats


class Counters:
    """Counts under one lock; ``snapshot`` turns them into a ``CacheStats``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values = dict.fromkeys(
            ("hits", "misses", "sets", "deletes", "evictions", "expirations", "errors"), 0
        )

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, count in counts.items():
                self._values[name] += count

    def hit(self) -> None:
        """``add(hits=1)`` without keyword arguments or ``with``: it runs on every hit."""
        self._lock.acquire()
        try:
            self._values["hits"] += 1
        finally:
            self._lock.release()

    def snapshot(self, size: int | None) -> CacheStats:
        with self._lock:
            return CacheStats(**self._values, size=size)
