"""Single-flight: concurrent calls for one key run the work once and share its outcome."""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, ParamSpec, TypeVar, cast

from stunir.cache.backend import MISSING, _Missing

T = TypeVar("T")
P = ParamSpec("P")


class _Flight(Generic[T]):
    __slots__ = ("done", "error", "result")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: T | None = None
        self.error: BaseException | None = None


class SingleFlight:
    """For threads: the first caller of a key runs ``fn``; callers arriving meanwhile wait.

    The waiters get the leader's result or its exception. If the leader is interrupted by a
    ``BaseException`` that is not an ``Exception`` (``KeyboardInterrupt``, ``SystemExit``),
    that stays the leader's, and one of the waiters runs ``fn`` instead.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[Hashable, _Flight[Any]] = {}

    def in_flight(self) -> int:
        return len(self._flights)

    def do(self, key: Hashable, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args, **kwargs)`` once for all concurrent callers of ``key``."""
        while True:
            with self._lock:
                flight = self._flights.get(key)
                if flight is None:
                    flight = self._flights[key] = _Flight()
                    break
            flight.done.wait()
            if flight.error is None:
                return cast(T, flight.result)
            if isinstance(flight.error, Exception):
                raise flight.error
        return self._lead(key, cast(_Flight[T], flight), fn, *args, **kwargs)

    def do_or_skip(
        self, key: Hashable, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T | _Missing:
        """Run ``fn`` unless a flight for ``key`` is on; then return MISSING without waiting."""
        with self._lock:
            if key in self._flights:
                return MISSING
            flight: _Flight[T] = _Flight()
            self._flights[key] = flight
        return self._lead(key, flight, fn, *args, **kwargs)

    def _lead(
        self,
        key: Hashable,
        flight: _Flight[T],
        fn: Callable[P, T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        try:
            flight.result = fn(*args, **kwargs)
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()
        return flight.result


class _LeaderCancelled(Exception):
    """The leading task was cancelled: a waiting task takes over."""


class AsyncSingleFlight:
    """For coroutines: the same as ``SingleFlight``, per event loop, without blocking it.

    If the leading task is cancelled, the cancellation stays its own and a waiting task
    runs the work instead.
    """

    def __init__(self) -> None:
        self._loops: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[Hashable, asyncio.Future[Any]]
        ] = weakref.WeakKeyDictionary()

    def _flights(self) -> dict[Hashable, asyncio.Future[Any]]:
        loop = asyncio.get_running_loop()
        flights = self._loops.get(loop)
        if flights is None:
            flights = self._loops[loop] = {}
        return flights

    async def do(
        self, key: Hashable, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``await fn(*args, **kwargs)`` once for all concurrent callers of ``key``."""
        flights = self._flights()
        while (flight := flights.get(key)) is not None:
            try:
                return cast(T, await asyncio.shield(flight))
            except _LeaderCancelled:  # noqa: PERF203  # the retry is the point of the loop
                continue
        return await self._lead(flights, key, fn(*args, **kwargs))

    async def do_or_skip(
        self, key: Hashable, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> T | _Missing:
        flights = self._flights()
        if key in flights:
            return MISSING
        return await self._lead(flights, key, fn(*args, **kwargs))

    async def _lead(
        self,
        flights: dict[Hashable, asyncio.Future[Any]],
        key: Hashable,
        work: Awaitable[T],
    ) -> T:
        flight = flights[key] = asyncio.get_running_loop().create_future()
        try:
            result = await work
        except Exception as exc:
            flight.set_exception(exc)
            raise
        except BaseException:  # cancelled or interrupted: that is the leader's, not the work's
            flight.set_exception(_LeaderCancelled())
            raise
        else:
            flight.set_result(result)
            return result
        finally:
            if flights.get(key) is flight:
                del flights[key]
            if flight.done() and not flight.cancelled():
                flight.exception()  # mark it retrieved: waiters may be none
