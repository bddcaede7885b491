"""Records of what happened: one attempt's outcome, one call's running state, policy totals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """How one attempt ended: with an exception or with a result (``exception is None``)."""

    attempt: int
    exception: BaseException | None
    result: Any
    duration: float  # seconds the attempt took, by the policy's clock

    @property
    def failed(self) -> bool:
        return self.exception is not None

    def describe(self) -> str:
        if self.exception is not None:
            return f"attempt {self.attempt} raised {self.exception!r}"
        return f"attempt {self.attempt} returned {self.result!r}"


class RetryState:
    """One call's progress, handed to every hook. Created at the call's first failure.

    Each call has its own state: concurrent callers never see each other's attempts.
    """

    __slots__ = (
        "_clock",
        "attempt",
        "attempt_started",
        "delays",
        "fastest_attempt",
        "name",
        "next_delay",
        "outcomes",
        "slept",
        "started",
    )

    def __init__(self, name: str, clock: Any, started: float) -> None:
        self.name = name
        self._clock = clock
        self.started = started  # clock reading when the call began
        self.attempt = 1  # number of the current (or last) attempt, 1-based
        self.attempt_started = started
        self.outcomes: list[AttemptOutcome] = []
        self.slept = 0.0  # seconds slept between attempts so far
        self.next_delay = 0.0  # seconds to sleep before the next attempt, once decided
        self.fastest_attempt = float("inf")  # shortest attempt so far, seconds
        self.delays: Any = None  # this call's own backoff sequence, made on first need

    @property
    def elapsed(self) -> float:
        """Seconds since the call began."""
        return float(self._clock() - self.started)

    @property
    def last(self) -> AttemptOutcome:
        return self.outcomes[-1]

    @property
    def last_exception(self) -> BaseException | None:
        return self.outcomes[-1].exception if self.outcomes else None

    def __repr__(self) -> str:
        return (
            f"<RetryState {self.name!r} attempt={self.attempt} slept={self.slept:.3f} "
            f"last={self.last.describe() if self.outcomes else None}>"
        )


@dataclass(frozen=True, slots=True)
class RetryStats:
    """Totals of one retry policy, across every call and thread."""

    calls: int  # calls started
    retries: int  # attempts after the first
    give_ups: int  # calls that ended with an error or RetriesExhaustedError
    slept_seconds: float  # total time slept between attempts
    budget_throttled: int  # retries refused by the retry budget
