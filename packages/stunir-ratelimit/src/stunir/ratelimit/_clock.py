"""Clocks in seconds (what users inject) and in whole microsecond ticks (what algorithms use)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from stunir.ratelimit._validation import TICKS_PER_SECOND

Clock = Callable[[], float]
Sleep = Callable[[float], None]
AsyncSleep = Callable[[float], Awaitable[None]]


NS_PER_TICK = 1_000_000_000 // TICKS_PER_SECOND


def nanosecond_source(clock: Clock | None) -> Callable[[], int]:
    """A function returning the time in whole nanoseconds (``// NS_PER_TICK`` gives the tick).

    The default is ``time.monotonic_ns`` itself: no Python frame on the hot path.
    """
    if clock is None:
        return time.monotonic_ns
    return lambda: round(clock() * 1_000_000_000)


def seconds(ticks: int) -> float:
    return ticks / TICKS_PER_SECOND
