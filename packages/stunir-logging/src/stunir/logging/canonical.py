"""RFC 8785 (JSON Canonicalization Scheme) serialization, total over Python values.

The output of :func:`canonical_dumps` is one JCS document: object keys sorted by UTF-16 code
units, numbers in ECMAScript ``Number.prototype.toString`` form, strings escaped minimally, no
whitespace. Values JSON has no form for are first converted by the rules of
:func:`stunir.logging.to_json_value`, so serialization never raises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from json.encoder import encode_basestring
from typing import Any

from stunir.logging.conversion import MAX_SAFE_INTEGER, convert_key, to_json_value
from stunir.logging.ecmascript import format_number

__all__ = ["canonical_dumps", "encode_record"]

MAX_DEPTH = 64  # containers nested deeper are rendered as a marker string, never a RecursionError
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
Order = tuple[tuple[str, str], ...]
# Key order per key set, in insertion order: records from one call site share one shape.
_ORDERS: dict[tuple[object, ...], Order] = {}
_MAX_CACHED_SHAPES = 2048
_HIGH = MAX_SAFE_INTEGER
_LOW = -MAX_SAFE_INTEGER


def _float(value: float) -> str:
    text = float.__repr__(value)
    if "e" in text or "n" in text or value == 0:  # exponent, nan, inf, -0.0: the full rules
        if value - value == 0:  # finite
            return format_number(value)
        return encode_basestring(str(to_json_value(value)))
    return text[:-2] if text[-2:] == ".0" else text


def _int(value: int) -> str:
    if _LOW <= value <= _HIGH:
        return int.__repr__(value)
    return encode_basestring(str(to_json_value(value)))


def _utf16_order(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _repair(text: str) -> str:
    """Surrogate pairs joined, lone surrogates replaced by U+FFFD: the result is valid UTF-8."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _string_keyed(mapping: Mapping[Any, object]) -> dict[str, object]:
    return {convert_key(key): value for key, value in mapping.items()}


def _key_order(mapping: Mapping[Any, object]) -> tuple[Order, Mapping[Any, object], bool]:
    """Sorted (key, '"key":') pairs, the mapping with str keys, and whether to cache the order."""
    cacheable = True
    try:
        joined = "".join(mapping)  # TypeError: a key is not a str
    except TypeError:
        mapping = _string_keyed(mapping)
        joined = "".join(mapping)
        cacheable = False
    if joined.isascii():
        keys: list[str] = sorted(mapping)
    else:
        if _LONE_SURROGATE.search(joined):
            mapping = {_repair(key): value for key, value in mapping.items()}
            cacheable = False
        keys = sorted(mapping, key=_utf16_order)
    order = tuple((key, encode_basestring(key) + ":") for key in keys)
    return order, mapping, cacheable


def _object(mapping: Mapping[Any, Any], active: set[int]) -> str:
    shape = tuple(mapping)
    order = _ORDERS.get(shape)
    if order is None:
        order, mapping, cacheable = _key_order(mapping)
        if cacheable:
            if len(_ORDERS) >= _MAX_CACHED_SHAPES:
                _ORDERS.clear()
            _ORDERS[shape] = order
    # One comprehension, strings inline: the common record is mostly strings.
    return (
        "{"
        + ",".join(
            [
                prefix
                + (
                    encode_basestring(item)
                    if (kind := type(item := mapping[key])) is str
                    else _scalar(item, kind, active)
                )
                for key, prefix in order
            ]
        )
        + "}"
    )


def _scalar(item: Any, kind: type, active: set[int]) -> str:
    if kind is int and _LOW <= item <= _HIGH:
        return int.__repr__(item)
    if kind is float:
        return _float(item)
    return _value(item, active)


def _value(value: Any, active: set[int]) -> str:
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is int:
        return _int(value)
    if kind is float:
        return _float(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is dict or kind is list or kind is tuple:
        if id(value) in active:
            return '"<cycle>"'
        if len(active) >= MAX_DEPTH:
            return '"<max depth>"'
        active.add(id(value))
        try:
            if kind is dict:
                return _object(value, active)
            return "[" + ",".join([_value(item, active) for item in value]) + "]"
        finally:
            active.discard(id(value))
    return _value(to_json_value(value, encode=canonical_dumps), active)


def _finish(text: str) -> str:
    if text.isascii() or not _LONE_SURROGATE.search(text):
        return text
    return _repair(text)


def canonical_dumps(value: object) -> str:
    """``value`` as one RFC 8785 canonical JSON text; never raises (see to_json_value)."""
    return _finish(_value(value, set()))


def encode_record(fields: dict[str, object]) -> str:
    """A dict as one canonical JSON object: the formatter's entry point."""
    return _finish(_object(fields, {id(fields)}))
