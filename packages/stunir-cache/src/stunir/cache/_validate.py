"""Checks shared by the constructors: bad input is refused with the name, value and expectation."""

from __future__ import annotations

import math

from stunir.cache.errors import CacheConfigError

_TTL_EXPECTED = "a positive number of seconds (math.inf for never) or None"


def check_ttl(ttl: float | None, name: str = "ttl") -> float | None:
    """Return ``ttl`` as a float, or None; refuse zero, negatives, NaN, bools and non-numbers."""
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int | float):
        raise CacheConfigError(name, ttl, _TTL_EXPECTED)
    if math.isnan(ttl) or ttl <= 0:
        raise CacheConfigError(name, ttl, _TTL_EXPECTED)
    return float(ttl)


def check_positive_int(value: int | None, name: str, *, allow_none: bool = True) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise CacheConfigError(
            name, value, "a positive integer" + (" or None" if allow_none else "")
        )
    return value


def check_positive_number(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise CacheConfigError(name, value, "a positive number")
    if math.isinf(value):
        raise CacheConfigError(name, value, "a finite positive number")
    return float(value)


def check_key(key: object) -> str:
    """File and Redis keys are strings: refuse anything else with a clear message."""
    if not isinstance(key, str):
        raise CacheConfigError("key", key, "a str (file and Redis backends store string keys)")
    return key
