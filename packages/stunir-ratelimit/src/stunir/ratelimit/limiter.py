"""The interface every limiter shares: acquire, try_acquire, wait, their async twins, stats."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Hashable
from typing import Any

from stunir.ratelimit._algorithm import Algorithm
from stunir.ratelimit._clock import AsyncSleep, Clock, Sleep, nanosecond_source
from stunir.ratelimit._store import Store
from stunir.ratelimit._validation import TICKS_PER_SECOND, optional_timeout, request_cost
from stunir.ratelimit._waiting import AsyncFifo, Deadline, ThreadFifo
from stunir.ratelimit.decision import Decision
from stunir.ratelimit.memory import MemoryStore
from stunir.ratelimit.stats import LimiterStats

__all__ = ["Limiter"]

# ``tokens is not _ONE`` is the hot path's cheapest test that a request is exactly the int 1
# (CPython shares small ints); anything else, True and 1.0 included, goes through validation.
_ONE = 1
_TICK_SECONDS = 1 / TICKS_PER_SECOND


def _non_empty_text(value: object) -> bool:
    return isinstance(value, str) and value != ""


class Limiter:
    """A rate limit over any number of keys, kept in a store (this process by default).

    ``key`` names an identity (a user, an IP, a route): every key has its own allowance, and
    ``None`` is a key like any other. Keys that have gone idle are forgotten without a timer.
    ``acquire`` and ``try_acquire`` never block and never fail because another thread holds
    the lock: they wait for it (a few microseconds at most). ``wait`` sleeps until admitted.
    Time comes from ``clock`` (seconds, monotonic by default) and waits use ``sleep`` and
    ``async_sleep``, so tests can run in virtual time.
    """

    def __init__(
        self,
        algorithm: Algorithm[Any],
        *,
        name: str | None = None,
        store: Store | None = None,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        async_sleep: AsyncSleep | None = None,
    ) -> None:
        if name is not None and not _non_empty_text(name):
            raise TypeError(f"name must be a non-empty string, got {name!r}")
        self._algorithm = algorithm
        if name is None:
            name = ":".join([algorithm.kind, *map(str, algorithm.redis_args())])
        self.name = name
        self._limit = algorithm.limit
        self._clock = clock if clock is not None else time.monotonic
        self._sleep = sleep if sleep is not None else time.sleep
        self._async_sleep = async_sleep if async_sleep is not None else asyncio.sleep
        self._backend = (store if store is not None else MemoryStore()).bind(
            algorithm, nanosecond_source(clock), self.name
        )
        fast = self._backend.fast_functions()
        if fast is not None:
            # Decided once: this instance's acquire and admit are the store's closures (same
            # signatures and behaviour as the methods below, two Python frames fewer per call).
            # setattr, because mypy forbids assigning to a method.
            fast_acquire, fast_admit = fast
            setattr(self, "acquire", fast_acquire)  # noqa: B010
            setattr(self, "admit", fast_admit)  # noqa: B010

            async def acquire_async(tokens: int = 1, key: Hashable = None) -> bool:
                return fast_acquire(tokens, key)  # no I/O: nothing to await

            setattr(self, "acquire_async", acquire_async)  # noqa: B010
        self._fifo = AsyncFifo()
        self._thread_fifo = ThreadFifo()
        self._queues = not algorithm.reserves  # bucket waits are ordered by their bookings
        self._wait_lock = threading.Lock()
        self._waited = 0
        self._wait_seconds = 0.0
        self._given_up = 0
        self._polls = 0  # refusals seen by waiting calls that went on waiting: not denials

    @property
    def limit(self) -> int:
        """The capacity (buckets) or the requests per window (windows)."""
        return self._limit

    def acquire(self, tokens: int = 1, key: Hashable = None) -> bool:
        """Take ``tokens`` now if the limit allows it; never blocks."""
        if tokens is not _ONE:
            tokens = request_cost(tokens, self._limit)
        return self._backend.take(key, tokens, False) == 0.0

    def admit(self, tokens: int = 1, key: Hashable = None) -> float:
        """``acquire`` that explains a refusal: 0.0 when admitted, else the seconds to wait.

        Cheaper than ``try_acquire`` when only the retry-after matters (as in a decorator).
        """
        if tokens is not _ONE:
            tokens = request_cost(tokens, self._limit)
        return self._backend.take(key, tokens, True)

    def try_acquire(self, tokens: int = 1, key: Hashable = None) -> Decision:
        """Like ``acquire``, but the answer says how much is left and when to retry."""
        if tokens is not _ONE:
            tokens = request_cost(tokens, self._limit)
        return self._backend.decide(key, tokens)

    def peek(self, tokens: int = 1, key: Hashable = None) -> Decision:
        """What ``try_acquire`` would answer now, taking nothing (not counted in ``stats``)."""
        return self._backend.peek(key, request_cost(tokens, self._limit))

    async def peek_async(self, tokens: int = 1, key: Hashable = None) -> Decision:
        return await self._backend.peek_async(key, request_cost(tokens, self._limit))

    async def acquire_async(self, tokens: int = 1, key: Hashable = None) -> bool:
        if tokens is not _ONE:
            tokens = request_cost(tokens, self._limit)
        return await self._backend.take_async(key, tokens, False) == 0.0

    async def admit_async(self, tokens: int = 1, key: Hashable = None) -> float:
        if tokens is not _ONE:
            tokens = request_cost(tokens, self._limit)
        return await self._backend.take_async(key, tokens, True)

    async def try_acquire_async(self, tokens: int = 1, key: Hashable = None) -> Decision:
        if tokens is not _ONE:
            tokens = request_cost(tokens, self._limit)
        return await self._backend.decide_async(key, tokens)

    def wait(self, tokens: int = 1, key: Hashable = None, timeout: float | None = None) -> bool:
        """Block until ``tokens`` are admitted (True) or ``timeout`` seconds would pass (False).

        Gives up at once, without sleeping, when the limit says admission comes too late.
        Threads waiting on one key are served first-come first-served: buckets book a slot
        and sleep until it; windows queue the threads, and only the first one asks.
        """
        return self.wait_retry_after(tokens, key, timeout) == 0.0

    async def wait_async(
        self, tokens: int = 1, key: Hashable = None, timeout: float | None = None
    ) -> bool:
        """The async ``wait``: waiters on one key are served first-come first-served.

        Cancelling a waiter removes it from the queue; the next one takes its turn.
        """
        return await self.wait_retry_after_async(tokens, key, timeout) == 0.0

    def wait_retry_after(
        self, tokens: int = 1, key: Hashable = None, timeout: float | None = None
    ) -> float:
        """``wait`` that explains giving up: 0.0 when admitted, else the seconds it would take."""
        cost, deadline = self._start_waiting(tokens, timeout)
        wait_in_line = self._thread_fifo.turn(key, deadline.remaining(), queue=self._queues)
        with wait_in_line as my_turn:
            if not my_turn:  # timed out in the queue, before asking the store
                return self._gave_up(deadline, 0.0, refused=False)
            while True:
                now = self._clock()
                decision = self._backend.decide(key, cost, self._max_delay(deadline, now))
                pause, outcome = self._next_step(decision, deadline, now)
                if pause > 0:
                    self._sleep(pause)
                if outcome is not None:
                    return outcome

    async def wait_retry_after_async(
        self, tokens: int = 1, key: Hashable = None, timeout: float | None = None
    ) -> float:
        cost, deadline = self._start_waiting(tokens, timeout)
        async with self._fifo.turn(key, deadline.remaining(), queue=self._queues) as my_turn:
            if not my_turn:
                return self._gave_up(deadline, 0.0, refused=False)
            while True:
                now = self._clock()
                max_delay = self._max_delay(deadline, now)
                decision = await self._backend.decide_async(key, cost, max_delay)
                pause, outcome = self._next_step(decision, deadline, now)
                if pause > 0:
                    await self._async_sleep(pause)
                if outcome is not None:
                    return outcome

    def _start_waiting(self, tokens: int, timeout: float | None) -> tuple[int, Deadline]:
        cost = request_cost(tokens, self._limit)
        return cost, Deadline(self._clock, optional_timeout(timeout))

    def _max_delay(self, deadline: Deadline, now: float) -> int:
        return deadline.max_delay(now) if self._algorithm.reserves else 0

    def _next_step(
        self, decision: Decision, deadline: Deadline, now: float
    ) -> tuple[float, float | None]:
        """What a waiting call does next: (seconds to sleep, then its answer or None to ask again).

        Admitted: sleep until the booked slot (if any) and answer 0.0. Refused: sleep the
        retry-after and ask again, or answer the retry-after at once if it ends past the deadline.
        """
        if decision.allowed:
            waited = now + decision.retry_after - deadline.started
            with self._wait_lock:
                self._polls += deadline.polls
                if waited > 0:
                    self._waited += 1
                    self._wait_seconds += waited
            return decision.retry_after, 0.0
        pause = deadline.pause(decision, now)
        if pause is None:
            return 0.0, self._gave_up(deadline, decision.retry_after)
        deadline.polls += 1
        return pause, None

    def _gave_up(self, deadline: Deadline, retry_after: float, *, refused: bool = True) -> float:
        with self._wait_lock:
            # The store counted each refusal; the whole call counts as one denial instead.
            self._polls += deadline.polls + refused
            self._given_up += 1
        return max(retry_after, _TICK_SECONDS)  # never 0.0, which means admitted

    def stats(self, key: Hashable = None) -> LimiterStats:
        """Decisions so far (a waiting call counts once), and the current level of ``key``."""
        backend = self._backend
        with self._wait_lock:
            waited, wait_seconds, given_up = self._waited, self._wait_seconds, self._given_up
            polls = self._polls
        return LimiterStats(
            allowed=backend.allowed,
            denied=backend.denied - polls + given_up,
            waited=waited,
            wait_seconds=wait_seconds,
            keys=backend.keys(),
            level=backend.level(key),
        )

    def __enter__(self) -> Limiter:
        """``with limiter:`` waits for one token (key None), without a timeout."""
        self.wait()
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    async def __aenter__(self) -> Limiter:
        """``async with limiter:`` awaits one token (key None), first-come first-served."""
        await self.wait_async()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    def reset(self, key: Hashable = None) -> None:
        """Forget ``key``'s usage: its next request starts from a full allowance."""
        self._backend.reset(key)

    async def reset_async(self, key: Hashable = None) -> None:
        await self._backend.reset_async(key)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, limit={self._limit})"
