"""@cached: memoize sync and async functions in any backend, with stampede protection."""

from __future__ import annotations

import functools
import inspect
import math
import random
import time
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, ParamSpec, Protocol, TypeVar, cast, overload

from stunir.cache._flow import Policy, async_wrapper, sync_wrapper
from stunir.cache._validate import (
    NAMESPACE_SEPARATOR,
    check_namespace,
    check_positive_number,
    check_ttl,
)
from stunir.cache.backend import Backend, Clock
from stunir.cache.errors import CacheConfigError
from stunir.cache.keys import (
    custom_key_builder,
    object_key_builder,
    string_key_builder,
)
from stunir.cache.memory import MemoryBackend
from stunir.cache.methods import CachedMethod
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


@overload
def cached(  # type: ignore[overload-overlap]  # a coroutine function is callable too
    fn: Callable[P, Coroutine[Any, Any, R]], /
) -> AsyncCachedFunction[P, R]: ...
@overload
def cached(fn: Callable[P, R], /) -> CachedFunction[P, R]: ...
@overload
def cached(
    fn: None = None,
    /,
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
) -> _Cached: ...
def cached(
    fn: Callable[..., Any] | None = None,
    /,
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
) -> Any:
    """Cache a function's results in ``backend`` (a private ``MemoryBackend(maxsize=1024)``
    when omitted) for ``ttl`` seconds. ``@cached`` alone uses every default.

    Keys are ``namespace`` (the function's module and qualified name by default; no ``:``)
    plus the arguments, keyword order ignored; ``key`` replaces the argument part with your
    own. ``fn.cache_clear()`` removes this namespace's entries only, so functions can share
    a backend.
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
    if namespace is not None:
        namespace = check_namespace(namespace)
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
    decorator = _Cached(options)
    return decorator if fn is None else decorator(fn)


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
    name = namespace or _default_namespace(fn)
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
    policy: Policy = Policy(
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
        wrapper = async_wrapper(fn, policy, enveloped)

        async def acache_clear() -> None:
            await store.adelete_namespace(name)

        wrapper.cache_clear = acache_clear  # type: ignore[attr-defined]
    else:
        fast_keys = name if as_objects and key is None else None
        wrapper = sync_wrapper(fn, policy, enveloped, sleep, fast_keys)

        def cache_clear() -> None:
            store.delete_namespace(name)

        wrapper.cache_clear = cache_clear  # type: ignore[attr-defined]
    functools.update_wrapper(wrapper, fn)
    wrapper.backend = store  # type: ignore[attr-defined]
    wrapper.namespace = name  # type: ignore[attr-defined]
    wrapper.cache_key = lambda *a, **kw: build_key(a, kw)  # type: ignore[attr-defined]
    wrapper.stats = wrapper.cache_info = store.stats  # type: ignore[attr-defined]
    if _is_method(fn):
        return CachedMethod(wrapper)
    return wrapper


def _default_namespace(fn: Callable[..., Any]) -> str:
    """``module.qualname``; a ``:`` (only possible in the ``repr`` fallback) becomes ``_``."""
    name = f"{fn.__module__}.{getattr(fn, '__qualname__', repr(fn))}"
    return name.replace(NAMESPACE_SEPARATOR, "_")


def _is_method(fn: Callable[..., Any]) -> bool:
    code = getattr(fn, "__code__", None)
    return code is not None and code.co_argcount > 0 and code.co_varnames[0] == "self"
