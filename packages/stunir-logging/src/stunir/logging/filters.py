"""Filters that decide by level range, by field values, and by deterministic keyed sampling."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from stunir.logging.errors import ConfigurationError
from stunir.logging.levels import parse_level
from stunir.logging.records import CONTEXT_ATTR, FIELDS_ATTR, record_fields
from stunir.logging.redact_option import RedactOption, make_redactor
from stunir.logging.redaction import REDACTED
from stunir.logging.validation import require_number

__all__ = [
    "ContextFilter",
    "LevelRangeFilter",
    "RedactionFilter",
    "SamplingFilter",
    "SamplingStats",
]

_MISSING = object()
_NOTHING_RESERVED: frozenset[str] = frozenset()


class LevelRangeFilter(logging.Filter):
    """Keeps records with ``min_level <= levelno <= max_level`` (e.g. INFO..WARNING to stdout)."""

    def __init__(
        self, min_level: int | str = logging.NOTSET, max_level: int | str = logging.CRITICAL
    ) -> None:
        super().__init__()
        self.min_level = parse_level(min_level, setting="min_level")
        self.max_level = parse_level(max_level, setting="max_level")
        if self.min_level > self.max_level:
            raise ConfigurationError("max_level", max_level, f"a level >= min_level={min_level!r}")

    def filter(self, record: logging.LogRecord) -> bool:
        return self.min_level <= record.levelno <= self.max_level


class ContextFilter(logging.Filter):
    """Keeps records whose fields (context, ``extra=``, logger fields) equal every given value.

    ``ContextFilter({"tenant": "acme"})``; ``exclude=True`` drops the matching records instead.
    """

    def __init__(self, fields: Mapping[str, object], *, exclude: bool = False) -> None:
        super().__init__()
        candidate: object = fields
        if not isinstance(candidate, Mapping) or not fields:
            raise ConfigurationError("fields", fields, "a non-empty mapping of field values")
        self.fields = dict(fields)
        self.exclude = exclude

    def filter(self, record: logging.LogRecord) -> bool:
        present = record_fields(record, _NOTHING_RESERVED)
        missing = object()
        matched = all(present.get(key, missing) == value for key, value in self.fields.items())
        return matched != self.exclude


@dataclass(frozen=True, slots=True)
class SamplingStats:
    kept: int
    dropped: int


class SamplingFilter(logging.Filter):
    """Keeps a fraction ``rate`` of keys, decided by a hash: one request is kept or dropped whole.

    The key is the value of field ``key`` (default ``request_id``); the same value gives the same
    decision in every process and run (``salt`` changes the draw). Records at ``always_level``
    or above are always kept, and so are records without the key unless ``keep_unkeyed=False``.
    """

    def __init__(
        self,
        rate: float,
        *,
        key: str = "request_id",
        always_level: int | str = logging.WARNING,
        keep_unkeyed: bool = True,
        salt: str = "",
    ) -> None:
        super().__init__()
        self.rate = require_number("rate", rate, at_least=0, at_most=1)
        self.key = key
        self.always_level = parse_level(always_level, setting="always_level")
        self.keep_unkeyed = keep_unkeyed
        self._salt = salt.encode()
        self._threshold = int(self.rate * 2**64)
        self._lock = threading.Lock()
        self._kept = 0
        self._dropped = 0

    def keeps(self, value: object) -> bool:
        """The decision for one key value (stable across processes and runs)."""
        digest = hashlib.blake2b(repr(value).encode(), digest_size=8, key=self._salt[:64]).digest()
        return int.from_bytes(digest, "big") < self._threshold

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= self.always_level:
            return True
        fields = record.__dict__.get(FIELDS_ATTR)
        value = fields.get(self.key, _MISSING) if fields else _MISSING
        if value is _MISSING:
            value = record_fields(record, _NOTHING_RESERVED).get(self.key, _MISSING)
        keep = self.keep_unkeyed if value is _MISSING else self.keeps(value)
        with self._lock:
            if keep:
                self._kept += 1
            else:
                self._dropped += 1
        return keep

    def stats(self) -> SamplingStats:
        with self._lock:
            return SamplingStats(self._kept, self._dropped)


class RedactionFilter(logging.Filter):
    """Masks sensitive keys in the record's fields before any handler sees them.

    Use it where records leave through formatters that are not stunir's; stunir formatters
    also take ``redact=`` directly. The record's fields are replaced by a redacted copy; the
    values a caller passed are not mutated.
    """

    def __init__(self, redact: RedactOption = True, *, replacement: str = REDACTED) -> None:
        super().__init__()
        redactor = make_redactor(redact, replacement)
        if redactor is None:
            raise ConfigurationError("redact", redact, "True or a list of key names")
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        attributes = record.__dict__
        redactor = self._redactor
        for key in list(attributes):
            if key in (FIELDS_ATTR, CONTEXT_ATTR):
                attributes[key] = redactor.redact(attributes[key])
            elif key not in _STANDARD:
                sensitive = redactor.is_sensitive(key)
                value = attributes[key]
                attributes[key] = (
                    redactor.replacement if sensitive else redactor.redact_value(value)
                )
        if isinstance(record.args, Mapping):
            record.args = redactor.redact(dict(record.args))
        return True


_STANDARD = frozenset(vars(logging.makeLogRecord({})))
