"""Boundary checks shared by the constructors: bad values are refused with a clear message."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

from stunir.retry.errors import InvalidArgumentError


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentError(f"{name} must be a number, got {value!r}")
    if math.isnan(value):
        raise InvalidArgumentError(f"{name} must be a number, got NaN")
    return float(value)


def positive(name: str, value: object) -> float:
    """A finite number above zero."""
    number = _number(name, value)
    if not 0 < number < math.inf:
        raise InvalidArgumentError(f"{name} must be a finite number > 0, got {value!r}")
    return number


def non_negative(name: str, value: object) -> float:
    """A finite number, zero or above."""
    number = _number(name, value)
    if not 0 <= number < math.inf:
        raise InvalidArgumentError(f"{name} must be a finite number >= 0, got {value!r}")
    return number


def fraction(name: str, value: object) -> float:
    """A number in (0, 1]."""
    number = _number(name, value)
    if not 0 < number <= 1:
        raise InvalidArgumentError(f"{name} must be in (0, 1], got {value!r}")
    return number


def at_least(name: str, value: object, minimum: int) -> int:
    """An int no smaller than ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise InvalidArgumentError(f"{name} must be >= {minimum}, got {value!r}")
    return value


def callable_or_none(name: str, value: Any) -> Callable[..., Any] | None:
    if value is not None and not callable(value):
        raise InvalidArgumentError(f"{name} must be callable or None, got {value!r}")
    return value  # type: ignore[no-any-return]


def decoratable(decorator: str, fn: object) -> None:
    """A function whose body runs when it is called: not a generator function, whose body
    would run after the decorator returned, out of its reach."""
    if not callable(fn):
        raise InvalidArgumentError(f"{decorator} decorates callables, got {fn!r}")
    if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
        raise InvalidArgumentError(
            f"{decorator} cannot guard the generator function {fn!r}: its body runs after "
            "the call returns; decorate a function that consumes the generator instead"
        )


def exception_types(name: str, value: object) -> tuple[type[BaseException], ...]:
    """One exception class or a tuple of them, normalised to a tuple."""
    items = value if isinstance(value, tuple) else (value,)
    types: list[type[BaseException]] = []
    for item in items:
        if not (isinstance(item, type) and issubclass(item, BaseException)):
            raise InvalidArgumentError(
                f"{name} must be an exception class or a tuple of them, got {value!r}"
            )
        types.append(item)
    return tuple(types)
