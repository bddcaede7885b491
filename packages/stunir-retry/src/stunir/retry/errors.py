"""The exceptions of stunir.retry: one base, ``RetryError``, and subclasses that carry facts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stunir.retry.outcome import AttemptOutcome


class RetryError(Exception):
    """Base of every exception this package raises."""


class InvalidArgumentError(RetryError, ValueError):
    """A constructor or decorator argument was refused; the message names the value."""


class RetriesExhaustedError(RetryError):
    """Raised instead of the last error when ``reraise=False``, or when a result was retried.

    ``outcomes`` holds every attempt's outcome, oldest first; ``last`` is the final one.
    """

    def __init__(self, outcomes: Sequence[AttemptOutcome], reason: str) -> None:
        self.outcomes: tuple[AttemptOutcome, ...] = tuple(outcomes)
        self.reason = reason
        last = self.outcomes[-1] if self.outcomes else None
        detail = "" if last is None else f"; last outcome: {last.describe()}"
        super().__init__(f"gave up after {len(self.outcomes)} attempt(s) ({reason}){detail}")

    @property
    def last(self) -> AttemptOutcome:
        return self.outcomes[-1]


class CircuitOpenError(RetryError):
    """The circuit breaker refused the call; ``retry_after`` is in seconds (0 if unknown)."""

    def __init__(self, name: str, *, retry_after: float, state: str = "open") -> None:
        self.name = name
        self.retry_after = max(0.0, retry_after)
        self.state = state
        super().__init__(f"circuit {name!r} is {state}; retry after {self.retry_after:.3f} seconds")
