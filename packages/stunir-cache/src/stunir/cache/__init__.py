"""Memory, file and Redis cache backends, a tiered cache, @cached and cache warming."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stunir.cache.backend import MISSING, Backend, Clock, LocalAsyncMixin
from stunir.cache.decorator import (
    AsyncBoundCachedFunction,
    AsyncCachedFunction,
    BoundCachedFunction,
    CachedFunction,
    cached,
)
from stunir.cache.errors import (
    BackendUnavailableError,
    CacheConfigError,
    CacheError,
    CacheKeyError,
    SerializationError,
    SignatureError,
    UnsafeCacheDirectoryError,
)
from stunir.cache.file import FileBackend
from stunir.cache.invalidation import Invalidation
from stunir.cache.memory import MemoryBackend
from stunir.cache.serializers import (
    JsonSerializer,
    PickleSerializer,
    Serializer,
    SignedSerializer,
)
from stunir.cache.singleflight import AsyncSingleFlight, SingleFlight
from stunir.cache.stats import CacheStats
from stunir.cache.tiered import TieredCache
from stunir.cache.warming import RefreshAhead, WarmFailure, WarmReport, awarm, warm

if TYPE_CHECKING:
    from stunir.cache.redis_backend import RedisBackend
    from stunir.cache.redis_invalidation import RedisInvalidation

__version__ = "0.2.0"

__all__ = [
    "MISSING",
    "AsyncBoundCachedFunction",
    "AsyncCachedFunction",
    "AsyncSingleFlight",
    "Backend",
    "BackendUnavailableError",
    "BoundCachedFunction",
    "CacheConfigError",
    "CacheError",
    "CacheKeyError",
    "CacheStats",
    "CachedFunction",
    "Clock",
    "FileBackend",
    "Invalidation",
    "JsonSerializer",
    "LocalAsyncMixin",
    "MemoryBackend",
    "PickleSerializer",
    "RedisBackend",
    "RedisInvalidation",
    "RefreshAhead",
    "SerializationError",
    "Serializer",
    "SignatureError",
    "SignedSerializer",
    "SingleFlight",
    "TieredCache",
    "UnsafeCacheDirectoryError",
    "WarmFailure",
    "WarmReport",
    "awarm",
    "cached",
    "warm",
]

# The Redis classes need the optional redis-py (``pip install stunir-cache[redis]``): they are
# imported on first use, so everything else works without it.
_REDIS_MODULES = {
    "RedisBackend": "stunir.cache.redis_backend",
    "RedisInvalidation": "stunir.cache.redis_invalidation",
}


def __getattr__(name: str) -> Any:
    module = _REDIS_MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'stunir.cache' has no attribute {name!r}")
    import importlib

    try:
        return getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as exc:
        if exc.name != "redis":
            raise
        raise ImportError(
            f"stunir.cache.{name} needs redis-py: pip install 'stunir-cache[redis]'"
        ) from exc
