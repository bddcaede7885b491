"""@cached: memoize sync and async functions in any backend, with stampede protection."""

from __future__ import annotations

import asyncio
import functools
import inspect
import math
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, Protocol, TypeVar, cast, overload

from stunir.cache._validate import check_positive_number, check_ttl
from stunir.cache.backend import MISSING, Backend, Clock, LocalAsyncMixin
from stunir.cache.errors import CacheConfigError
from stunir.cache.keys import (
    KeyBuilder,
    custom_key_builder,
    object_key_builder,
    string_key_builder,
)
from stunir.cache.memory import MemoryBackend
from stunir.cache.methods import CachedMethod
from stunir.cache.singleflight import AsyncSingleFlight, SingleFlight
from stunir.cache.stats import CacheStats

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class BoundCachedFunction(Protocol[R_co]):
    """A cached method read from an instance: the controls pass the instance along."""

    def __call__(self, *args: Any, **kwargs: Any) -> R_co: ...
    def invalidate(self, *args: Any, **kwargs: Any) -> bool: ...
    def refresh(self, *args: Any, **kwargs: Any) -> R_co: ...
    def cache_key(self, *args: Any, **kwargs: Any) -> Hashable: ...


class AsyncBoundCachedFunction(Protocol[R_co]):
    """An async cached method read from an instance."""

    def __call__(self, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, R_co]: ...
    async def invalidate(self, *args: Any, **kwargs: Any) -> bool: ...
    async def refresh(self, *args: Any, **kwargs: Any) -> R_co: ...
    def cache_key(self, *args: Any, **kwargs: Any) -> Hashable: ...


class CachedFunction(Protocol[P, R_co]):
    """What ``@cached`` makes of a plain function: the function, plus cache controls.

    On a method (first parameter ``self``), ``self`` is part of the key and
    ``obj.method.invalidate(x)`` invalidates ``obj``'s entry.
    """

    backend: Backend
    namespace: str

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R_co: ...
    def __get__(
        self, instance: object, owner: type[Any] | None = None
    ) -> BoundCachedFunction[R_co]: ...
    def invalidate(self, *args: P.args, **kwargs: P.kwargs) -> bool: ...
    def refresh(self, *args: P.args, **kwargs: P.kwargs) -> R_co: ...
    def cache_key(self, *args: P.args, **kwargs: P.kwargs) -> Hashable: ...
    def cache_clear(self) -> None: ...
    def cache_info(self) -> CacheStats: ...
    def stats(self) -> CacheStats: ...


class AsyncCachedFunction(Protocol[P, R_co]):
    """What ``@cached`` makes of a coroutine function; the controls that touch the backend
    are coroutines too."""

    backend: Backend
    namespace: str

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, R_co]: ...
    def __get__(
        self, instance: object, owner: type[Any] | None = None
    ) -> AsyncBoundCachedFunction[R_co]: ...
    async def invalidate(self, *args: P.args, **kwargs: P.kwargs) -> bool: ...
    async def refresh(self, *args: P.args, **kwargs: P.kwargs) -> R_co: ...
    def cache_key(self, *args: P.args, **kwargs: P.kwargs) -> Hashable: ...
    async def cache_clear(self) -> None: ...
    def cache_info(self) -> CacheStats: ...
    def stats(self) -> CacheStats: ...


@dataclass(frozen=True, slots=True)
class _Policy(Generic[R]):
    """Everything decided at decoration time, and the steps shared by sync and async calls."""

    backend: Backend
    build_key: KeyBuilder
    stored_ttl: float | None  # what the backend keeps: ttl plus the stale window
    fresh_seconds: float | None  # None: no envelope, the value is stored as it is
    early_refresh: float  # XFetch beta; 0.0 turns it off
    unless: Callable[[Any], bool] | None
    clock: Clock
    rng: Callable[[], float]
    lease_backend: Any
    lease_seconds: float
    poll_seconds: float

    def pack(self, result: Any, started: float) -> Any:
        if self.fresh_seconds is None:
            return result
        now = self.clock()
        return [result, now + self.fresh_seconds, now - started]

    def storable(self, result: Any) -> bool:
        return self.unless is None or not self.unless(result)

    def unpack(self, stored: Any) -> tuple[Any, bool] | None:
        """(value, refresh it now?) from a stored entry, or None if it is not usable."""
        if self.fresh_seconds is None:
            return stored, False
        if type(stored) is not list or len(stored) != 3:
            return None
        value, fresh_until, compute_seconds = stored
        now = self.clock()
        if now >= fresh_until:  # stale: still within the backend's stale window
            return value, True
        if self.early_refresh:
            # XFetch: refresh early with a probability that grows as expiry nears and with
            # how long the value takes to compute.
            gap = -compute_seconds * self.early_refresh * math.log(1.0 - self.rng())
            return value, now + gap >= fresh_until
        return value, False


_DEFAULT_LEASE_SECONDS = 30.0
_DEFAULT_POLL_SECONDS = 0.05


class _Cached:
    """The decorator ``cached(...)`` returns; typed by overloads for sync and async."""

    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options

    @overload
    def __call__(  # type: ignore[overload-overlap]  # a coroutine function is callable too
        self, fn: Callable[P, Coroutine[Any, Any, R]]
    ) -> AsyncCachedFunction[P, R]: ...
    @overload
    def __call__(self, fn: Callable[P, R]) -> CachedFunction[P, R]: ...
    def __call__(self, fn: Callable[P, Any]) -> Any:
        if not callable(fn):
            raise CacheConfigError("fn", fn, "a function or coroutine function to cache")
        return _decorate(fn, **self._options)


def cached(
    *,
    backend: Backend | None = None,
    ttl: float | None = None,
    key: Callable[..., Hashable] | None = None,
    namespace: str | None = None,
    unless: Callable[[Any], bool] | None = None,
    stale_ttl: float | None = None,
    early_refresh: float | None = None,
    lease: bool | None = None,
    lease_ttl: float = _DEFAULT_LEASE_SECONDS,
    clock: Clock = time.time,
    rng: Callable[[], float] = random.random,
    sleep: Callable[[float], None] = time.sleep,
) -> _Cached:
    """Cache a function's results in ``backend`` (a private ``MemoryBackend(maxsize=1024)``
    when omitted) for ``ttl`` seconds.

    Keys are ``namespace`` (the function's module and qualified name by default) plus the
    arguments, keyword order ignored; ``key`` replaces the argument part with your own.
    Exceptions are never cached, nor results for which ``unless(result)`` is true.

    Stampedes are stopped in layers: concurrent misses of one key compute once per process
    (threads and tasks); with a Redis backend a lease makes one host compute while the others
    poll for its result (``lease=None`` means: when the backend can); ``early_refresh=beta``
    recomputes a little before expiry with rising probability (XFetch, 1.0 is the usual
    beta); ``stale_ttl`` serves the old value for that many seconds past ``ttl`` while one
    caller recomputes. ``clock`` (wall time, shared by processes), ``rng`` and ``sleep`` are
    injectable for tests.
    """
    if backend is not None and not isinstance(backend, Backend):
        raise CacheConfigError("backend", backend, "a cache backend (MemoryBackend, ...)")
    if key is not None and not callable(key):
        raise CacheConfigError("key", key, "a function of the call's arguments")
    if unless is not None and not callable(unless):
        raise CacheConfigError("unless", unless, "a predicate on the result")
    if namespace is not None and (not isinstance(cast(object, namespace), str) or not namespace):
        raise CacheConfigError("namespace", namespace, "a non-empty str")
    ttl = check_ttl(ttl)
    stale_ttl = check_ttl(stale_ttl, "stale_ttl")
    if early_refresh is not None:
        early_refresh = check_positive_number(early_refresh, "early_refresh")
    if (stale_ttl is not None or early_refresh is not None) and (ttl is None or ttl == math.inf):
        raise CacheConfigError("ttl", ttl, "a finite ttl when stale_ttl or early_refresh is set")
    if cast(object, lease) not in (None, True, False):
        raise CacheConfigError("lease", lease, "True, False or None (when the backend can)")
    options = {
        "backend": backend,
        "ttl": ttl,
        "key": key,
        "namespace": namespace,
        "unless": unless,
        "stale_ttl": stale_ttl,
        "early_refresh": early_refresh,
        "lease": lease,
        "lease_ttl": check_positive_number(lease_ttl, "lease_ttl"),
        "clock": clock,
        "rng": rng,
        "sleep": sleep,
    }
    return _Cached(options)


def _decorate(
    fn: Callable[..., Any],
    *,
    backend: Backend | None,
    ttl: float | None,
    key: Callable[..., Hashable] | None,
    namespace: str | None,
    unless: Callable[[Any], bool] | None,
    stale_ttl: float | None,
    early_refresh: float | None,
    lease: bool | None,
    lease_ttl: float,
    clock: Clock,
    rng: Callable[[], float],
    sleep: Callable[[float], None],
) -> Any:
    store: Backend = MemoryBackend(maxsize=1024) if backend is None else backend
    name = namespace or f"{fn.__module__}.{getattr(fn, '__qualname__', repr(fn))}"
    as_objects = isinstance(store, MemoryBackend)
    if key is not None:
        build_key = custom_key_builder(key, name, as_text=not as_objects)
    elif as_objects:
        build_key = object_key_builder(fn, name)
    else:
        build_key = string_key_builder(fn, name)
    lease_backend = getattr(store, "lease_backend", None) if lease is not False else None
    if lease and lease_backend is None:
        raise CacheConfigError("lease", True, "a backend that can lease keys (RedisBackend)")
    enveloped = stale_ttl is not None or early_refresh is not None
    policy: _Policy[Any] = _Policy(
        backend=store,
        build_key=build_key,
        stored_ttl=ttl if stale_ttl is None or ttl is None else ttl + stale_ttl,
        fresh_seconds=ttl if enveloped else None,
        early_refresh=early_refresh or 0.0,
        unless=unless,
        clock=clock,
        rng=rng,
        lease_backend=lease_backend,
        lease_seconds=lease_ttl,
        poll_seconds=min(_DEFAULT_POLL_SECONDS, lease_ttl / 10),
    )
    if inspect.iscoroutinefunction(fn):
        wrapper = _async_wrapper(fn, policy, enveloped)
    else:
        fast_keys = name if as_objects and key is None else None
        wrapper = _sync_wrapper(fn, policy, enveloped, sleep, fast_keys)
    functools.update_wrapper(wrapper, fn)
    wrapper.backend = store  # type: ignore[attr-defined]
    wrapper.namespace = name  # type: ignore[attr-defined]
    wrapper.cache_key = lambda *a, **kw: build_key(a, kw)  # type: ignore[attr-defined]
    wrapper.stats = wrapper.cache_info = store.stats  # type: ignore[attr-defined]
    if _is_method(fn):
        return CachedMethod(wrapper)
    return wrapper


def _is_method(fn: Callable[..., Any]) -> bool:
    code = getattr(fn, "__code__", None)
    return code is not None and code.co_argcount > 0 and code.co_varnames[0] == "self"


def _sync_wrapper(
    fn: Callable[..., Any],
    policy: _Policy[Any],
    enveloped: bool,
    sleep: Callable[[float], None],
    fast_keys: str | None,
) -> Callable[..., Any]:
    flight = SingleFlight()
    backend, build_key = policy.backend, policy.build_key
    get = backend.get

    def compute(key: Hashable, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        started = policy.clock()
        result = fn(*args, **kwargs)
        if policy.storable(result):
            backend.set(key, policy.pack(result, started), policy.stored_ttl)  # type: ignore[arg-type]
        return result

    def cached_value(key: Hashable) -> Any:
        stored = get(key, MISSING)  # type: ignore[arg-type]
        found = None if stored is MISSING else policy.unpack(stored)
        return MISSING if found is None or found[1] else found[0]

    def load(key: Hashable, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if key in backend:  # stored by a caller that finished while this one queued
            value = cached_value(key)
            if value is not MISSING:
                return value
        leases = policy.lease_backend
        token = None if leases is None else leases.acquire_lease(key, policy.lease_seconds)
        if leases is not None and token is None:  # another host computes: wait for its result
            deadline = time.monotonic() + policy.lease_seconds
            while time.monotonic() < deadline:
                sleep(policy.poll_seconds)
                value = cached_value(key)
                if value is not MISSING:
                    return value
        try:
            return compute(key, args, kwargs)
        finally:
            if token is not None:
                leases.release_lease(key, token)

    if enveloped:

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = build_key(args, kwargs)
            stored = get(key, MISSING)  # type: ignore[arg-type]
            found = None if stored is MISSING else policy.unpack(stored)
            if found is None:
                return flight.do(key, lambda: load(key, args, kwargs))
            value, due = found
            if due:  # one caller refreshes; the others keep the value they have
                fresh = flight.do_or_skip(key, lambda: compute(key, args, kwargs))
                return value if fresh is MISSING else fresh
            return value

    elif fast_keys is not None:
        namespace = fast_keys

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            # The hot path of the common case: positional arguments, in-process backend.
            key = build_key(args, kwargs) if kwargs else (namespace, args)
            value = get(key, MISSING)  # type: ignore[arg-type]
            if value is MISSING:
                return flight.do(key, lambda: load(key, args, kwargs))
            return value

    else:

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = build_key(args, kwargs)
            value = get(key, MISSING)  # type: ignore[arg-type]
            if value is MISSING:
                return flight.do(key, lambda: load(key, args, kwargs))
            return value

    def invalidate(*args: Any, **kwargs: Any) -> bool:
        return backend.delete(build_key(args, kwargs))  # type: ignore[arg-type]

    def refresh(*args: Any, **kwargs: Any) -> Any:
        key = build_key(args, kwargs)
        return flight.do(key, lambda: compute(key, args, kwargs))

    wrapper.invalidate = invalidate  # type: ignore[attr-defined]
    wrapper.refresh = refresh  # type: ignore[attr-defined]
    wrapper.cache_clear = backend.clear  # type: ignore[attr-defined]
    return wrapper


def _async_wrapper(
    fn: Callable[..., Awaitable[Any]], policy: _Policy[Any], enveloped: bool
) -> Callable[..., Any]:
    flight = AsyncSingleFlight()
    backend, build_key = policy.backend, policy.build_key
    aget = backend.aget
    # A local backend answers a hit without awaiting anything: skip the coroutine round trip.
    local_get = backend.get if isinstance(backend, LocalAsyncMixin) else None

    async def compute(key: Hashable, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        started = policy.clock()
        result = await fn(*args, **kwargs)
        if policy.storable(result):
            await backend.aset(key, policy.pack(result, started), policy.stored_ttl)  # type: ignore[arg-type]
        return result

    async def cached_value(key: Hashable) -> Any:
        stored = await aget(key, MISSING)  # type: ignore[arg-type]
        found = None if stored is MISSING else policy.unpack(stored)
        return MISSING if found is None or found[1] else found[0]

    async def load(key: Hashable, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if await backend.acontains(key):  # type: ignore[arg-type]
            value = await cached_value(key)
            if value is not MISSING:
                return value
        leases = policy.lease_backend
        token = None if leases is None else await leases.aacquire_lease(key, policy.lease_seconds)
        if leases is not None and token is None:
            deadline = time.monotonic() + policy.lease_seconds
            while time.monotonic() < deadline:
                await asyncio.sleep(policy.poll_seconds)
                value = await cached_value(key)
                if value is not MISSING:
                    return value
        try:
            return await compute(key, args, kwargs)
        finally:
            if token is not None:
                await leases.arelease_lease(key, token)

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = build_key(args, kwargs)
        if local_get is not None:
            stored = local_get(key, MISSING)  # type: ignore[arg-type]
        else:
            stored = await aget(key, MISSING)  # type: ignore[arg-type]
        found = None if stored is MISSING else policy.unpack(stored)
        if found is None:
            return await flight.do(key, lambda: load(key, args, kwargs))
        value, due = found
        if due:
            fresh = await flight.do_or_skip(key, lambda: compute(key, args, kwargs))
            return value if fresh is MISSING else fresh
        return value

    async def invalidate(*args: Any, **kwargs: Any) -> bool:
        return await backend.adelete(build_key(args, kwargs))  # type: ignore[arg-type]

    async def refresh(*args: Any, **kwargs: Any) -> Any:
        key = build_key(args, kwargs)
        return await flight.do(key, lambda: compute(key, args, kwargs))

    wrapper.invalidate = invalidate  # type: ignore[attr-defined]
    wrapper.refresh = refresh  # type: ignore[attr-defined]
    wrapper.cache_clear = backend.aclear  # type: ignore[attr-defined]
    del enveloped  # the async path always unpacks: an await costs more than the check
    return cast(Callable[..., Any], wrapper)
