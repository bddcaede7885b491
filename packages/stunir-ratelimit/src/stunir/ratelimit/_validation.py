"""Refusal of bad arguments at the boundary, with a message naming the value and the expectation."""

from __future__ import annotations

import math

from stunir.ratelimit.errors import InvalidLimitError

# Time is counted in whole microseconds, in memory and on the Redis server alike, so the
# two stores take identical decisions; a finer interval than one tick cannot be honoured.
TICKS_PER_SECOND = 1_000_000
_MAX_SECONDS = 10 * 365 * 24 * 3600.0
_MAX_SPAN_TICKS = int(_MAX_SECONDS * TICKS_PER_SECOND)


def positive_seconds(name: str, value: object) -> float:
    """A finite positive number of seconds, up to ten years."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidLimitError(f"{name} must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value <= 0 or value > _MAX_SECONDS:
        raise InvalidLimitError(
            f"{name} must be finite, above 0 and at most ten years, got {value!r}"
        )
    return float(value)


def positive_count(name: str, value: object) -> int:
    """A whole number of requests or tokens, at least one."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidLimitError(f"{name} must be a whole number of requests, got {value!r}")
    if value < 1:
        raise InvalidLimitError(f"{name} must be at least 1 (one request), got {value!r}")
    return value


def interval_ticks(rate: object) -> int:
    """The whole ticks between two tokens at ``rate`` per second, rounded up (never faster)."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float)):
        raise InvalidLimitError(f"rate must be a number of requests per second, got {rate!r}")
    if not math.isfinite(rate) or rate <= 0:
        raise InvalidLimitError(f"rate must be finite and above 0 per second, got {rate!r}")
    if rate > TICKS_PER_SECOND:
        raise InvalidLimitError(
            f"rate must be at most {TICKS_PER_SECOND} per second (one per microsecond), "
            f"got {rate!r}"
        )
    interval = math.ceil(TICKS_PER_SECOND / rate)
    if interval > _MAX_SECONDS * TICKS_PER_SECOND:
        raise InvalidLimitError(f"rate must be at least one per ten years, got {rate!r}")
    return interval


def exact_span(what: str, ticks: int) -> int:
    """Refuse spans the Redis scripts could not compute exactly (Lua numbers are doubles)."""
    if ticks > _MAX_SPAN_TICKS:
        raise InvalidLimitError(
            f"{what} is {ticks / TICKS_PER_SECOND:.3g} s; at most ten years can be "
            "computed exactly, in memory and on Redis alike"
        )
    return ticks


def exact_product(what: str, product: int) -> int:
    """Refuse products of counts and ticks beyond 2**51: Lua's doubles must hold them exactly."""
    if product > 2**51:
        raise InvalidLimitError(
            f"{what} is {product:.3g} request-microseconds; at most 2**51 can be computed "
            "exactly on Redis: use a shorter window or a smaller limit"
        )
    return product


def window_ticks(window: object) -> int:
    return max(1, round(positive_seconds("window", window) * TICKS_PER_SECOND))


def request_cost(tokens: object, limit: int) -> int:
    """A request's size: whole tokens from 1 to the limit (a larger one could never pass)."""
    cost = positive_count("tokens", tokens)
    if cost > limit:
        raise InvalidLimitError(
            f"tokens={cost} can never be admitted by a limit of {limit}; split the request"
        )
    return cost


def optional_timeout(timeout: object) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise InvalidLimitError(f"timeout must be a number of seconds or None, got {timeout!r}")
    if math.isnan(timeout) or timeout < 0:
        raise InvalidLimitError(f"timeout must be 0 or more seconds, got {timeout!r}")
    return float(timeout)
