"""The circuit breaker's state machine, in this process's memory.

A permit is an int: 0 for a call admitted while CLOSED, or the number of the HALF_OPEN period
for a trial call, so that a trial that ends after the circuit moved on cannot disturb the new
period's bookkeeping. The lock guards only this bookkeeping, never the protected call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from stunir.retry.breaker_state import BreakerSettings, CircuitState, Rejected, StateChange

CLOSED, OPEN, HALF_OPEN = CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN


class LocalStore:
    """State of one breaker, exact under concurrent threads."""

    def __init__(self, name: str, settings: BreakerSettings, clock: Callable[[], float]) -> None:
        self.name = name
        self.settings = settings
        self.clock = clock
        self.lock = threading.Lock()
        self.state = CLOSED
        self.forced = False
        self.opened_at = 0.0
        self.failures = 0  # consecutive failures while CLOSED
        self.trial_successes = 0
        self.trials = 0  # trial calls in flight in the current HALF_OPEN period
        self.period = 0  # number of the current HALF_OPEN period

    # Every method below that changes state returns the transition it made, or None.

    def _move(self, new: CircuitState, reason: str) -> StateChange | None:
        old = self.state
        if old is new:
            return None
        self.state = new
        if new is OPEN:
            self.opened_at = self.clock()
        elif new is HALF_OPEN:
            self.period += 1
            self.trials = 0
            self.trial_successes = 0
        else:
            self.failures = 0
        return StateChange(self.name, old, new, reason)

    def acquire(self) -> tuple[int, StateChange | None]:
        """A permit for one call, or ``Rejected``."""
        if self.state is CLOSED:  # read without the lock: the common case stays cheap
            return 0, None
        with self.lock:
            change = None
            if self.state is CLOSED:
                return 0, None
            if self.state is OPEN:
                wait = self.opened_at + self.settings.recovery_timeout - self.clock()
                if self.forced or wait > 0:
                    raise Rejected(OPEN, float("inf") if self.forced else wait)
                change = self._move(HALF_OPEN, "recovery timeout elapsed")
            if self.trials >= self.settings.half_open_max_calls:
                raise Rejected(HALF_OPEN, 0.0)
            self.trials += 1
            return self.period, change

    def success(self, permit: int) -> StateChange | None:
        if permit <= 0:
            if self.failures:
                with self.lock:
                    self.failures = 0
            return None
        with self.lock:
            if permit != self.period or self.state is not HALF_OPEN:
                return None
            self.trials -= 1
            self.trial_successes += 1
            if self.trial_successes >= self.settings.success_threshold:
                return self._move(CLOSED, "trial calls succeeded")
            return None

    def failure(self, permit: int, trip: bool) -> StateChange | None:
        """A failed call; ``trip`` says the failure-rate windows want the circuit open."""
        with self.lock:
            if permit > 0:
                if permit != self.period or self.state is not HALF_OPEN:
                    return None
                self.trials -= 1
                return self._move(OPEN, "a trial call failed")
            if self.state is not CLOSED or self.forced:
                return None
            self.failures += 1
            threshold = self.settings.failure_threshold
            if threshold is not None and self.failures >= threshold:
                return self._move(OPEN, f"{self.failures} consecutive failures")
            if trip:
                return self._move(OPEN, "failure or slow-call rate over the threshold")
            return None

    def trip(self, reason: str) -> StateChange | None:
        """Open a CLOSED circuit (a slow-call rate reached its threshold on a success)."""
        with self.lock:
            if self.state is not CLOSED or self.forced:
                return None
            return self._move(OPEN, reason)

    def release(self, permit: int) -> None:
        """A call ended without a verdict (cancelled, or an excluded exception)."""
        if permit > 0:
            with self.lock:
                if permit == self.period and self.trials > 0:
                    self.trials -= 1

    def force(self, state: CircuitState, hold: bool) -> StateChange | None:
        with self.lock:
            self.forced = hold
            change = self._move(state, "forced" if hold else "set by hand")
            if state is OPEN and change is None:
                self.opened_at = self.clock()
            return change

    def snapshot(self) -> tuple[CircuitState, float]:
        """The state and, when OPEN, the seconds until a trial call may run."""
        with self.lock:
            if self.state is not OPEN:
                return self.state, 0.0
            if self.forced:
                return OPEN, float("inf")
            wait = self.opened_at + self.settings.recovery_timeout - self.clock()
            return OPEN, max(0.0, wait)
