"""What a @cached call does: look up, compute once, store; sync and async.

``Policy`` holds what ``cached(...)`` decided at decoration time; the two wrapper factories
build the per-call functions from it, with single flight, leases, early refresh and stale
serving.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, cast

from stunir.cache.backend import MISSING, Backend, Clock, LocalAsyncMixin
from stunir.cache.keys import KeyBuilder
from stunir.cache.singleflight import AsyncSingleFlight, SingleFlight


@dataclass(frozen=True, slots=True)
class Policy:
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
            return None  # written by another configuration of this namespace: recompute
        value, fresh_until, compute_seconds = stored
        if not isinstance(fresh_until, int | float) or not isinstance(compute_seconds, int | float):
            return None
        now = self.clock()
        if now >= fresh_until:  # stale: still within the backend's stale window
            return value, True
        if self.early_refresh:
            # XFetch: refresh early with a probability that grows as expiry nears and with
            # how long the value takes to compute.
            gap = -compute_seconds * self.early_refresh * math.log(1.0 - self.rng())
            return value, now + gap >= fresh_until
        return value, False


def sync_wrapper(
    fn: Callable[..., Any],
    policy: Policy,
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

    def leased_compute(key: Hashable, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Compute and store under the Redis lease; MISSING if another host holds it."""
        leases = policy.lease_backend
        token = None if leases is None else leases.acquire_lease(key, policy.lease_seconds)
        if leases is not None and token is None:
            return MISSING
        try:
            return compute(key, args, kwargs)
        finally:
            if token is not None:
                leases.release_lease(key, token)

    def load(key: Hashable, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if key in backend:  # stored by a caller that finished while this one queued
            value = cached_value(key)
            if value is not MISSING:
                return value
        result = leased_compute(key, args, kwargs)
        if result is not MISSING:
            return result
        # Another host computes: wait for its result, and compute here if it never comes.
        deadline = time.monotonic() + policy.lease_seconds
        while time.monotonic() < deadline:
            sleep(policy.poll_seconds)
            value = cached_value(key)
            if value is not MISSING:
                return value
        return compute(key, args, kwargs)

    if enveloped:

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = build_key(args, kwargs)
            stored = get(key, MISSING)  # type: ignore[arg-type]
            found = None if stored is MISSING else policy.unpack(stored)
            if found is None:
                return flight.do(key, load, key, args, kwargs)
            value, due = found
            if due:  # one caller refreshes; the others keep the value they have
                fresh = flight.do_or_skip(key, leased_compute, key, args, kwargs)
                return value if fresh is MISSING else fresh
            return value

    elif fast_keys is not None:
        namespace = fast_keys

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            # The hot path of the common case: positional arguments, in-process backend.
            key = build_key(args, kwargs) if kwargs else (namespace, args)
            value = get(key, MISSING)  # type: ignore[arg-type]
            if value is MISSING:
                return flight.do(key, load, key, args, kwargs)
            return value

    else:

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = build_key(args, kwargs)
            value = get(key, MISSING)  # type: ignore[arg-type]
            if value is MISSING:
                return flight.do(key, load, key, args, kwargs)
            return value

    def invalidate(*args: Any, **kwargs: Any) -> bool:
        return backend.delete(build_key(args, kwargs))  # type: ignore[arg-type]

    def refresh(*args: Any, **kwargs: Any) -> Any:
        key = build_key(args, kwargs)
        return flight.do(key, compute, key, args, kwargs)

    wrapper.invalidate = invalidate  # type: ignore[attr-defined]
    wrapper.refresh = refresh  # type: ignore[attr-defined]
    return wrapper


def async_wrapper(
    fn: Callable[..., Awaitable[Any]], policy: Policy, enveloped: bool
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

    async def leased_compute(key: Hashable, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        leases = policy.lease_backend
        token = None if leases is None else await leases.aacquire_lease(key, policy.lease_seconds)
        if leases is not None and token is None:
            return MISSING
        try:
            return await compute(key, args, kwargs)
        finally:
            if token is not None:
                await leases.arelease_lease(key, token)

    async def load(key: Hashable, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if await backend.acontains(key):  # type: ignore[arg-type]
            value = await cached_value(key)
            if value is not MISSING:
                return value
        result = await leased_compute(key, args, kwargs)
        if result is not MISSING:
            return result
        deadline = time.monotonic() + policy.lease_seconds
        while time.monotonic() < deadline:
            await asyncio.sleep(policy.poll_seconds)
            value = await cached_value(key)
            if value is not MISSING:
                return value
        return await compute(key, args, kwargs)

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = build_key(args, kwargs)
        if local_get is not None:
            stored = local_get(key, MISSING)  # type: ignore[arg-type]
        else:
            stored = await aget(key, MISSING)  # type: ignore[arg-type]
        found = None if stored is MISSING else policy.unpack(stored)
        if found is None:
            return await flight.do(key, load, key, args, kwargs)
        value, due = found
        if due:
            fresh = await flight.do_or_skip(key, leased_compute, key, args, kwargs)
            return value if fresh is MISSING else fresh
        return value

    async def invalidate(*args: Any, **kwargs: Any) -> bool:
        return await backend.adelete(build_key(args, kwargs))  # type: ignore[arg-type]

    async def refresh(*args: Any, **kwargs: Any) -> Any:
        key = build_key(args, kwargs)
        return await flight.do(key, compute, key, args, kwargs)

    wrapper.invalidate = invalidate  # type: ignore[attr-defined]
    wrapper.refresh = refresh  # type: ignore[attr-defined]
    del enveloped  # the async path always unpacks: an await costs more than the check
    return cast(Callable[..., Any], wrapper)
