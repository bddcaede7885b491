"""The retry policy and the ``@retry`` decorator (sync functions, coroutine functions, methods).

Everything is decided at decoration time. A call that succeeds at its first attempt costs one
clock reading and one counter bump; the per-call ``RetryState`` is created at the first failure.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final, NoReturn, ParamSpec, TypeVar, cast, overload

from stunir.retry import testing
from stunir.retry._control_flow import CONTROL_FLOW
from stunir.retry._counter import Counter
from stunir.retry._validation import callable_or_none, decoratable, exception_types
from stunir.retry.backoff import Backoff, ExponentialBackoff, as_backoff
from stunir.retry.budget import RetryBudget
from stunir.retry.errors import InvalidArgumentError, RetriesExhaustedError
from stunir.retry.outcome import AttemptOutcome, RetryState, RetryStats
from stunir.retry.policies import (
    MaxAttempts,
    RetryCondition,
    RetryIf,
    RetryIfResult,
    RetryOn,
    StopCondition,
    Timeout,
)

logger = logging.getLogger("stunir.retry")

P = ParamSpec("P")
R = TypeVar("R")

Hook = Callable[[RetryState], object]
RetryAfterHook = Callable[[RetryState], "float | None"]
ExceptionSpec = (
    type[BaseException]
    | tuple[type[BaseException], ...]
    | Callable[[BaseException], bool]
    | RetryCondition
)


class _Default:
    def __repr__(self) -> str:
        return "<default>"


DEFAULT: Final = _Default()
DEFAULT_MAX_ATTEMPTS: Final = 3


def _retry_condition(
    on: ExceptionSpec, retry_if_result: Callable[[Any], bool] | None
) -> RetryCondition:
    condition: RetryCondition
    if isinstance(on, RetryCondition):
        condition = on
    elif isinstance(on, (type, tuple)):
        condition = RetryOn(*exception_types("on", on))
    elif callable(on):
        condition = RetryIf(on)
    else:
        raise InvalidArgumentError(
            f"on must be exception classes, a predicate or a RetryCondition, got {on!r}"
        )
    if retry_if_result is not None:
        condition = condition | RetryIfResult(retry_if_result)
    return condition


def _stop_condition(
    stop: StopCondition | None, max_attempts: int | None, timeout: float | None
) -> StopCondition:
    parts: list[StopCondition] = []
    if stop is not None:
        if not isinstance(stop, StopCondition):
            raise InvalidArgumentError(f"stop must be a StopCondition, got {stop!r}")
        parts.append(stop)
    if max_attempts is not None or (stop is None and timeout is None):
        parts.append(MaxAttempts(DEFAULT_MAX_ATTEMPTS if max_attempts is None else max_attempts))
    if timeout is not None:
        parts.append(Timeout(timeout))
    combined = parts[0]
    for part in parts[1:]:
        combined = combined | part
    return combined


class RetryPolicy:
    """What to retry, when to stop, how long to wait, and the totals of every call.

    One policy may decorate many functions and be used from many threads; each call keeps
    its own state. ``stats()`` returns the totals. Control-flow exceptions
    (``CancelledError``, ``KeyboardInterrupt``, ``SystemExit``, ``GeneratorExit``) are never
    retried, whatever ``on`` says.
    """

    def __init__(
        self,
        *,
        max_attempts: int | None = None,
        timeout: float | None = None,
        stop: StopCondition | None = None,
        on: ExceptionSpec = Exception,
        retry_if_result: Callable[[Any], bool] | None = None,
        give_up: Callable[[BaseException], bool] | None = None,
        backoff: Backoff | float | _Default | None = DEFAULT,
        retry_after: RetryAfterHook | None = None,
        before_sleep: Hook | None = None,
        on_retry: Hook | None = None,
        on_give_up: Hook | None = None,
        reraise: bool = True,
        budget: RetryBudget | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] | None = None,
        name: str | None = None,
    ) -> None:
        self.stop = _stop_condition(stop, max_attempts, timeout)
        self.condition = _retry_condition(on, callable_or_none("retry_if_result", retry_if_result))
        self.give_up = callable_or_none("give_up", give_up)
        self.backoff = (
            ExponentialBackoff() if isinstance(backoff, _Default) else as_backoff(backoff)
        )
        self.retry_after = callable_or_none("retry_after", retry_after)
        self.before_sleep = callable_or_none("before_sleep", before_sleep)
        self.on_retry = callable_or_none("on_retry", on_retry)
        self.on_give_up = callable_or_none("on_give_up", on_give_up)
        if not isinstance(reraise, bool):
            raise InvalidArgumentError(f"reraise must be True or False, got {reraise!r}")
        self.reraise = reraise
        if budget is not None and not isinstance(budget, RetryBudget):
            raise InvalidArgumentError(f"budget must be a RetryBudget or None, got {budget!r}")
        self.budget = budget
        if not callable(clock):
            raise InvalidArgumentError(f"clock must be callable, got {clock!r}")
        self.clock = clock
        self.sleep = callable_or_none("sleep", sleep)
        if name is not None and not isinstance(name, str):
            raise InvalidArgumentError(f"name must be a str or None, got {name!r}")
        self._label = name
        self.name = name or "retry"
        self._calls = Counter()
        self._retries = Counter()
        self._give_ups = Counter()
        self._slept = 0.0
        self._slept_lock = threading.Lock()

    # -- statistics ---------------------------------------------------------------------------

    def stats(self) -> RetryStats:
        """Totals since the policy was made; exact under concurrent threads."""
        throttled = 0 if self.budget is None else self.budget.stats().retries_refused
        return RetryStats(
            calls=self._calls.value,
            retries=self._retries.value,
            give_ups=self._give_ups.value,
            slept_seconds=self._slept,
            budget_throttled=throttled,
        )

    # -- the decision, shared by the decorators and the iterator forms ------------------------

    def _begin(self, started: float, label: str) -> RetryState:
        return RetryState(label, self.clock, started)

    def _record(self, state: RetryState, exc: BaseException | None, result: Any) -> None:
        now = self.clock()
        duration = now - state.attempt_started
        state.outcomes.append(AttemptOutcome(state.attempt, exc, result, duration))
        state.fastest_attempt = min(state.fastest_attempt, duration)
        if self.budget is not None:
            self.budget.record_failure()

    def _next_delay(self, state: RetryState) -> float:
        override = None if self.retry_after is None else self.retry_after(state)
        if override is not None:
            return max(0.0, float(override))
        if self.backoff is None:
            return 0.0
        if state.delays is None:
            state.delays = self.backoff.delays()
        return float(next(state.delays))

    def _why_stop(self, state: RetryState, exc: BaseException | None) -> str | None:
        """The reason to give up now, or None to retry after ``state.next_delay``."""
        if exc is not None:
            if not self.condition.retry_on_exception(exc):
                return "the exception is not retryable"
            if self.give_up is not None and self.give_up(exc):
                return "the give_up predicate said so"
        overrides = testing.ACTIVE[0]
        cap = None if overrides is None else overrides.max_attempts
        if cap is not None and state.attempt >= cap:
            return "test mode attempt cap reached"
        state.next_delay = self._next_delay(state)
        if self.stop.should_stop(state):
            return f"stop condition {self.stop!r} reached"
        if self.budget is not None and not self.budget.try_retry():
            return "the retry budget is exhausted"
        return None

    def _failed(
        self,
        state: RetryState | None,
        started: float,
        exc: BaseException | None,
        result: Any,
        label: str,
    ) -> RetryState:
        """Record a failed attempt; return the state to retry with, or raise to give up."""
        if state is None:
            state = self._begin(started, label)
        self._record(state, exc, result)
        reason = self._why_stop(state, exc)
        if reason is not None:
            self._give_up(state, exc, reason)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s: %s; retrying in %.3f s",
                label,
                state.last.describe(),
                state.next_delay,
            )
        if self.before_sleep is not None:
            self.before_sleep(state)
        return state

    def _give_up(self, state: RetryState, exc: BaseException | None, reason: str) -> NoReturn:
        self._give_ups.bump()
        if self.on_give_up is not None:
            self.on_give_up(state)
        logger.debug("%s: giving up after %d attempt(s): %s", state.name, state.attempt, reason)
        if exc is not None and self.reraise:
            raise exc
        raise RetriesExhaustedError(state.outcomes, reason) from exc

    def _pause(self, state: RetryState) -> float:
        """Account for the coming sleep; returns the seconds to actually sleep (0 in test mode)."""
        delay = state.next_delay
        if delay:
            state.slept += delay
            with self._slept_lock:
                self._slept += delay
        overrides = testing.ACTIVE[0]
        if overrides is not None and not overrides.sleep:
            return 0.0
        return delay

    def _next_attempt(self, state: RetryState) -> None:
        state.attempt += 1
        state.attempt_started = self.clock()
        self._retries.bump()
        if self.on_retry is not None:
            self.on_retry(state)

    def _succeeded(self) -> None:
        if self.budget is not None:
            self.budget.record_success()

    # -- decorating ---------------------------------------------------------------------------

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        decoratable("retry", fn)
        label = self._label or getattr(fn, "__qualname__", None) or repr(fn)
        if inspect.iscoroutinefunction(fn):
            wrapper: Callable[..., Any] = self._wrap_async(fn, label)
        else:
            wrapper = self._wrap_sync(fn, label)
        wrapper = functools.wraps(fn)(wrapper)
        wrapper.retry_policy = self  # type: ignore[attr-defined]
        return cast("Callable[P, R]", wrapper)

    def _judge_result(
        self, state: RetryState | None, started: float, result: Any, label: str
    ) -> RetryState | None:
        """None when a returned value ends the call; else the state to retry with (or raises)."""
        if self.condition.retry_on_result(result):
            return self._failed(state, started, None, result, label)
        self._succeeded()
        return None

    def _wrap_sync(self, fn: Callable[..., Any], label: str) -> Callable[..., Any]:
        clock, bump, failed = self.clock, self._calls.bump, self._failed
        pause, begin = self._pause, self._next_attempt
        checks = self.condition.checks_results or self.budget is not None
        judge = self._judge_result if checks else None
        sleep = self.sleep or time.sleep

        def attempts(args: Any, kwargs: Any, started: float, state: RetryState | None) -> Any:
            while True:
                if state is not None:
                    if (seconds := pause(state)) > 0:
                        sleep(seconds)
                    begin(state)
                try:
                    result = fn(*args, **kwargs)
                except CONTROL_FLOW:
                    raise
                except BaseException as exc:  # judged by the policy
                    state = failed(state, started, exc, None, label)
                    continue
                if judge is None or (retry_state := judge(state, started, result, label)) is None:
                    return result
                state = retry_state

        if judge is not None:

            def judged(*args: Any, **kwargs: Any) -> Any:
                bump()
                return attempts(args, kwargs, clock(), None)

            return judged

        def first_attempt(*args: Any, **kwargs: Any) -> Any:
            # The common case, success at once, runs nothing but this.
            bump()
            started = clock()
            try:
                return fn(*args, **kwargs)
            except CONTROL_FLOW:
                raise
            except BaseException as exc:  # judged by the policy
                failure = exc
            return attempts(args, kwargs, started, failed(None, started, failure, None, label))

        return first_attempt

    def _wrap_async(self, fn: Callable[..., Awaitable[Any]], label: str) -> Callable[..., Any]:
        clock, bump, failed = self.clock, self._calls.bump, self._failed
        pause, begin = self._pause, self._next_attempt
        checks = self.condition.checks_results or self.budget is not None
        judge = self._judge_result if checks else None
        sleep = self.sleep or asyncio.sleep

        async def attempts(*args: Any, **kwargs: Any) -> Any:
            bump()
            started = clock()
            state: RetryState | None = None
            while True:
                if state is not None:
                    if (seconds := pause(state)) > 0 and inspect.isawaitable(
                        pending := sleep(seconds)
                    ):
                        await pending
                    begin(state)
                try:
                    result = await fn(*args, **kwargs)
                except CONTROL_FLOW:
                    raise
                except BaseException as exc:  # judged by the policy
                    state = failed(state, started, exc, None, label)
                    continue
                if judge is None or (retry_state := judge(state, started, result, label)) is None:
                    return result
                state = retry_state

        return attempts

    def __repr__(self) -> str:
        return (
            f"RetryPolicy(name={self.name!r}, stop={self.stop!r}, backoff={self.backoff!r}, "
            f"reraise={self.reraise})"
        )


@overload
def retry(fn: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def retry(
    *,
    max_attempts: int | None = None,
    timeout: float | None = None,
    stop: StopCondition | None = None,
    on: ExceptionSpec = Exception,
    retry_if_result: Callable[[Any], bool] | None = None,
    give_up: Callable[[BaseException], bool] | None = None,
    backoff: Backoff | float | _Default | None = DEFAULT,
    retry_after: RetryAfterHook | None = None,
    before_sleep: Hook | None = None,
    on_retry: Hook | None = None,
    on_give_up: Hook | None = None,
    reraise: bool = True,
    budget: RetryBudget | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], object] | None = None,
    name: str | None = None,
) -> RetryPolicy: ...


def retry(fn: Callable[..., Any] | None = None, /, **options: Any) -> Any:
    """Retry a function or coroutine function on failure: ``@retry`` or ``@retry(...)``.

    Takes the keyword arguments of ``RetryPolicy``. The decorated function keeps its
    signature; its policy (with ``stats()``) is at ``fn.retry_policy``.
    """
    policy = RetryPolicy(**options)
    if fn is None:
        return policy
    return policy(fn)
