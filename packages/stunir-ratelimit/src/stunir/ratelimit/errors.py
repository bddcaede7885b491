"""The package's exceptions: one base class, and subclasses that carry the facts a caller needs."""

from __future__ import annotations

from collections.abc import Hashable

__all__ = ["InvalidLimitError", "RateLimitError", "RateLimitExceeded"]


class RateLimitError(Exception):
    """Base class of every exception raised by ``stunir.ratelimit``."""


class InvalidLimitError(RateLimitError, ValueError):
    """A rate, capacity, window or request size that no limiter can honour."""


class RateLimitExceeded(RateLimitError):
    """A call was refused by a limit; ``retry_after`` seconds from now it would be admitted."""

    def __init__(self, name: str, retry_after: float, key: Hashable = None) -> None:
        self.name = name
        self.retry_after = retry_after
        self.key = key
        who = "" if key is None else f" for key {key!r}"
        super().__init__(f"rate limit {name!r} exceeded{who}; retry after {retry_after:.6g} s")

    def __reduce__(self) -> tuple[type[RateLimitExceeded], tuple[str, float, Hashable]]:
        return type(self), (self.name, self.retry_after, self.key)  # survives pickling
