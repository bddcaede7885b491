"""The in-process store: each key's state in a dict, every decision under one lock.

Memory stays bounded without a background thread: once the dict has doubled since the last
sweep, the keys whose state has gone idle (it would decide exactly like a fresh key) are
dropped, so the cost is amortised O(1) per decision and no decision ever changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, Generic

from stunir.ratelimit._algorithm import Algorithm, S
from stunir.ratelimit._clock import NS_PER_TICK, seconds
from stunir.ratelimit._validation import request_cost
from stunir.ratelimit.decision import Decision

__all__ = ["MemoryStore"]

_FIRST_SWEEP = 1024


class MemoryStore:
    """Keep limits in this process (the default). Thread-safe; async calls never block a loop."""

    def bind(
        self, algorithm: Algorithm[Any], ns: Callable[[], int], name: str
    ) -> MemoryBackend[Any]:
        return MemoryBackend(algorithm, ns)

    def __repr__(self) -> str:
        return "MemoryStore()"


class MemoryBackend(Generic[S]):
    """One limiter's keyed state in memory; counts allowed and denied decisions."""

    def __init__(self, algorithm: Algorithm[S], ns: Callable[[], int]) -> None:
        self._algorithm = algorithm
        self._admit = algorithm.admit
        self._ns = ns
        self._states: dict[Hashable, S] = {}
        self._lock = threading.Lock()
        self._lock_acquire = self._lock.acquire
        self._lock_release = self._lock.release
        self._sweep_above = _FIRST_SWEEP
        self.allowed = 0
        self.denied = 0

    def acquire_function(self, limit: int) -> Callable[[int, Hashable], bool]:
        """``Limiter.acquire`` for this store, as one closure: the fastest decision CPython runs.

        Everything is a local or closure variable (no attribute lookups, one Python frame
        besides the algorithm's); the lock is taken with explicit acquire/release, about twice
        as fast as ``with`` on CPython 3.12. ``take`` is the same step, able to explain.
        """
        states = self._states
        admit = self._admit
        ns = self._ns
        lock_acquire, lock_release = self._lock_acquire, self._lock_release
        one = 1  # ``tokens is not one``: the cheapest proof of the common request (see limiter)

        def acquire(tokens: int = 1, key: Hashable = None) -> bool:
            if tokens is not one:
                tokens = request_cost(tokens, limit)
            now = ns() // NS_PER_TICK
            lock_acquire()
            try:
                admitted = admit(states.get(key), now, tokens)
                if admitted is None:
                    self.denied += 1
                    return False
                states[key] = admitted
                self.allowed += 1
                if len(states) > self._sweep_above:
                    self._sweep(now)
                return True
            finally:
                lock_release()

        return acquire

    def take(self, key: Hashable, cost: int, explain: bool) -> float:
        """0.0 when admitted; when refused, the retry-after (seconds) if ``explain``, else -1.0."""
        # The hot path: explicit acquire/release is twice as fast as ``with`` on CPython 3.12.
        now = self._ns() // NS_PER_TICK
        states = self._states
        self._lock_acquire()
        try:
            state = states.get(key)
            admitted = self._admit(state, now, cost)
            if admitted is None:
                self.denied += 1
                if explain:
                    return seconds(self._algorithm.decide(state, now, cost, 0)[2])
                return -1.0
            states[key] = admitted
            self.allowed += 1
            if len(states) > self._sweep_above:
                self._sweep(now)
            return 0.0
        finally:
            self._lock_release()

    def decide(self, key: Hashable, cost: int, max_delay: int = 0) -> Decision:
        """A full decision; with ``max_delay`` (ticks) a reserving algorithm may book a slot.

        For a booked slot the Decision is allowed and ``retry_after`` is the delay to sleep.
        """
        now = self._ns() // NS_PER_TICK
        with self._lock:
            state, remaining, wait, reset = self._algorithm.decide(
                self._states.get(key), now, cost, max_delay
            )
            if state is None:
                self.denied += 1
            else:
                self._states[key] = state
                self.allowed += 1
                if len(self._states) > self._sweep_above:
                    self._sweep(now)
        return Decision(
            state is not None, self._algorithm.limit, remaining, seconds(wait), seconds(reset)
        )

    async def take_async(self, key: Hashable, cost: int, explain: bool) -> float:
        return self.take(key, cost, explain)

    async def decide_async(self, key: Hashable, cost: int, max_delay: int = 0) -> Decision:
        return self.decide(key, cost, max_delay)

    def level(self, key: Hashable) -> int | None:
        now = self._ns() // NS_PER_TICK
        with self._lock:
            return self._algorithm.level(self._states.get(key), now)

    def keys(self) -> int:
        return len(self._states)

    def reset(self, key: Hashable) -> None:
        with self._lock:
            self._states.pop(key, None)

    def _sweep(self, now: int) -> None:
        idle_at = self._algorithm.idle_at
        states = self._states
        for key in [key for key, state in states.items() if idle_at(state) <= now]:
            del states[key]
        self._sweep_above = max(_FIRST_SWEEP, 2 * len(states))
