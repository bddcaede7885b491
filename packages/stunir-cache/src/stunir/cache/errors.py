"""The one base exception of stunir.cache and the specific errors that carry the facts."""

from __future__ import annotations

from pathlib import Path


class CacheError(Exception):
    """Base class of every error raised by stunir.cache."""


class CacheConfigError(CacheError, ValueError):
    """An argument refused at the boundary: names the parameter, the value and what was expected."""

    def __init__(self, name: str, value: object, expected: str) -> None:
        self.name = name
        self.value = value
        self.expected = expected
        super().__init__(f"{name}={value!r} is invalid: expected {expected}")


class SerializationError(CacheError):
    """A value could not be serialized, or stored bytes could not be turned back into a value."""


class SignatureError(SerializationError):
    """Stored bytes failed their HMAC check: tampered with, or written under another key."""


class UnsafeCacheDirectoryError(CacheError, PermissionError):
    """A file cache directory that other users could write to (or that another user owns)."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"refusing to use cache directory {str(path)!r}: {reason}; other users could plant "
            "entries in it. Use a private directory (mode 0700, owned by you)"
        )


class BackendUnavailableError(CacheError):
    """A remote backend (Redis) is unreachable and the backend was created with ``strict=True``.

    ``retry_after`` is how many seconds remain before the next connection attempt (0 when
    the failure just happened and the breaker has not opened yet).
    """

    def __init__(self, backend: str, retry_after: float, reason: str) -> None:
        self.backend = backend
        self.retry_after = retry_after
        self.reason = reason
        super().__init__(
            f"{backend} is unavailable ({reason}); next attempt in {retry_after:.2f} s"
        )


class CacheKeyError(CacheError, TypeError):
    """No stable key can be built from an argument: names the function and the value's type."""

    def __init__(self, function: str, value_type: str) -> None:
        self.function = function
        self.value_type = value_type
        super().__init__(
            f"cannot build a stable cache key for {function}() from a {value_type!r} argument: "
            "give the class a __cache_key__() method returning plain data, or pass key=... "
            "to @cached"
        )
