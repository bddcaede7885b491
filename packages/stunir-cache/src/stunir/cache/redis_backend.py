"""A cache in Redis, shared by every process and host; degrades to misses when Redis is down."""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

import redis
import redis.asyncio
from redis.backoff import NoBackoff
from redis.retry import Retry

from stunir.cache._breaker import OutageBreaker
from stunir.cache._counters import Counters
from stunir.cache._validate import (
    NAMESPACE_SEPARATOR,
    check_key,
    check_namespace,
    check_positive_number,
    check_ttl,
)
from stunir.cache.backend import Clock
from stunir.cache.errors import CacheConfigError, SerializationError
from stunir.cache.redis_invalidation import RedisInvalidation
from stunir.cache.serializers import JsonSerializer, Serializer
from stunir.cache.stats import CacheStats

logger = logging.getLogger("stunir.cache")

_FAILURES = (redis.RedisError, OSError)
_LEASE_MARK = "\x00lease:"
_LEASE_MARK_BYTES = _LEASE_MARK.encode("utf-8")
_BATCH = 500  # keys per SCAN page and per UNLINK
T = TypeVar("T")
# Delete the lease only if it still holds our token: an expired lease may belong to another host.
_RELEASE_LEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def _milliseconds(ttl: float | None) -> int | None:
    return None if ttl is None or ttl == math.inf else max(1, math.ceil(ttl * 1000))


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


class RedisBackend:
    """Values in Redis under ``prefix``, through redis-py (``pip install stunir-cache[redis]``).

    Give a ``url`` (sync and async clients are made from it, with ``socket_timeout`` seconds
    to connect and to answer, and no hidden retries), or your own ``client`` /
    ``async_client`` (``decode_responses`` must be off). Values go through ``serializer``
    (``JsonSerializer`` by default, which cannot run code on load; a pickle serializer must
    be signed). When Redis fails, reads become misses and writes no-ops for ``retry_after``
    seconds without touching the network, logged once; with ``strict=True`` they raise
    ``BackendUnavailableError`` instead. Async methods (``aget``, ...) use the async client,
    one per event loop; call ``aclose()`` before a loop ends, ``close()`` when done.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: redis.Redis | None = None,
        async_client: redis.asyncio.Redis | None = None,
        prefix: str = "stunir:cache:",
        serializer: Serializer | None = None,
        ttl: float | None = None,
        socket_timeout: float = 0.25,
        retry_after: float = 5.0,
        strict: bool = False,
        clock: Clock = time.monotonic,
    ) -> None:
        if url is None and client is None and async_client is None:
            raise CacheConfigError("url", None, "a redis:// URL, a client or an async_client")
        if url is not None and not isinstance(url, str):
            raise CacheConfigError("url", url, "a redis://, rediss:// or unix:// URL string")
        if not isinstance(prefix, str):
            raise CacheConfigError("prefix", prefix, "a str")
        self.url = url
        self.prefix = prefix
        self.ttl = check_ttl(ttl)
        self.socket_timeout = check_positive_number(socket_timeout, "socket_timeout")
        self.serializer: Serializer = JsonSerializer() if serializer is None else serializer
        if not isinstance(self.serializer, Serializer):
            raise CacheConfigError("serializer", serializer, "an object with dumps() and loads()")
        self.breaker = OutageBreaker(
            f"Redis cache {prefix!r}",
            retry_after=check_positive_number(retry_after, "retry_after"),
            clock=clock,
            strict=strict,
        )
        self._client = client if client is not None else self._make_client(redis.Redis)
        self._async_client = async_client
        self._async_clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, redis.asyncio.Redis
        ] = weakref.WeakKeyDictionary()
        for given in (client, async_client):
            if given is not None and given.get_connection_kwargs().get("decode_responses"):
                raise CacheConfigError(
                    "client", given, "a client with decode_responses=False (values are bytes)"
                )
        self._counters = Counters()
        self._pattern = _glob_escape(prefix) + "*"

    def _make_client(self, cls: Any) -> Any:
        if self.url is None:
            return None
        return cls.from_url(
            self.url,
            socket_timeout=self.socket_timeout,
            socket_connect_timeout=self.socket_timeout,
            retry=Retry(NoBackoff(), 0),  # the breaker decides when to try again
            decode_responses=False,
        )

    def __repr__(self) -> str:
        return f"RedisBackend(prefix={self.prefix!r}, strict={self.breaker.strict})"

    @property
    def client(self) -> redis.Redis:
        if self._client is None:
            raise CacheConfigError("client", None, "a sync client or url for sync calls")
        return self._client

    def async_client(self) -> redis.asyncio.Redis:
        """The async client for the running event loop (made from ``url`` on first use)."""
        if self._async_client is not None:
            return self._async_client
        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            client = self._make_client(redis.asyncio.Redis)
            if client is None:
                raise CacheConfigError("async_client", None, "an async client or url")
            self._async_clients[loop] = client
        return client

    @property
    def lease_backend(self) -> RedisBackend:
        """This backend: it can hand out leases (see ``acquire_lease``)."""
        return self

    def invalidation(self, channel: str | None = None) -> RedisInvalidation:
        """A ``RedisInvalidation`` on this server, for a ``TieredCache`` with this L2."""
        return RedisInvalidation(
            self.client,
            channel=channel or f"{self.prefix}invalidate",
            async_client=self.async_client,
            breaker=self.breaker,
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        """Close the async client of the running loop (the one given, or the one made)."""
        if self._async_client is not None:
            await self._async_client.aclose()
            return
        client = self._async_clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()

    # -- the pieces shared by sync and async calls ----------------------------------------

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _lease_key(self, key: str) -> str:
        return self._key(key) + _LEASE_MARK

    def _encode(
        self, items: Mapping[str, Any], ttl: float | None
    ) -> list[tuple[str, bytes, int | None]]:
        px = _milliseconds(self.ttl if ttl is None else check_ttl(ttl))
        return [(self._key(key), self.serializer.dumps(value), px) for key, value in items.items()]

    def _guarded(self, call: Callable[[], T], fallback: T) -> T:
        """Run one Redis call behind the breaker: ``fallback`` while it is open or on failure."""
        if self.breaker.open_until and self.breaker.blocked():
            return fallback
        try:
            result = call()
        except _FAILURES as exc:
            self._failed(exc)
            return fallback
        self.breaker.succeeded()
        return result

    async def _aguarded(self, call: Callable[[], Awaitable[T]], fallback: T) -> T:
        if self.breaker.open_until and self.breaker.blocked():
            return fallback
        try:
            result = await call()
        except _FAILURES as exc:
            self._failed(exc)
            return fallback
        self.breaker.succeeded()
        return result

    def _failed(self, error: BaseException) -> None:
        self._counters.add(errors=1)
        self.breaker.failed(error)

    def _decode(self, key: str, data: Any) -> Any:
        """The value, or ``_ABSENT`` for a miss or an unreadable entry."""
        if data is None or data is _ABSENT:
            return _ABSENT
        try:
            return self.serializer.loads(data)
        except SerializationError as exc:
            logger.warning("stunir.cache: ignoring unreadable Redis entry %r (%s)", key, exc)
            self._counters.add(errors=1)
            return _ABSENT

    def _result(self, key: str, data: Any, default: Any) -> Any:
        value = self._decode(key, data)
        if value is _ABSENT:
            self._counters.add(misses=1)
            return default
        self._counters.hit()
        return value

    def _with_ttl(self, key: str, reply: Any) -> tuple[Any, float | None] | None:
        data, pttl = reply
        value = self._result(key, data, _ABSENT)
        if value is _ABSENT:
            return None
        return value, (None if pttl < 0 else pttl / 1000)

    def _found(self, keys: list[str], values: list[Any] | None) -> dict[str, Any]:
        found = {}
        for key, data in zip(keys, values or [None] * len(keys), strict=True):
            value = self._decode(key, data)
            if value is not _ABSENT:
                found[key] = value
        self._counters.add(hits=len(found), misses=len(keys) - len(found))
        return found

    def _deleted(self, removed: int) -> int:
        self._counters.add(deletes=removed)
        return removed

    def _written(self, count: int) -> None:
        self._counters.add(sets=count)

    def stats(self) -> CacheStats:
        """Counters of this process; ``size`` is None (counting would scan the server)."""
        return self._counters.snapshot(size=None)

    # -- sync -----------------------------------------------------------------------------

    def get(self, key: str, default: Any = None) -> Any:
        name = self._key(key)
        return self._result(key, self._guarded(lambda: self.client.get(name), _ABSENT), default)

    def get_with_ttl(self, key: str) -> tuple[Any, float | None] | None:
        name = self._key(key)

        def call() -> Any:
            pipe = self.client.pipeline(transaction=False)
            pipe.get(name)
            pipe.pttl(name)
            return pipe.execute()

        return self._with_ttl(key, self._guarded(call, (None, -2)))

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        name = self._key(key)
        return bool(self._guarded(lambda: self.client.exists(name), 0))

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        wanted = list(keys)
        names = [self._key(key) for key in wanted]
        if not names:
            return {}
        return self._found(wanted, self._guarded(lambda: self.client.mget(names), None))

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        self.set_many({key: value}, ttl)

    def set_many(self, items: Mapping[str, Any], ttl: float | None = None) -> None:
        encoded = self._encode(items, ttl)

        def call() -> int:
            pipe = self.client.pipeline(transaction=False)
            for name, data, px in encoded:
                pipe.set(name, data, px=px)
            pipe.execute()
            return len(encoded)

        if encoded:
            self._written(self._guarded(call, 0))

    def delete(self, key: str) -> bool:
        return self.delete_many([key]) == 1

    def delete_many(self, keys: Iterable[str]) -> int:
        names = [self._key(key) for key in keys]
        if not names:
            return 0
        return self._deleted(int(self._guarded(lambda: self.client.delete(*names), 0)))

    def _namespace_pattern(self, namespace: str) -> str:
        return _glob_escape(self.prefix + check_namespace(namespace) + NAMESPACE_SEPARATOR) + "*"

    def delete_namespace(self, namespace: str) -> int:
        """Remove the entries whose key starts with ``namespace:`` (SCAN over that pattern,
        UNLINK in batches of 500; never KEYS or FLUSHDB). Leases are left to expire. Returns
        the entries removed (0 while Redis is unavailable)."""
        pattern = self._namespace_pattern(namespace)
        return self._deleted(self._guarded(lambda: self._unlink_scan(pattern, leases=False), 0))

    def clear(self) -> None:
        """Remove every key under this backend's prefix (SCAN and UNLINK, never FLUSHDB)."""
        self._guarded(lambda: self._unlink_scan(self._pattern, leases=True), 0)

    def _unlink_scan(self, pattern: str, *, leases: bool) -> int:
        client, removed = self.client, 0
        batch: list[bytes] = []
        for name in client.scan_iter(match=pattern, count=_BATCH):
            if leases or not name.endswith(_LEASE_MARK_BYTES):
                batch.append(name)
            if len(batch) >= _BATCH:
                removed += client.unlink(*batch)
                batch.clear()
        if batch:
            removed += client.unlink(*batch)
        return removed

    def acquire_lease(self, key: str, ttl: float) -> str | None:
        """Try to become the one host that recomputes ``key``: a token, or None if another is.

        When Redis is down the caller gets a token anyway: recompute locally rather than wait.
        """
        token = uuid.uuid4().hex
        name, px = self._lease_key(key), _milliseconds(ttl)
        won = self._guarded(lambda: bool(self.client.set(name, token, nx=True, px=px)), True)
        return token if won else None

    def release_lease(self, key: str, token: str) -> None:
        name = self._lease_key(key)
        self._guarded(lambda: self.client.eval(_RELEASE_LEASE, 1, name, token), None)

    # -- async ----------------------------------------------------------------------------

    async def aget(self, key: str, default: Any = None) -> Any:
        name = self._key(key)
        data = await self._aguarded(lambda: self.async_client().get(name), _ABSENT)
        return self._result(key, data, default)

    async def aget_with_ttl(self, key: str) -> tuple[Any, float | None] | None:
        name = self._key(key)

        async def call() -> Any:
            pipe = self.async_client().pipeline(transaction=False)
            pipe.get(name)
            pipe.pttl(name)
            return await pipe.execute()

        return self._with_ttl(key, await self._aguarded(call, (None, -2)))

    async def acontains(self, key: str) -> bool:
        name = self._key(key)
        return bool(await self._aguarded(lambda: self.async_client().exists(name), 0))

    async def aget_many(self, keys: Iterable[str]) -> dict[str, Any]:
        wanted = list(keys)
        names = [self._key(key) for key in wanted]
        if not names:
            return {}
        values = await self._aguarded(lambda: self.async_client().mget(names), None)
        return self._found(wanted, values)

    async def aset(self, key: str, value: Any, ttl: float | None = None) -> None:
        await self.aset_many({key: value}, ttl)

    async def aset_many(self, items: Mapping[str, Any], ttl: float | None = None) -> None:
        encoded = self._encode(items, ttl)

        async def call() -> int:
            pipe = self.async_client().pipeline(transaction=False)
            for name, data, px in encoded:
                pipe.set(name, data, px=px)
            await pipe.execute()
            return len(encoded)

        if encoded:
            self._written(await self._aguarded(call, 0))

    async def adelete(self, key: str) -> bool:
        return await self.adelete_many([key]) == 1

    async def adelete_many(self, keys: Iterable[str]) -> int:
        names = [self._key(key) for key in keys]
        if not names:
            return 0
        removed = await self._aguarded(lambda: self.async_client().delete(*names), 0)
        return self._deleted(int(removed))

    async def adelete_namespace(self, namespace: str) -> int:
        pattern = self._namespace_pattern(namespace)
        removed = await self._aguarded(lambda: self._aunlink_scan(pattern, leases=False), 0)
        return self._deleted(removed)

    async def aclear(self) -> None:
        await self._aguarded(lambda: self._aunlink_scan(self._pattern, leases=True), 0)

    async def _aunlink_scan(self, pattern: str, *, leases: bool) -> int:
        client, removed = self.async_client(), 0
        batch: list[bytes] = []
        async for name in client.scan_iter(match=pattern, count=_BATCH):
            if leases or not name.endswith(_LEASE_MARK_BYTES):
                batch.append(name)
            if len(batch) >= _BATCH:
                removed += await client.unlink(*batch)
                batch.clear()
        if batch:
            removed += await client.unlink(*batch)
        return removed

    async def aacquire_lease(self, key: str, ttl: float) -> str | None:
        token = uuid.uuid4().hex
        name, px = self._lease_key(key), _milliseconds(ttl)
        won: object = await self._aguarded(
            lambda: self.async_client().set(name, token, nx=True, px=px), True
        )
        return token if won else None

    async def arelease_lease(self, key: str, token: str) -> None:
        name = self._lease_key(key)
        await self._aguarded(lambda: self.async_client().eval(_RELEASE_LEASE, 1, name, token), None)


class _Absent:
    """A miss inside this module (MISSING is for callers; this never leaves the module)."""


_ABSENT: Any = _Absent()
