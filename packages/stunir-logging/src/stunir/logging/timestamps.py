"""Record times as RFC 3339 UTC timestamps (``2026-12-03T13:02:37.123Z``), cheaply."""

from __future__ import annotations

import time

__all__ = ["rfc3339_utc"]

# The last second rendered. Replaced whole (one tuple), so threads racing on it stay correct.
_last: tuple[int, str] = (-1, "")


def _second(whole_seconds: int) -> str:
    global _last  # a one-entry cache
    cached = _last
    if cached[0] == whole_seconds:
        return cached[1]
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole_seconds))
    _last = (whole_seconds, text)
    return text


_last_milli: tuple[int, str] = (-1, "")


def rfc3339_utc(created: float, *, digits: int = 3) -> str:
    """``created`` (seconds since the epoch) in UTC with ``digits`` (3 or 6) fractional digits."""
    global _last_milli  # a one-entry cache
    if digits == 3:
        milli = int(created * 1000)
        cached = _last_milli
        if cached[0] == milli:
            return cached[1]
        text = f"{_second(milli // 1000)}.{milli % 1000:03d}Z"
        _last_milli = (milli, text)
        return text
    whole = int(created)
    fraction = min(int((created - whole) * 1_000_000), 999_999)
    return f"{_second(whole)}.{fraction:06d}Z"
