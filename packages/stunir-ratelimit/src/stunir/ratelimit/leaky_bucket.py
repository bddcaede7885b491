"""Leaky bucket: a meter draining at ``rate`` per second, or a queue that shapes traffic."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stunir.ratelimit._gcra import GCRA
from stunir.ratelimit._validation import exact_span, interval_ticks, positive_count
from stunir.ratelimit.limiter import Limiter

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from stunir.ratelimit._options import LimiterOptions

__all__ = ["LeakyBucket"]


class LeakyBucket(Limiter):
    """A bucket holding ``capacity`` requests that leaks ``rate`` of them per second.

    As a meter (the default) it admits a request when the bucket has room: the same decisions
    as a ``TokenBucket`` of that rate and capacity. With ``shaping=True`` it is a queue: calls
    leave exactly ``1/rate`` seconds apart and never burst; ``wait`` books the next departure
    slot and sleeps until it (refused only when ``capacity`` requests are already queued), and
    ``acquire`` succeeds only when nobody is queued.
    """

    def __init__(
        self,
        rate: float,
        capacity: int,
        *,
        shaping: bool = False,
        **options: Unpack[LimiterOptions],
    ) -> None:
        interval = interval_ticks(rate)
        capacity = positive_count("capacity", capacity)
        exact_span("capacity / rate (the time to drain a full bucket)", capacity * interval)
        self.rate = rate
        self.capacity = capacity
        self.shaping = bool(shaping)
        kind = "leaky_queue" if shaping else "leaky_bucket"
        super().__init__(GCRA(kind, interval, capacity, shaping=self.shaping), **options)
