import datetime
import decimal
import enum
import pickle
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stunir.cache import (
    CacheConfigError,
    JsonSerializer,
    PickleSerializer,
    SerializationError,
    SignatureError,
    SignedSerializer,
)

KEY = b"0123456789abcdef-secret"


class Color(enum.IntEnum):
    RED = 1


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.binary(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=4), inner, max_size=4)
        | st.dictionaries(st.integers(), inner, max_size=3)
        | st.frozensets(st.integers(), max_size=3)
    ),
    max_leaves=12,
)


@given(json_values)
def test_json_round_trips_plain_data_with_its_types(value) -> None:
    serializer = JsonSerializer()
    assert serializer.loads(serializer.dumps(value)) == value


def test_json_keeps_the_tagged_types() -> None:
    value = {
        "when": datetime.datetime(2026, 12, 3, 14, 0, tzinfo=datetime.timezone.utc),
        "day": datetime.date(2026, 12, 3),
        "price": decimal.Decimal("1.10"),
        "id": uuid.UUID(int=7),
        "tags": {"a", "b"},
        "pair": (1, "x"),
        "\x00stunir": "a key that looks like our tag",
        (1, 2): "tuple key",
    }
    out = JsonSerializer().loads(JsonSerializer().dumps(value))
    assert out == value
    assert type(out["pair"]) is tuple


@pytest.mark.parametrize("value", [object(), Color.RED, {"a": object()}, lambda: 1])
def test_json_refuses_what_it_cannot_read_back_exactly(value) -> None:
    with pytest.raises(SerializationError, match="cannot store"):
        JsonSerializer().dumps(value)


def test_json_refuses_a_circular_value() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(SerializationError):
        JsonSerializer().dumps(loop)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"j",
        b"j ",
        b"j{",
        b"j1 2",
        b"j{}x",
        b"x[1]",
        b"\xff",
        b't{"\\u0000stunir":"evil","v":1}',
    ],
)
def test_json_refuses_bytes_it_did_not_write(data) -> None:
    with pytest.raises(SerializationError):
        JsonSerializer().loads(data)


def test_json_never_executes_a_pickle_payload() -> None:
    payload = pickle.dumps(print)
    with pytest.raises(SerializationError):
        JsonSerializer().loads(payload)


def test_signed_values_round_trip_and_tampering_is_refused() -> None:
    signed = SignedSerializer(JsonSerializer(), signing_key=KEY)
    data = signed.dumps({"a": 1})
    assert signed.loads(data) == {"a": 1}
    tampered = data[:-2] + b"2}"
    with pytest.raises(SignatureError, match="signature"):
        signed.loads(tampered)
    with pytest.raises(SignatureError, match="no signature"):
        signed.loads(b"j{}")
    other = SignedSerializer(JsonSerializer(), signing_key=b"another-key-of-16-bytes")
    with pytest.raises(SignatureError):
        other.loads(data)


def test_key_rotation_verifies_old_entries_and_signs_with_the_new_key() -> None:
    old = SignedSerializer(JsonSerializer(), signing_key=KEY)
    rotated = SignedSerializer(JsonSerializer(), signing_key=[b"the-new-key-0123456", KEY])
    assert rotated.loads(old.dumps(5)) == 5
    with pytest.raises(SignatureError):
        old.loads(rotated.dumps(5))


@pytest.mark.parametrize("key", [b"short", "", [], [b"x" * 16, b"tiny"], 12345])
def test_weak_or_malformed_signing_keys_are_refused_and_never_echoed(key) -> None:
    with pytest.raises(CacheConfigError) as info:
        SignedSerializer(JsonSerializer(), signing_key=key)
    assert "redacted" in str(info.value)


def test_pickle_needs_a_key_or_an_explicit_opt_in() -> None:
    with pytest.raises(CacheConfigError, match="allow_unsigned"):
        PickleSerializer()
    unsigned = PickleSerializer(allow_unsigned=True)
    assert unsigned.loads(unsigned.dumps({1, 2})) == {1, 2}
    assert unsigned.signed is False


def test_signed_pickle_refuses_a_planted_payload_without_running_it() -> None:
    ran: list[int] = []
    serializer = PickleSerializer(signing_key=KEY)
    assert serializer.loads(serializer.dumps(Color.RED)) is Color.RED
    planted = b"SG1" + b"\x00" * 32 + pickle.dumps(ran.append)
    with pytest.raises(SignatureError):
        serializer.loads(planted)
    assert ran == []
    assert "redacted" in repr(SignedSerializer(JsonSerializer(), signing_key=KEY))


def test_pickle_reports_unpicklable_values() -> None:
    with pytest.raises(SerializationError, match="cannot pickle"):
        PickleSerializer(signing_key=KEY).dumps(lambda: 1)
    with pytest.raises(SerializationError, match="not a valid pickle"):
        PickleSerializer(allow_unsigned=True).loads(b"garbage")
