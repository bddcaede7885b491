"""The immutable statistics record every cache object returns from ``stats()``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CacheStats:
    """Counters since the cache object was created (or since ``clear()`` for ``size``).

    ``size`` is the number of stored entries, or ``None`` where counting them would cost a
    scan of a shared server (Redis). ``errors`` counts backend failures turned into misses.
    """

    hits: int = 0
    misses: int = 0
    sets: int = 0
    deletes: int = 0
    evictions: int = 0
    expirations: int = 0
    errors: int = 0
    size: int | None = 0

    @property
    def hit_ratio(self) -> float:
        """Hits divided by lookups, 0.0 before the first lookup."""
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0
