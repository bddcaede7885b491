"""Sliding windows: an exact log, and an approximate counter in constant memory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stunir.ratelimit._validation import exact_product, positive_count, window_ticks
from stunir.ratelimit._windows import SlidingCounterAlgorithm, SlidingLogAlgorithm
from stunir.ratelimit.limiter import Limiter

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from stunir.ratelimit._options import LimiterOptions

__all__ = ["ApproximateSlidingWindow", "SlidingWindow"]


class SlidingWindow(Limiter):
    """Exact: never more than ``limit`` requests in any trailing ``window`` seconds.

    Memory cost: it remembers each admission still inside the window, so up to ``limit``
    entries per active key (admissions within one microsecond share an entry); on Redis, a
    list of that length. For large limits in constant memory use ``ApproximateSlidingWindow``.
    """

    def __init__(self, limit: int, window: float, **options: Unpack[LimiterOptions]) -> None:
        self.window = window
        algorithm = SlidingLogAlgorithm(positive_count("limit", limit), window_ticks(window))
        super().__init__(algorithm, **options)


class ApproximateSlidingWindow(Limiter):
    """A sliding window estimated from two counters: O(1) memory, but not exact.

    It weighs the previous window's count by the share of it still inside the trailing window,
    which is exact for evenly spread traffic; uneven traffic across a window boundary can see
    somewhat more than ``limit`` admitted within some trailing ``window`` seconds.
    """

    def __init__(self, limit: int, window: float, **options: Unpack[LimiterOptions]) -> None:
        self.window = window
        limit = positive_count("limit", limit)
        ticks = window_ticks(window)
        exact_product("limit x window", limit * ticks)
        algorithm = SlidingCounterAlgorithm(limit, ticks)
        super().__init__(algorithm, **options)
