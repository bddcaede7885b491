"""Waiting for admission: the deadline arithmetic, and the first-come first-served async queue."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Hashable

from stunir.ratelimit._validation import TICKS_PER_SECOND
from stunir.ratelimit.decision import Decision

_FOREVER_TICKS = 2**62


class Deadline:
    """When a waiting call must give up; ``None`` waits as long as it takes."""

    __slots__ = ("at", "polls", "started")

    def __init__(self, now: float, timeout: float | None) -> None:
        self.started = now
        self.polls = 0
        self.at = None if timeout is None else now + timeout

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

    def remaining(self, now: float) -> float | None:
        return None if self.at is None else max(0.0, self.at - now)


class AsyncFifo:
    """Per-key queues of async waiters: only the head asks the limiter, the rest wait their turn.

    A small request can then never overtake a large one that arrived first, and a waiter that is
    cancelled or times out leaves the queue and hands the turn on, so no one is stranded.
    Belongs to one event loop at a time (a queue is empty whenever no call is waiting).
    """

    def __init__(self) -> None:
        self._queues: dict[Hashable, deque[asyncio.Future[None]]] = {}

    async def enter(self, key: Hashable, timeout: float | None) -> asyncio.Future[None] | None:
        """Wait for this key's turn; None if ``timeout`` seconds passed first."""
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._queues.setdefault(key, deque())
        queue.append(turn)
        if len(queue) == 1:
            turn.set_result(None)
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

    def leave(self, key: Hashable, turn: asyncio.Future[None]) -> None:
        queue = self._queues.get(key)
        if queue is None or turn not in queue:
            return
        was_head = queue[0] is turn
        queue.remove(turn)
        if not queue:
            del self._queues[key]
        elif was_head and not queue[0].done():
            queue[0].set_result(None)
