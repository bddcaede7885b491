"""Clocks in seconds (what users inject) and in whole microsecond ticks (what algorithms use)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from stunir.ratelimit._validation import TICKS_PER_SECOND

Clock = Callable[[], float]
Sleep = Callable[[float], None]
AsyncSleep = Callable[[float], Awaitable[None]]


def _monotonic_ticks() -> int:
    return time.monotonic_ns() // 1000


def tick_source(clock: Clock | None) -> Callable[[], int]:
    """A function returning the current tick; the default reads the monotonic clock."""
    if clock is None:
        return _monotonic_ticks
    return lambda: round(clock() * TICKS_PER_SECOND)


def seconds(ticks: int) -> float:
    return ticks / TICKS_PER_SECOND
