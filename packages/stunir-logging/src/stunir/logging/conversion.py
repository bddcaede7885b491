"""How values JSON has no form for are written: the documented, total conversion rules.

``to_json_value(value)`` returns a value made of ``dict`` / ``list`` / ``str`` / ``int`` /
``float`` / ``bool`` / ``None`` (containers may still hold values that need converting; the
encoder applies these rules again to each). It never raises:

=============================  =========================================================
value                          written as
=============================  =========================================================
``float`` NaN, +-Infinity      the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``
``int`` beyond +-(2**53 - 1)   its decimal digits as a string (JSON numbers are doubles)
``bool`` / ``int`` / ``float``  subclasses (``IntEnum`` aside) as the plain value
``enum.Enum``                  its ``value``
``decimal.Decimal``            ``str(value)``, a string: exact, no rounding to a double
``fractions.Fraction``         ``str(value)``, e.g. ``"1/3"``
``bytes`` / ``bytearray``      standard base64 (RFC 4648, padded), a string
``datetime`` / ``date`` /      ``isoformat()`` (a timezone-aware datetime keeps its offset)
``time``
``timedelta``                  total seconds, a number
``UUID``, paths, IP addresses  ``str(value)``
``set`` / ``frozenset``        an array sorted by each element's canonical encoding
other mappings / sequences     an object / an array
dataclass instances            an object of its fields
exceptions                     ``{"type": qualified class name, "message": str(exc)}``
anything else                  ``repr(value)``; if repr raises, ``"<unrepresentable T>"``
=============================  =========================================================

Object keys that are not strings become strings: ``None``/``True``/``False`` as ``"null"``/
``"true"``/``"false"``, numbers by the number rules, anything else by these rules then ``str``.
Lone surrogates in strings are replaced by U+FFFD so the line is valid UTF-8.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import decimal
import enum
import fractions
import ipaddress
import math
import uuid
from collections.abc import Callable, Mapping
from pathlib import PurePath

from stunir.logging.ecmascript import format_number

__all__ = ["MAX_SAFE_INTEGER", "convert_key", "to_json_value"]

MAX_SAFE_INTEGER = 2**53 - 1
_STRINGIFIED = (uuid.UUID, PurePath, ipaddress.IPv4Address, ipaddress.IPv6Address,
                ipaddress.IPv4Network, ipaddress.IPv6Network, ipaddress.IPv4Interface,
                ipaddress.IPv6Interface, decimal.Decimal, fractions.Fraction)  # fmt: skip


def _safe_repr(value: object) -> str:
    try:
        return repr(value)
    except Exception:  # a broken __repr__ must not break logging
        return f"<unrepresentable {type(value).__qualname__}>"


def _safe_str(value: object) -> str:
    try:
        return str(value)
    except Exception:  # a broken __str__ must not break logging
        return _safe_repr(value)


def _big_int(value: int) -> str:
    try:
        return str(value)
    except ValueError:  # longer than sys.get_int_max_str_digits()
        return f"<int of {value.bit_length()} bits>"


def _float(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _exception(exc: BaseException) -> dict[str, object]:
    kind = type(exc)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    return {"type": name, "message": _safe_str(exc)}


def _sorted_set(
    values: set[object] | frozenset[object], encode: Callable[[object], str]
) -> list[object]:
    encoded = sorted((encode(item), index) for index, item in enumerate(values))
    items = list(values)
    return [items[index] for _, index in encoded]


def to_json_value(value: object, *, encode: Callable[[object], str] | None = None) -> object:
    """``value`` in a form JSON can carry, by the rules in this module's documentation.

    ``encode`` orders set elements (by their canonical encoding); without it, by ``repr``.
    """
    try:
        return _convert(value, encode or _safe_repr)
    except Exception:  # a hostile __iter__, isoformat() or property: fall back, never raise
        return _safe_repr(value)


def _convert(value: object, encode: Callable[[object], str]) -> object:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        number = int(value)
        return number if -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER else _big_int(number)
    if isinstance(value, float):
        return _float(float(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, _STRINGIFIED):
        return str(value)
    if isinstance(value, set | frozenset):
        return _sorted_set(value, encode)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, BaseException):
        return _exception(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    return _safe_repr(value)


def convert_key(key: object) -> str:
    """An object key as the string JSON requires (see the module documentation)."""
    if isinstance(key, str):
        return str.__str__(key)
    if key is None:
        return "null"
    if key is True:
        return "true"
    if key is False:
        return "false"
    converted = to_json_value(key)
    if isinstance(converted, float):
        return format_number(converted)
    if isinstance(converted, str):
        return converted
    return _safe_str(converted)
