"""The small immutable statistics record every limiter returns from ``stats()``."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LimiterStats"]


@dataclass(frozen=True, slots=True)
class LimiterStats:
    """Counters since the limiter was made, and the current level of one key.

    ``level`` is the tokens available (buckets) or the requests counted in the current window
    (windows) for the key ``stats()`` was asked about; ``None`` for stores that would need a
    network round trip to know it.
    """

    allowed: int
    denied: int
    waited: int
    wait_seconds: float
    keys: int
    level: int | None
