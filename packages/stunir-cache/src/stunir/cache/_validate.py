"""Checks shared by the constructors: bad input is refused with the name, value and expectation."""

from __future__ import annotations

import math

from stunir.cache.errors import CacheConfigError

_TTL_EXPECTED = "a positive number of seconds (math.inf for never) or None"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_ttl(ttl: object, name: str = "ttl") -> float | None:
    """Return ``ttl`` as a float, or None; refuse zero, negatives, NaN, bools and non-numbers."""
    if ttl is None:
        return None
    if not isinstance(ttl, int | float) or not _is_number(ttl) or math.isnan(ttl) or ttl <= 0:
        raise CacheConfigError(name, ttl, _TTL_EXPECTED)
    return float(ttl)


def check_positive_int(value: object, name: str) -> int | None:
    """A positive int, or None (no bound)."""
    if value is None:
        return None
    return check_count(value, name, expected="a positive integer or None")


def check_count(value: object, name: str, *, expected: str = "a positive integer") -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise CacheConfigError(name, value, expected)
    return value


def check_positive_number(value: object, name: str) -> float:
    if not isinstance(value, int | float) or not _is_number(value) or not value > 0:
        raise CacheConfigError(name, value, "a positive number")
    if math.isinf(value):
        raise CacheConfigError(name, value, "a finite positive number")
    return float(value)


def check_key(key: object) -> str:
    """File and Redis keys are strings: refuse anything else with a clear message."""
    if not isinstance(key, str):
        raise CacheConfigError("key", key, "a str (file and Redis backends store string keys)")
    return key


NAMESPACE_SEPARATOR = ":"
"""Ends the namespace in a text key (``"users:(7)"``); a namespace never contains it, so the
keys of one namespace never start like those of another."""


def check_namespace(namespace: object) -> str:
    """A non-empty str without ``:``: ``"users"`` may not clear the entries of ``"users:v2"``."""
    if not isinstance(namespace, str) or not namespace or NAMESPACE_SEPARATOR in namespace:
        raise CacheConfigError(
            "namespace", namespace, "a non-empty str without ':' (':' ends the namespace in keys)"
        )
    return namespace


def check_callable(value: object, name: str, expected: str) -> None:
    if not callable(value):
        raise CacheConfigError(name, value, expected)
