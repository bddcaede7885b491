"""Checks for numeric settings: refuse bools, wrong types, NaN and out-of-range values."""

from __future__ import annotations

import math

from stunir.logging.errors import ConfigurationError


def require_int(setting: str, value: object, minimum: int) -> int:
    """``value`` if it is an int >= ``minimum`` (bools refused); raises ConfigurationError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigurationError(setting, value, f"an int >= {minimum}")
    return value


def require_number(
    setting: str,
    value: object,
    *,
    above: float | None = None,
    at_least: float | None = None,
    at_most: float | None = None,
) -> float:
    """``value`` as a float if it is a finite number in range; raises ConfigurationError."""
    bounds = []
    if above is not None:
        bounds.append(f"> {above}")
    if at_least is not None:
        bounds.append(f">= {at_least}")
    if at_most is not None:
        bounds.append(f"<= {at_most}")
    expected = f"a number {' and '.join(bounds)}".strip()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(setting, value, expected)
    number = float(value)
    if (
        math.isnan(number)
        or (above is not None and not number > above)
        or (at_least is not None and not number >= at_least)
        or (at_most is not None and not number <= at_most)
    ):
        raise ConfigurationError(setting, value, expected)
    return number
