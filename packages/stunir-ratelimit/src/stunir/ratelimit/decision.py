"""The answer of a limiter to one request, and its rendering as HTTP rate-limit headers."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Decision"]


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a request was admitted, and what the caller should know about the limit.

    ``remaining`` is how many one-token requests the limit would still admit right now;
    ``retry_after`` is 0 when admitted, else the seconds until this same request would be;
    ``reset_after`` is the seconds until the limit is back to its full, untouched state.
    """

    allowed: bool
    limit: int
    remaining: int
    retry_after: float
    reset_after: float

    def __bool__(self) -> bool:
        return self.allowed

    def headers(self) -> dict[str, str]:
        """The ``RateLimit-Limit``/``-Remaining``/``-Reset`` values, and ``Retry-After`` on refusal.

        Seconds are rounded up to whole seconds, as the header grammar requires, so a client
        that waits the advertised time is never refused again for the same reason.
        """
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(max(self.remaining, 0)),
            "RateLimit-Reset": str(math.ceil(self.reset_after)),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return headers
