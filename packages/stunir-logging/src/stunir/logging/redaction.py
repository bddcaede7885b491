"""Masking the values of sensitive keys (``password``, ``token``, ...) anywhere in the fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from stunir.logging.errors import ConfigurationError

__all__ = ["DEFAULT_SENSITIVE_KEYS", "Redactor"]

DEFAULT_SENSITIVE_KEYS = frozenset(
    {
        "password",
        "passwd",
        "secret",
        "token",
        "authorization",
        "api_key",
        "apikey",
        "cookie",
        "private_key",
        "credentials",
    }
)
REDACTED = "[REDACTED]"


def _normalize(key: str) -> str:
    return key.lower().replace("-", "_")


class Redactor:
    """Replaces the value of every key that contains a sensitive name, at any depth.

    Matching ignores case and treats ``-`` as ``_``; a name matches inside a longer key
    (``token`` masks ``access_token`` and ``X-Auth-Token``). Inputs are never mutated:
    a changed mapping or list is a copy.
    """

    __slots__ = ("_cache", "_names", "replacement")

    def __init__(
        self, keys: Iterable[str] = DEFAULT_SENSITIVE_KEYS, *, replacement: str = REDACTED
    ) -> None:
        if isinstance(keys, str):
            raise ConfigurationError("redact", keys, "a collection of key names, not one string")
        names = tuple(_normalize(key) for key in keys)
        if not names or not all(names):
            raise ConfigurationError("redact", keys, "one or more non-empty key names")
        self._names = names
        self.replacement = replacement
        self._cache: dict[str, bool] = {}

    def is_sensitive(self, key: str) -> bool:
        known = self._cache.get(key)
        if known is None:
            normalized = _normalize(key)
            known = any(name in normalized for name in self._names)
            if len(self._cache) < 4096:  # keys are few in practice; bound it anyway
                self._cache[key] = known
        return known

    def redact(self, fields: dict[str, object]) -> dict[str, object]:
        """``fields`` with sensitive values masked (the same dict when nothing matched)."""
        return self._mapping(fields, 0)  # type: ignore[return-value]  # same key type out as in

    def redact_value(self, value: object) -> object:
        """``value`` with sensitive keys masked in any mapping it holds (a copy when changed)."""
        return self._value(value, 0)

    def _mapping(self, mapping: Mapping[Any, object], depth: int) -> Mapping[Any, object]:
        result: dict[Any, object] | None = None
        for key, value in mapping.items():
            if isinstance(key, str) and self.is_sensitive(key):
                new: object = self.replacement
            else:
                new = self._value(value, depth + 1)
            if new is not value:
                if result is None:
                    result = dict(mapping)
                result[key] = new
        return mapping if result is None else result

    def _value(self, value: object, depth: int) -> object:
        if depth > 32:
            return value
        if isinstance(value, Mapping):
            return self._mapping(value, depth)
        if isinstance(value, list | tuple):
            items = [self._value(item, depth + 1) for item in value]
            if any(new is not old for new, old in zip(items, value, strict=True)):
                return items
        return value
