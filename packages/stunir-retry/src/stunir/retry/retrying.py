"""The iterator forms of a retry policy, for retrying a block of code instead of a function::

for attempt in Retrying(max_attempts=3):
    with attempt:
        do_something()

async for attempt in AsyncRetrying(max_attempts=3):
    with attempt:
        await do_something()
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Any

from stunir.retry._control_flow import CONTROL_FLOW
from stunir.retry.errors import InvalidArgumentError
from stunir.retry.outcome import RetryState
from stunir.retry.retry import RetryPolicy

_PENDING, _SUCCEEDED, _RETRY = range(3)
_UNSET: Any = object()  # no set_result() in the block: there is no result to judge


class Attempt:
    """One attempt of a block: a context manager that reports how the block ended.

    A retryable failure is swallowed (the loop goes on); giving up raises the last error
    (or ``RetriesExhaustedError``). ``set_result`` hands a value to ``retry_if_result``.
    """

    __slots__ = ("_policy", "_result", "_started", "_state", "_verdict", "number")

    def __init__(self, policy: RetryPolicy, number: int, started: float) -> None:
        self._policy = policy
        self._state: RetryState | None = None
        self._started = started
        self._result: Any = _UNSET
        self._verdict = _PENDING
        self.number = number

    def set_result(self, result: Any) -> None:
        """Record the block's result, so that the policy may retry on it."""
        self._result = result

    def __enter__(self) -> Attempt:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        policy = self._policy
        if exc is None:
            result = self._result
            if (
                result is not _UNSET
                and policy.condition.checks_results
                and policy.condition.retry_on_result(result)
            ):
                self._state = policy._failed(
                    self._state, self._started, None, self._result, policy.name
                )
                self._verdict = _RETRY
                return False
            self._verdict = _SUCCEEDED
            policy._succeeded()
            return False
        if isinstance(exc, CONTROL_FLOW):
            return False
        self._state = policy._failed(self._state, self._started, exc, None, policy.name)
        self._verdict = _RETRY
        return True

    def __repr__(self) -> str:
        return f"<Attempt {self.number}>"


class _Loop:
    """One run of the block: hands out attempts until one succeeds or the policy gives up."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        policy._calls.bump()
        self.attempt = Attempt(policy, 1, policy.clock())

    def advance(self) -> float | None:
        """After an attempt: None when done, else the seconds to sleep before the next one."""
        attempt = self.attempt
        if attempt._verdict != _RETRY:
            return None
        state = attempt._state
        assert state is not None
        return self.policy._pause(state)

    def next_attempt(self) -> Attempt:
        previous = self.attempt
        state = previous._state
        assert state is not None
        self.policy._next_attempt(state)
        attempt = Attempt(self.policy, state.attempt, state.started)
        attempt._state = state
        self.attempt = attempt
        return attempt


class Retrying(RetryPolicy):
    """A retry policy to iterate over: ``for attempt in Retrying(...): with attempt: ...``.

    Takes the keyword arguments of ``RetryPolicy``; every ``for`` loop is one call.
    """

    def __iter__(self) -> Iterator[Attempt]:
        sleep = self.sleep or time.sleep
        loop = _Loop(self)
        yield loop.attempt
        while (delay := loop.advance()) is not None:
            if delay > 0:
                sleep(delay)
            yield loop.next_attempt()


class AsyncRetrying(RetryPolicy):
    """The async twin of ``Retrying``: ``async for attempt in AsyncRetrying(...)``."""

    def __iter__(self) -> Iterator[Attempt]:
        raise InvalidArgumentError("AsyncRetrying is iterated with 'async for'; use Retrying")

    async def __aiter__(self) -> AsyncIterator[Attempt]:
        sleep = self.sleep or asyncio.sleep
        loop = _Loop(self)
        yield loop.attempt
        while (delay := loop.advance()) is not None:
            if delay > 0:
                pending = sleep(delay)
                if inspect.isawaitable(pending):
                    await pending
            yield loop.next_attempt()
