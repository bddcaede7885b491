"""Token bucket: ``capacity`` tokens, refilled at ``rate`` per second; bursts up to ``capacity``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from stunir.ratelimit._gcra import GCRA
from stunir.ratelimit._validation import exact_span, interval_ticks, positive_count
from stunir.ratelimit.limiter import Limiter

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from stunir.ratelimit._options import LimiterOptions

__all__ = ["TokenBucket"]


class TokenBucket(Limiter):
    """A bucket of ``capacity`` tokens (default: one second's worth) refilled at ``rate``/s.

    Implemented as GCRA, its exact equivalent: one integer of state per key. The refill
    interval is counted in whole microseconds, rounded up, so the rate is never exceeded.
    Over any span of T seconds it admits at most ``capacity + rate * T`` tokens.
    """

    def __init__(
        self, rate: float, capacity: int | None = None, **options: Unpack[LimiterOptions]
    ) -> None:
        interval = interval_ticks(rate)
        if capacity is None:
            capacity = max(1, math.ceil(rate))
        capacity = positive_count("capacity", capacity)
        exact_span("capacity / rate (the time to refill an empty bucket)", capacity * interval)
        self.rate = rate
        self.capacity = capacity
        super().__init__(GCRA("token_bucket", interval, capacity), **options)
