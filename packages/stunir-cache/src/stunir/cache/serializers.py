"""How file and Redis backends turn values into bytes, and why the default cannot run code.

``JsonSerializer`` (the default) reads back only data: JSON plus tagged tuples, bytes, sets,
frozensets, non-string dict keys, datetimes, dates, decimals and UUIDs. Loading bytes that
someone else wrote can at worst give a wrong value, never run their code.
``PickleSerializer`` stores any picklable object and is signed with HMAC-SHA256 unless you
explicitly pass ``allow_unsigned=True``. ``SignedSerializer`` signs any serializer's output.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import hashlib
import hmac
import json
import pickle
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from stunir.cache.errors import CacheConfigError, SerializationError, SignatureError

_TAG = "\x00stunir"  # a dict key no JSON written by people contains
_MIN_KEY_BYTES = 16


@runtime_checkable
class Serializer(Protocol):
    """Turns values into bytes and back; both directions raise ``SerializationError``."""

    def dumps(self, value: Any) -> bytes: ...
    def loads(self, data: bytes) -> Any: ...


def _tagged(kind: str, payload: Any) -> dict[str, Any]:
    return {_TAG: kind, "v": payload}


def _encode(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is list:
        return [_encode(item) for item in value]
    if kind is dict:
        if _TAG not in value and all(type(k) is str for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return _tagged("dict", [[_encode(k), _encode(v)] for k, v in value.items()])
    encoder = _ENCODERS.get(kind)
    if encoder is None:
        raise SerializationError(
            f"JsonSerializer cannot store a value of type {kind.__qualname__!r}: it stores JSON "
            "types, tuple, bytes, set, frozenset, datetime, date, Decimal and UUID. Convert the "
            "value, or use PickleSerializer(signing_key=...)"
        )
    return encoder(value)


_ENCODERS: dict[type, Callable[[Any], Any]] = {
    tuple: lambda v: _tagged("tuple", [_encode(item) for item in v]),
    set: lambda v: _tagged("set", [_encode(item) for item in v]),
    frozenset: lambda v: _tagged("frozenset", [_encode(item) for item in v]),
    bytes: lambda v: _tagged("bytes", base64.b64encode(v).decode("ascii")),
    datetime.datetime: lambda v: _tagged("datetime", v.isoformat()),
    datetime.date: lambda v: _tagged("date", v.isoformat()),
    decimal.Decimal: lambda v: _tagged("decimal", str(v)),
    uuid.UUID: lambda v: _tagged("uuid", str(v)),
}

_DECODERS: dict[str, Callable[[Any], Any]] = {
    "tuple": tuple,
    "set": set,
    "frozenset": frozenset,
    "bytes": lambda v: base64.b64decode(v.encode("ascii"), validate=True),
    "datetime": datetime.datetime.fromisoformat,
    "date": datetime.date.fromisoformat,
    "decimal": decimal.Decimal,
    "uuid": uuid.UUID,
    "dict": lambda items: {_hashable(k): v for k, v in items},
}


def _hashable(key: Any) -> Any:
    return tuple(key) if type(key) is list else key


def _decode_object(obj: dict[str, Any]) -> Any:
    kind = obj.get(_TAG)
    if kind is None:
        return obj
    decoder = _DECODERS.get(kind) if isinstance(kind, str) else None
    if decoder is None or set(obj) != {_TAG, "v"}:
        raise SerializationError(f"unknown tagged value {kind!r} in stored JSON")
    return decoder(obj["v"])


_JSON_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
# The scanners under json's decoders: a stored value has no surrounding whitespace, so the
# decoder's whitespace handling (half of its time for small values) is skipped.
_Scan = Callable[[str, int], tuple[Any, int]]
# scan_once is set by JSONDecoder.__init__; typeshed does not declare it.
_TAGGED_SCAN: _Scan = json.JSONDecoder(object_hook=_decode_object).scan_once  # type: ignore[attr-defined]
_PLAIN_SCAN: _Scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_ENCODED_TAG = _JSON_ENCODER.encode(_TAG)[1:-1]


def _scan(scan: _Scan, text: str) -> Any:
    try:
        value, end = scan(text, 0)
    except StopIteration:  # the scanner's way of saying "no JSON value here"
        raise SerializationError("stored bytes hold no JSON value") from None
    if end != len(text):
        raise SerializationError("stored bytes hold more than one JSON value")
    return value


class JsonSerializer:
    """Compact UTF-8 JSON with tags for the common non-JSON types; never executes code on load.

    Exact types only: a subclass (an ``IntEnum``, a ``dict`` subclass) is refused rather than
    silently read back as its base type.
    """

    def __repr__(self) -> str:
        return "JsonSerializer()"

    def dumps(self, value: Any) -> bytes:
        try:
            text = _JSON_ENCODER.encode(_encode(value))
        except (TypeError, ValueError, RecursionError) as exc:  # circular or too deep
            raise SerializationError(f"JsonSerializer cannot store this value: {exc}") from exc
        # Most values hold no tagged type: mark them so loading skips the per-object hook.
        mark = b"t" if _ENCODED_TAG in text else b"j"
        return mark + text.encode("utf-8")

    def loads(self, data: bytes) -> Any:
        try:
            text = data[1:].decode("utf-8")
            mark = data[:1]
            if mark == b"j":
                return _scan(_PLAIN_SCAN, text)
            if mark == b"t":
                return _scan(_TAGGED_SCAN, text)
            raise SerializationError("stored bytes are not JsonSerializer data")
        except SerializationError:
            raise
        except (ValueError, TypeError, RecursionError, decimal.InvalidOperation) as exc:
            raise SerializationError(f"stored bytes are not valid JSON cache data: {exc}") from exc


def _signing_keys(key: bytes | str | Sequence[bytes | str]) -> tuple[bytes, ...]:
    keys = [key] if isinstance(key, bytes | str) else key
    encoded = (
        tuple(k.encode("utf-8") if isinstance(k, str) else k for k in keys)
        if isinstance(keys, list | tuple)
        else ()
    )
    if not encoded or any(not isinstance(k, bytes) or len(k) < _MIN_KEY_BYTES for k in encoded):
        raise CacheConfigError(
            "signing_key",
            "<redacted>",
            f"a secret of at least {_MIN_KEY_BYTES} bytes, or a non-empty list of them "
            "(the first signs, every one verifies: that is how a key is rotated)",
        )
    return encoded


class SignedSerializer:
    """Wraps a serializer: prefixes its bytes with an HMAC-SHA256 and refuses any mismatch.

    ``signing_key`` is a secret of at least 16 bytes, or a list of them: the first signs new
    entries, all of them verify old ones, so keys rotate without a cold cache.
    """

    _MAGIC = b"SG1"
    _DIGEST_SIZE = 32

    def __init__(self, inner: Serializer, *, signing_key: bytes | str | Sequence[bytes | str]):
        self.inner = inner
        self._keys = _signing_keys(signing_key)

    def __repr__(self) -> str:
        return f"SignedSerializer({self.inner!r}, signing_key=<redacted>)"

    def dumps(self, value: Any) -> bytes:
        payload = self.inner.dumps(value)
        digest = hmac.new(self._keys[0], payload, hashlib.sha256).digest()
        return self._MAGIC + digest + payload

    def loads(self, data: bytes) -> Any:
        head = len(self._MAGIC) + self._DIGEST_SIZE
        if len(data) < head or not data.startswith(self._MAGIC):
            raise SignatureError("stored bytes carry no signature: refusing to load them")
        digest, payload = data[len(self._MAGIC) : head], data[head:]
        for key in self._keys:
            if hmac.compare_digest(hmac.new(key, payload, hashlib.sha256).digest(), digest):
                return self.inner.loads(payload)
        raise SignatureError("stored bytes fail their signature check: tampered, or another key")


class _UnsignedPickle:
    def __init__(self, protocol: int) -> None:
        self.protocol = protocol

    def dumps(self, value: Any) -> bytes:
        try:
            return pickle.dumps(value, protocol=self.protocol)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
            raise SerializationError(
                f"cannot pickle a value of type {type(value).__qualname__!r}: {exc}"
            ) from exc

    def loads(self, data: bytes) -> Any:
        try:
            return pickle.loads(data)  # after the HMAC check, or opted in
        except Exception as exc:  # a corrupt pickle can raise nearly anything
            raise SerializationError(f"stored bytes are not a valid pickle: {exc}") from exc


class PickleSerializer:
    """Any picklable value, HMAC-signed with your key so that a planted entry is refused.

    Unsigned pickle turns write access to the cache into code execution in every reader, so
    it needs ``allow_unsigned=True``: use that only for a store no one else can write.
    """

    def __init__(
        self,
        *,
        signing_key: bytes | str | Sequence[bytes | str] | None = None,
        allow_unsigned: bool = False,
        protocol: int = pickle.HIGHEST_PROTOCOL,
    ) -> None:
        raw = _UnsignedPickle(protocol)
        self.signed = signing_key is not None
        if signing_key is not None:
            self._impl: Serializer = SignedSerializer(raw, signing_key=signing_key)
        elif allow_unsigned:
            self._impl = raw
        else:
            raise CacheConfigError(
                "signing_key",
                None,
                "a secret key (bytes, at least 16): unsigned pickle lets anyone who can write "
                "the cache run code in your process; pass allow_unsigned=True to accept that",
            )

    def __repr__(self) -> str:
        return f"PickleSerializer(signed={self.signed})"

    def dumps(self, value: Any) -> bytes:
        return self._impl.dumps(value)

    def loads(self, data: bytes) -> Any:
        return self._impl.loads(data)
