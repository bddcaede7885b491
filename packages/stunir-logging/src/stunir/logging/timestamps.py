"""Record times as RFC 3339 UTC timestamps (``2026-12-03T13:02:37.123Z``), cheaply."""

from __future__ import annotations

import threading
import time

__all__ = ["rfc3339_utc"]

_cache = threading.local()


def _second(whole_seconds: int) -> str:
    cached: tuple[int, str] | None = getattr(_cache, "second", None)
    if cached is not None and cached[0] == whole_seconds:
        return cached[1]
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole_seconds))
    _cache.second = (whole_seconds, text)
    return text


def rfc3339_utc(created: float, *, digits: int = 3) -> str:
    """``created`` (seconds since the epoch) in UTC with ``digits`` (3 or 6) fractional digits."""
    whole = int(created // 1)
    if digits == 6:
        fraction = min(int((created - whole) * 1_000_000), 999_999)
        return f"{_second(whole)}.{fraction:06d}Z"
    fraction = min(int((created - whole) * 1000), 999)
    return f"{_second(whole)}.{fraction:03d}Z"
