"""The vocabulary of the circuit breaker: its states, its settings, its records."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


class CircuitState(enum.Enum):
    CLOSED = "closed"  # calls flow; failures are counted
    OPEN = "open"  # calls are refused until the recovery timeout has passed
    HALF_OPEN = "half_open"  # a limited number of trial calls decide between the two


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    """The state-machine settings a store needs (the Redis store sends them to the server)."""

    failure_threshold: int | None
    recovery_timeout: float
    half_open_max_calls: int
    success_threshold: int


@dataclass(frozen=True, slots=True)
class StateChange:
    """One transition, as passed to state-change listeners."""

    name: str
    old: CircuitState
    new: CircuitState
    reason: str


@dataclass(frozen=True, slots=True)
class BreakerStats:
    """Totals of one breaker in this process, and its state when read."""

    name: str
    state: CircuitState
    calls: int  # calls that were let through
    successes: int
    failures: int
    ignored: int  # excluded exceptions and control-flow exits: neither success nor failure
    rejections: int  # calls refused with CircuitOpenError
    slow_calls: int
    times_opened: int


class Rejected(Exception):
    """Raised by a store when a call may not run; the breaker turns it into CircuitOpenError."""

    def __init__(self, state: CircuitState, retry_after: float) -> None:
        super().__init__(state, retry_after)
        self.state = state
        self.retry_after = retry_after


class StateStore(Protocol):
    """Where one breaker's state machine lives: this process (``LocalStore``) or Redis.

    A permit above 0 is a trial call's, the number of its HALF_OPEN period; 0 or below is a
    call admitted while CLOSED (a store may use negative permits for its own bookkeeping).
    Methods that may change the state return the change they made, or None.
    """

    def acquire(self) -> tuple[int, StateChange | None]: ...
    def success(self, permit: int) -> StateChange | None: ...
    def failure(self, permit: int, trip: bool) -> StateChange | None: ...
    def trip(self, reason: str) -> StateChange | None: ...
    def release(self, permit: int) -> None: ...
    def force(self, state: CircuitState, hold: bool) -> StateChange | None: ...
    def snapshot(self) -> tuple[CircuitState, float]: ...


@runtime_checkable
class AsyncStateStore(Protocol):
    """A store that coroutine functions can await: ``await store.run_async("success", 0)``
    runs the StateStore method of that name without blocking the event loop."""

    async def run_async(self, op: str, *args: Any) -> Any: ...


class BreakerStorage(Protocol):
    """Shared storage for breakers (e.g. ``RedisBreakerStorage``): makes one store per breaker.

    ``local`` is the in-process store the shared one falls back to when it is unreachable.
    """

    def bind(self, name: str, settings: BreakerSettings, local: StateStore) -> StateStore: ...
