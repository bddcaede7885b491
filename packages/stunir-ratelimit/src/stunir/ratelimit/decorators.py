"""``@rate_limit`` refuses (or waits for) calls over a limit; ``@throttle`` spaces calls out."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, ParamSpec, TypeVar, cast

from stunir.ratelimit.errors import InvalidLimitError, RateLimitExceeded
from stunir.ratelimit.limiter import Limiter
from stunir.ratelimit.token_bucket import TokenBucket

__all__ = ["rate_limit", "throttle"]

P = ParamSpec("P")
R = TypeVar("R")
KeyFunction = Callable[..., Hashable]


def rate_limit(
    rate: float | None = None,
    capacity: int | None = None,
    *,
    limiter: Limiter | None = None,
    key: KeyFunction | None = None,
    tokens: int = 1,
    block: bool = False,
    timeout: float | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Limit calls to ``rate`` per second with bursts of ``capacity`` (a ``TokenBucket``).

    Pass ``limiter=`` instead to use any limiter, in memory or on Redis. ``key`` receives the
    call's arguments and returns the caller's identity: each identity has its own allowance.
    A refused call raises ``RateLimitExceeded`` (with ``retry_after``); with ``block=True``
    it waits instead, and raises only if ``timeout`` seconds would not be enough.
    Works on functions, methods and coroutine functions (awaited, never blocking the loop).
    """
    chosen = _limiter(rate, capacity, limiter)
    return _decorator(chosen, key, tokens, block=block, timeout=timeout)


def throttle(
    rate: float,
    *,
    key: KeyFunction | None = None,
    timeout: float | None = None,
    limiter: Limiter | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Space calls out to at most ``rate`` per second, with no burst, by waiting before each.

    Waiting calls are served in arrival order; ``RateLimitExceeded`` is raised only if
    ``timeout`` seconds would not be enough.
    """
    chosen = limiter if limiter is not None else TokenBucket(rate, capacity=1, name="throttle")
    return _decorator(chosen, key, 1, block=True, timeout=timeout)


def _limiter(rate: float | None, capacity: int | None, limiter: Limiter | None) -> Limiter:
    if limiter is not None:
        if rate is not None or capacity is not None:
            raise InvalidLimitError("pass either rate/capacity or limiter=, not both")
        return limiter
    if rate is None:
        raise InvalidLimitError("rate_limit needs rate= (requests per second) or limiter=")
    return TokenBucket(rate, capacity)


def _decorator(
    limiter: Limiter, key: KeyFunction | None, tokens: int, *, block: bool, timeout: float | None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    limiter.try_acquire  # noqa: B018 - fail here, at decoration, if limiter is not a Limiter
    if key is not None and not callable(key):
        raise InvalidLimitError(f"key must be a callable of the call's arguments, got {key!r}")
    if tokens < 1 or tokens > limiter.limit:
        limiter.acquire(tokens)  # raises InvalidLimitError with the full explanation
    if timeout is not None and not block:
        raise InvalidLimitError("timeout= only applies with block=True")

    def refuse(retry_after: float, identity: Hashable) -> RateLimitExceeded:
        return RateLimitExceeded(limiter.name, retry_after=retry_after, key=identity)

    # Decided once here, not per call: which limiter method answers, and the caller's key.
    admit: Callable[[int, Hashable], float] = limiter.admit
    admit_async: Callable[[int, Hashable], Awaitable[float]] = limiter.admit_async
    if block:
        admit = functools.partial(limiter.wait_retry_after, timeout=timeout)
        admit_async = functools.partial(limiter.wait_retry_after_async, timeout=timeout)

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        if inspect.iscoroutinefunction(func):
            coroutine = cast(Callable[..., Awaitable[Any]], func)

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                identity = None if key is None else key(*args, **kwargs)
                retry_after = await admit_async(tokens, identity)
                if retry_after:
                    raise refuse(retry_after, identity)
                return await coroutine(*args, **kwargs)

            return cast(Callable[P, R], async_wrapper)

        if key is None:

            @functools.wraps(func)
            def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
                retry_after = admit(tokens, None)
                if retry_after:
                    raise refuse(retry_after, None)
                return func(*args, **kwargs)

            return wrapper

        identify = key

        @functools.wraps(func)
        def keyed_wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            identity = identify(*args, **kwargs)
            retry_after = admit(tokens, identity)
            if retry_after:
                raise refuse(retry_after, identity)
            return func(*args, **kwargs)

        return keyed_wrapper

    return decorate
