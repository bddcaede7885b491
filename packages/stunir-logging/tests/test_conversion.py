"""The documented rules for values JSON has no form for: logging never raises on a value."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import fractions
import ipaddress
import math
import sys
import uuid
from pathlib import PurePosixPath

import pytest

from stunir.logging import canonical_dumps, to_json_value


class Color(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


@dataclasses.dataclass
class Point:
    x: int
    y: float


class BrokenRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


class Opaque:
    def __repr__(self) -> str:
        return "<Opaque>"


class BrokenIter(list[int]):
    def __iter__(self):  # type: ignore[no-untyped-def]
        raise RuntimeError("cannot iterate")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (math.nan, '"NaN"'),
        (math.inf, '"Infinity"'),
        (-math.inf, '"-Infinity"'),
        (2**53, '"9007199254740992"'),
        (-(2**53), '"-9007199254740992"'),
        (2**53 - 1, "9007199254740991"),
        (True, "true"),
        (None, "null"),
        (Color.RED, '"red"'),
        (Level.HIGH, "3"),
        (decimal.Decimal("0.1000"), '"0.1000"'),
        (fractions.Fraction(1, 3), '"1/3"'),
        (b"\x00\xffhi", '"AP9oaQ=="'),
        (bytearray(b"hi"), '"aGk="'),
        (datetime.datetime(2026, 12, 3, 13, 2, 37, 123000, tzinfo=datetime.timezone.utc),
         '"2026-12-03T13:02:37.123000+00:00"'),
        (datetime.datetime(2026, 12, 3, 13, 2, 37), '"2026-12-03T13:02:37"'),
        (datetime.date(2026, 12, 3), '"2026-12-03"'),
        (datetime.time(13, 2), '"13:02:00"'),
        (datetime.timedelta(minutes=1, milliseconds=500), "60.5"),
        (uuid.UUID(int=1), '"00000000-0000-0000-0000-000000000001"'),
        (PurePosixPath("/var/log/app.log"), '"/var/log/app.log"'),
        (ipaddress.ip_address("::1"), '"::1"'),
        ({3, 1, 2}, "[1,2,3]"),
        (frozenset({"b", "a", 1}), '["a","b",1]'),
        ((1, "a"), '[1,"a"]'),
        (Point(1, 2.5), '{"x":1,"y":2.5}'),
        (ValueError("bad id"), '{"message":"bad id","type":"ValueError"}'),
        (Opaque(), '"<Opaque>"'),
        (BrokenRepr(), '"<unrepresentable BrokenRepr>"'),
        (range(3), '"range(0, 3)"'),
        ({1: "int", None: "none", False: "bool", 2.5: "float"},
         '{"1":"int","2.5":"float","false":"bool","null":"none"}'),
    ],
)  # fmt: skip
def test_values_are_converted_by_the_documented_rules(value: object, expected: str) -> None:
    assert canonical_dumps(value) == expected


def test_a_hostile_container_falls_back_to_its_repr() -> None:
    assert to_json_value(BrokenIter([1])) == "[1]"


def test_sets_are_ordered_by_canonical_encoding_so_output_is_deterministic() -> None:
    values = {"zeta", "alpha", 10, 9, (1, 2)}
    first = canonical_dumps(values)
    assert first == canonical_dumps(frozenset(sorted(values, key=repr)))
    assert first == '["alpha","zeta",10,9,[1,2]]'


def test_an_int_too_long_to_print_does_not_raise() -> None:
    huge = 10**5000
    limit = getattr(sys, "get_int_max_str_digits", lambda: 0)()
    expected = '"<int of 16610 bits>"' if 0 < limit < 5001 else f'"{huge}"'
    assert canonical_dumps(huge) == expected


def test_str_and_int_subclasses_are_written_as_plain_values() -> None:
    class Name(str):
        pass

    class Count(int):
        pass

    assert canonical_dumps({Name("k"): Name("v"), "n": Count(3)}) == '{"k":"v","n":3}'
