"""Fixed window: at most ``limit`` requests in each window of ``window`` seconds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stunir.ratelimit._validation import positive_count, window_ticks
from stunir.ratelimit._windows import FixedWindowAlgorithm
from stunir.ratelimit.limiter import Limiter

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from stunir.ratelimit._options import LimiterOptions

__all__ = ["FixedWindow"]


class FixedWindow(Limiter):
    """``limit`` requests per window; windows start at multiples of ``window`` on the clock.

    The cheapest limit, but a client can spend two windows' worth across a boundary; use
    ``SlidingWindow`` when that matters.
    """

    def __init__(self, limit: int, window: float, **options: Unpack[LimiterOptions]) -> None:
        self.window = window
        algorithm = FixedWindowAlgorithm(positive_count("limit", limit), window_ticks(window))
        super().__init__(algorithm, **options)
