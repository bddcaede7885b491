"""Waiting for admission: the deadline arithmetic, and the first-come first-served async queue."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Hashable, Iterator
from typing import Generic, TypeVar

from stunir.ratelimit._validation import TICKS_PER_SECOND
from stunir.ratelimit.decision import Decision

_FOREVER_TICKS = 2**62
T = TypeVar("T")


class Deadline:
    """When a waiting call must give up; ``None`` waits as long as it takes."""

    __slots__ = ("at", "clock", "polls", "started")

    def __init__(self, clock: Callable[[], float], timeout: float | None) -> None:
        self.clock = clock
        self.started = clock()
        self.at = None if timeout is None else self.started + timeout
        self.polls = 0

    def max_delay(self, now: float) -> int:
        """How far ahead (ticks) a reserving algorithm may book a slot for this call."""
        if self.at is None:
            return _FOREVER_TICKS
        return max(0, int((self.at - now) * TICKS_PER_SECOND))

    def pause(self, refused: Decision, now: float) -> float | None:
        """Seconds to sleep before asking again, or None when the answer would come too late."""
        if self.at is not None and now + refused.retry_after > self.at:
            return None
        return refused.retry_after

    def remaining(self) -> float | None:
        return None if self.at is None else max(0.0, self.at - self.clock())


class _Queues(Generic[T]):
    """Per-key queues of waiters: only the head asks the limiter, the rest wait their turn.

    A small request can then never overtake a large one that arrived first, and a waiter that
    gives up (cancelled, timed out) leaves the queue and hands the turn on, so no one is
    stranded. Subclasses say how a turn is handed: an event for threads, a future for tasks.
    """

    def __init__(self) -> None:
        self._queues: dict[Hashable, deque[T]] = {}
        self._lock = threading.Lock()

    def _join(self, key: Hashable, turn: T) -> bool:
        """Queue ``turn``; True when it is at the head already."""
        with self._lock:
            queue = self._queues.setdefault(key, deque())
            queue.append(turn)
            return len(queue) == 1

    def leave(self, key: Hashable, turn: T) -> None:
        with self._lock:
            queue = self._queues.get(key)
            if queue is None or turn not in queue:
                return
            was_head = queue[0] is turn
            queue.remove(turn)
            if not queue:
                del self._queues[key]
            elif was_head:
                self._hand_over(queue[0])

    def _hand_over(self, turn: T) -> None:
        raise NotImplementedError


class ThreadFifo(_Queues[threading.Event]):
    """First-come first-served turns for threads waiting on one key."""

    def enter(self, key: Hashable, timeout: float | None) -> threading.Event | None:
        """Wait for this key's turn; None if ``timeout`` seconds passed first."""
        turn = threading.Event()
        try:
            if self._join(key, turn) or turn.wait(timeout):
                return turn
        except BaseException:  # KeyboardInterrupt while waiting: leave, never strand the rest
            self.leave(key, turn)
            raise
        self.leave(key, turn)  # hands the turn on if it arrived meanwhile
        return None

    def _hand_over(self, turn: threading.Event) -> None:
        turn.set()

    @contextlib.contextmanager
    def turn(self, key: Hashable, timeout: float | None, *, queue: bool) -> Iterator[bool]:
        """Hold this key's turn for the block (True), or False if ``timeout`` passed first.

        Without ``queue`` the block runs at once (bucket waits are ordered by their bookings).
        """
        turn = self.enter(key, timeout) if queue else None
        try:
            yield turn is not None or not queue
        finally:
            if turn is not None:
                self.leave(key, turn)


class AsyncFifo(_Queues["asyncio.Future[None]"]):
    """First-come first-served turns for tasks waiting on one key (one event loop at a time)."""

    async def enter(self, key: Hashable, timeout: float | None) -> asyncio.Future[None] | None:
        """Wait for this key's turn; None if ``timeout`` seconds passed first."""
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._join(key, turn):
            return turn
        try:
            await asyncio.wait_for(turn, timeout)
        except asyncio.TimeoutError:
            self.leave(key, turn)
            return None
        except BaseException:
            self.leave(key, turn)
            raise
        return turn

    def _hand_over(self, turn: asyncio.Future[None]) -> None:
        if not turn.done():  # a cancelled waiter leaves by itself, handing the turn on
            turn.set_result(None)

    @contextlib.asynccontextmanager
    async def turn(
        self, key: Hashable, timeout: float | None, *, queue: bool
    ) -> AsyncIterator[bool]:
        """``ThreadFifo.turn`` for tasks."""
        turn = await self.enter(key, timeout) if queue else None
        try:
            yield turn is not None or not queue
        finally:
            if turn is not None:
                self.leave(key, turn)
