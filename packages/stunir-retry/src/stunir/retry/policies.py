"""Composable conditions: when to stop retrying, and which outcomes deserve a retry.

Stop conditions combine with ``|`` (stop when either says stop) and ``&`` (stop when both do):
``MaxAttempts(5) | Timeout(30)``. Retry conditions combine the same way:
``RetryOn(ConnectionError) | RetryIfResult(lambda r: r is None)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from stunir.retry._validation import at_least, exception_types, positive
from stunir.retry.errors import InvalidArgumentError
from stunir.retry.outcome import RetryState


class StopCondition(ABC):
    """Decides, after a failed attempt and once the next delay is known, whether to give up."""

    @abstractmethod
    def should_stop(self, state: RetryState) -> bool: ...

    def __or__(self, other: StopCondition) -> StopCondition:
        return _StopAny(self, _stop(other))

    def __and__(self, other: StopCondition) -> StopCondition:
        return _StopAll(self, _stop(other))

    # The tightest attempt limit and deadline this condition implies, used by the retry loop.
    def attempt_limit(self) -> float:
        return float("inf")

    def deadline(self) -> float:
        return float("inf")


def _stop(value: object) -> StopCondition:
    if not isinstance(value, StopCondition):
        raise InvalidArgumentError(f"expected a StopCondition, got {value!r}")
    return value


class MaxAttempts(StopCondition):
    """Stop once ``attempts`` attempts have been made (the first call counts)."""

    def __init__(self, attempts: int) -> None:
        self.attempts = at_least("max_attempts", attempts, 1)

    def should_stop(self, state: RetryState) -> bool:
        return state.attempt >= self.attempts

    def attempt_limit(self) -> float:
        return float(self.attempts)

    def __repr__(self) -> str:
        return f"MaxAttempts({self.attempts})"


class Timeout(StopCondition):
    """A hard deadline, ``seconds`` after the call began.

    The policy never sleeps past it, and never starts an attempt that cannot finish before
    it: the next attempt is assumed to take at least as long as the fastest attempt so far.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = positive("timeout", seconds)

    def should_stop(self, state: RetryState) -> bool:
        fastest = state.fastest_attempt
        return state.elapsed + state.next_delay + fastest > self.seconds

    def deadline(self) -> float:
        return self.seconds

    def __repr__(self) -> str:
        return f"Timeout({self.seconds!r})"


class StopWhen(StopCondition):
    """Stop when ``predicate(state)`` is true."""

    def __init__(self, predicate: Callable[[RetryState], bool]) -> None:
        if not callable(predicate):
            raise InvalidArgumentError(f"StopWhen needs a callable, got {predicate!r}")
        self.predicate = predicate

    def should_stop(self, state: RetryState) -> bool:
        return bool(self.predicate(state))


class _StopAny(StopCondition):
    def __init__(self, left: StopCondition, right: StopCondition) -> None:
        self.left, self.right = left, right

    def should_stop(self, state: RetryState) -> bool:
        return self.left.should_stop(state) or self.right.should_stop(state)

    def attempt_limit(self) -> float:
        return min(self.left.attempt_limit(), self.right.attempt_limit())

    def deadline(self) -> float:
        return min(self.left.deadline(), self.right.deadline())

    def __repr__(self) -> str:
        return f"({self.left!r} | {self.right!r})"


class _StopAll(StopCondition):
    def __init__(self, left: StopCondition, right: StopCondition) -> None:
        self.left, self.right = left, right

    def should_stop(self, state: RetryState) -> bool:
        return self.left.should_stop(state) and self.right.should_stop(state)

    def attempt_limit(self) -> float:
        return max(self.left.attempt_limit(), self.right.attempt_limit())

    def deadline(self) -> float:
        return max(self.left.deadline(), self.right.deadline())

    def __repr__(self) -> str:
        return f"({self.left!r} & {self.right!r})"


class RetryCondition:
    """Decides whether one attempt's exception, or its result, deserves another attempt."""

    def retry_on_exception(self, exc: BaseException) -> bool:
        return False

    def retry_on_result(self, result: Any) -> bool:
        return False

    @property
    def checks_results(self) -> bool:
        """False when no result can ever be retried: the success path then skips the check."""
        return False

    def __or__(self, other: RetryCondition) -> RetryCondition:
        return _RetryAny(self, _condition(other))

    def __and__(self, other: RetryCondition) -> RetryCondition:
        return _RetryAll(self, _condition(other))


def _condition(value: object) -> RetryCondition:
    if not isinstance(value, RetryCondition):
        raise InvalidArgumentError(f"expected a RetryCondition, got {value!r}")
    return value


class RetryOn(RetryCondition):
    """Retry when the attempt raised one of ``types``."""

    def __init__(self, *types: type[BaseException]) -> None:
        if not types:
            raise InvalidArgumentError("RetryOn needs at least one exception class")
        self.types = exception_types("RetryOn", types)

    def retry_on_exception(self, exc: BaseException) -> bool:
        return isinstance(exc, self.types)

    def __repr__(self) -> str:
        return f"RetryOn({', '.join(t.__name__ for t in self.types)})"


class RetryIf(RetryCondition):
    """Retry when ``predicate(exception)`` is true."""

    def __init__(self, predicate: Callable[[BaseException], bool]) -> None:
        if not callable(predicate):
            raise InvalidArgumentError(f"RetryIf needs a callable, got {predicate!r}")
        self.predicate = predicate

    def retry_on_exception(self, exc: BaseException) -> bool:
        return bool(self.predicate(exc))


class RetryIfResult(RetryCondition):
    """Retry when the attempt returned a value for which ``predicate(result)`` is true."""

    def __init__(self, predicate: Callable[[Any], bool]) -> None:
        if not callable(predicate):
            raise InvalidArgumentError(f"RetryIfResult needs a callable, got {predicate!r}")
        self.predicate = predicate

    def retry_on_result(self, result: Any) -> bool:
        return bool(self.predicate(result))

    @property
    def checks_results(self) -> bool:
        return True


class _RetryAny(RetryCondition):
    def __init__(self, left: RetryCondition, right: RetryCondition) -> None:
        self.left, self.right = left, right

    def retry_on_exception(self, exc: BaseException) -> bool:
        return self.left.retry_on_exception(exc) or self.right.retry_on_exception(exc)

    def retry_on_result(self, result: Any) -> bool:
        return self.left.retry_on_result(result) or self.right.retry_on_result(result)

    @property
    def checks_results(self) -> bool:
        return self.left.checks_results or self.right.checks_results


class _RetryAll(RetryCondition):
    def __init__(self, left: RetryCondition, right: RetryCondition) -> None:
        self.left, self.right = left, right

    def retry_on_exception(self, exc: BaseException) -> bool:
        return self.left.retry_on_exception(exc) and self.right.retry_on_exception(exc)

    def retry_on_result(self, result: Any) -> bool:
        return self.left.retry_on_result(result) and self.right.retry_on_result(result)

    @property
    def checks_results(self) -> bool:
        return self.left.checks_results and self.right.checks_results
