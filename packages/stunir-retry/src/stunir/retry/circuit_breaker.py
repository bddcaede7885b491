"""The circuit breaker: stop calling a dependency that keeps failing, probe it, resume.

CLOSED -> OPEN after ``failure_threshold`` consecutive failures, or when the failure rate or
slow-call rate over a sliding window reaches its threshold (with at least ``minimum_calls``
calls in the window). OPEN -> HALF_OPEN once ``recovery_timeout`` seconds have passed; then at
most ``half_open_max_calls`` trial calls run at once, ``success_threshold`` successful trials
close the circuit and one failed trial opens it again.

The breaker's lock guards its bookkeeping only; the protected calls run in parallel.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from types import TracebackType
from typing import Any, NoReturn, ParamSpec, TypeVar, cast

from stunir.retry._control_flow import CONTROL_FLOW
from stunir.retry._counter import Counter
from stunir.retry._validation import (
    at_least,
    callable_or_none,
    decoratable,
    exception_types,
    fraction,
    positive,
)
from stunir.retry.breaker_state import (
    AsyncStateStore,
    BreakerSettings,
    BreakerStats,
    BreakerStorage,
    CircuitState,
    Rejected,
    StateChange,
    StateStore,
)
from stunir.retry.errors import CircuitOpenError, InvalidArgumentError
from stunir.retry.local_store import LocalStore
from stunir.retry.windows import CountWindow, Tally, TimeWindow

logger = logging.getLogger("stunir.retry")

P = ParamSpec("P")
R = TypeVar("R")

Listener = Callable[[StateChange], object]
Verdict = tuple[str, tuple[Any, ...]]  # the store operation that ends a call, and its arguments
_NOTHING: Verdict = ("", ())  # no store operation needed


class CircuitBreaker:
    """A circuit breaker: decorator (sync and async), context manager and ``call()``.

    Thread-safe; one breaker may guard many functions. ``stats()`` returns this process's
    totals. With ``storage=RedisBreakerStorage(...)`` every process sharing the name shares
    the state. Control-flow exceptions are neither successes nor failures and release any
    trial permit they held.
    """

    def __init__(
        self,
        failure_threshold: int | None = 5,
        recovery_timeout: float = 30.0,
        *,
        name: str | None = None,
        half_open_max_calls: int = 1,
        success_threshold: int = 1,
        failure_rate_threshold: float | None = None,
        slow_call_duration: float | None = None,
        slow_call_rate_threshold: float | None = None,
        window: CountWindow | TimeWindow | None = None,
        minimum_calls: int = 10,
        failure_exceptions: type[BaseException] | tuple[type[BaseException], ...] = Exception,
        excluded_exceptions: type[BaseException] | tuple[type[BaseException], ...] = (),
        failure_if_result: Callable[[Any], bool] | None = None,
        listeners: Iterable[Listener] = (),
        storage: BreakerStorage | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold is not None:
            at_least("failure_threshold", failure_threshold, 1)
        self.settings = BreakerSettings(
            failure_threshold=failure_threshold,
            recovery_timeout=positive("recovery_timeout", recovery_timeout),
            half_open_max_calls=at_least("half_open_max_calls", half_open_max_calls, 1),
            success_threshold=at_least("success_threshold", success_threshold, 1),
        )
        given: object = name  # checked as the caller may pass anything
        if given is not None and not (isinstance(given, str) and given):
            raise InvalidArgumentError(f"name must be a non-empty str or None, got {name!r}")
        if name is None and storage is not None:
            raise InvalidArgumentError(
                "a breaker with shared storage needs a name=: it is what the processes share"
            )
        self.name = name or f"breaker-{id(self):x}"
        self.failure_rate_threshold = (
            None
            if failure_rate_threshold is None
            else fraction("failure_rate_threshold", failure_rate_threshold)
        )
        self.slow_call_duration = (
            None
            if slow_call_duration is None
            else positive("slow_call_duration", slow_call_duration)
        )
        self.slow_call_rate_threshold = (
            None
            if slow_call_rate_threshold is None
            else fraction("slow_call_rate_threshold", slow_call_rate_threshold)
        )
        if (self.slow_call_duration is None) != (self.slow_call_rate_threshold is None):
            raise InvalidArgumentError(
                "slow_call_duration and slow_call_rate_threshold go together: got "
                f"{slow_call_duration!r} and {slow_call_rate_threshold!r}"
            )
        uses_window = self.failure_rate_threshold is not None or self.slow_call_duration is not None
        if failure_threshold is None and not uses_window:
            raise InvalidArgumentError(
                "nothing would ever open this circuit: set failure_threshold, "
                "failure_rate_threshold or slow_call_rate_threshold"
            )
        if window is not None and not isinstance(window, (CountWindow, TimeWindow)):
            raise InvalidArgumentError(
                f"window must be a CountWindow or TimeWindow, got {window!r}"
            )
        self.window = window or CountWindow()
        self.minimum_calls = at_least("minimum_calls", minimum_calls, 1)
        self._tally: Tally | None = self.window.tally() if uses_window else None
        self._tally_lock = threading.Lock()
        self.failure_exceptions = exception_types("failure_exceptions", failure_exceptions)
        self.excluded_exceptions = exception_types("excluded_exceptions", excluded_exceptions)
        # Exits that are neither success nor failure: they only give back a trial permit.
        self._released = (*CONTROL_FLOW, *self.excluded_exceptions)
        self.failure_if_result = callable_or_none("failure_if_result", failure_if_result)
        self._listeners: list[Listener] = []
        for listener in listeners:
            self.add_listener(listener)
        if not callable(clock):
            raise InvalidArgumentError(f"clock must be callable, got {clock!r}")
        self.clock = clock
        self._local = LocalStore(self.name, self.settings, clock)
        self._store: StateStore = (
            self._local if storage is None else storage.bind(self.name, self.settings, self._local)
        )
        self._timed = self.slow_call_duration is not None or isinstance(self.window, TimeWindow)
        # Nothing but the consecutive-failure count to keep: the decorator may take a shortcut.
        self._plain = (
            self._store is self._local
            and not self._timed
            and self._tally is None
            and self.failure_if_result is None
        )
        self._calls = Counter()
        self._successes = Counter()
        self._failures = Counter()
        self._ignored = Counter()
        self._rejections = Counter()
        self._slow = Counter()
        self._opened = Counter()
        self._last_kind: tuple[object, bool] = (None, False)  # call()'s last function
        self._entered: ContextVar[tuple[tuple[int, float], ...]] = ContextVar(
            f"stunir.retry.breaker.{self.name}", default=()
        )

    # -- state ---------------------------------------------------------------------------------

    @property
    def state(self) -> CircuitState:
        return self._store.snapshot()[0]

    @property
    def retry_after(self) -> float:
        """Seconds until an OPEN circuit admits a trial call (0 when not OPEN)."""
        return self._store.snapshot()[1]

    def open(self) -> None:
        """Open the circuit now; it recovers after ``recovery_timeout`` as usual."""
        self._notify(self._store.force(CircuitState.OPEN, hold=False))

    def close(self) -> None:
        """Close the circuit now and forget counted failures; ends a ``force_state``."""
        self._notify(self._store.force(CircuitState.CLOSED, hold=False))

    def force_state(self, state: CircuitState | None) -> None:
        """Hold the circuit in ``state`` until ``close()`` or ``force_state(None)``.

        A forced OPEN circuit never recovers by itself; a forced CLOSED one never trips.
        HALF_OPEN is not held: the next trial calls decide, as after a recovery timeout.
        """
        if state is None:
            self.close()
            return
        if not isinstance(state, CircuitState):
            raise InvalidArgumentError(f"state must be a CircuitState or None, got {state!r}")
        self._notify(self._store.force(state, hold=state is not CircuitState.HALF_OPEN))

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(change)`` on every state change this process makes or observes."""
        if not callable(listener):
            raise InvalidArgumentError(f"listener must be callable, got {listener!r}")
        self._listeners.append(listener)

    def stats(self) -> BreakerStats:
        return BreakerStats(
            name=self.name,
            state=self.state,
            calls=self._calls.value,
            successes=self._successes.value,
            failures=self._failures.value,
            ignored=self._ignored.value,
            rejections=self._rejections.value,
            slow_calls=self._slow.value,
            times_opened=self._opened.value,
        )

    def _notify(self, change: StateChange | None) -> None:
        if change is None:
            return
        if change.new is CircuitState.OPEN:
            self._opened.bump()
        elif change.new is CircuitState.CLOSED and self._tally is not None:
            with self._tally_lock:
                self._tally.reset()
        level = logging.WARNING if change.new is CircuitState.OPEN else logging.INFO
        logger.log(
            level,
            "circuit %r: %s -> %s (%s)",
            self.name,
            change.old.value,
            change.new.value,
            change.reason,
        )
        for listener in self._listeners:
            try:
                listener(change)
            except Exception:  # noqa: PERF203  # one broken listener must not starve the others
                logger.exception("circuit %r: state-change listener %r failed", self.name, listener)

    # -- one call's bookkeeping ----------------------------------------------------------------
    # A call is admitted (a permit), then judged: the judgement counts it, records it in the
    # window, and names the store operation that ends it (a Verdict), which is then told to
    # the store, blocking or awaited. The same judgement serves every way of calling.

    def _admit(self, permit: int, change: StateChange | None) -> int:
        if change is not None:
            self._notify(change)
        self._calls.bump()
        return permit

    def _refuse(self, rejected: Rejected) -> NoReturn:
        self._rejections.bump()
        raise CircuitOpenError(
            self.name, retry_after=rejected.retry_after, state=rejected.state.value
        ) from None

    def _acquire(self) -> int:
        try:
            permit, change = self._store.acquire()
        except Rejected as rejected:
            self._refuse(rejected)
        return self._admit(permit, change)

    async def _acquire_async(self, store: AsyncStateStore) -> int:
        try:
            permit, change = await store.run_async("acquire")
        except Rejected as rejected:
            self._refuse(rejected)
        return self._admit(permit, change)

    def _tell(self, verdict: Verdict) -> None:
        operation, args = verdict
        if operation:
            self._notify(getattr(self._store, operation)(*args))

    async def _tell_async(self, store: AsyncStateStore, verdict: Verdict) -> None:
        operation, args = verdict
        self._notify(await store.run_async(operation, *args))

    def _start(self) -> float:
        return self.clock() if self._timed else 0.0

    def _window(self, permit: int, failed: bool, started: float) -> bool:
        """Record a CLOSED call in the window; True when a rate reached its threshold."""
        slow = False
        if self._timed:
            now = self.clock()
            duration_limit = self.slow_call_duration
            slow = duration_limit is not None and now - started >= duration_limit
            if slow:
                self._slow.bump()
        else:
            now = 0.0
        if self._tally is None or permit > 0:
            return False
        with self._tally_lock:
            calls, failures, slow_calls = self._tally.record(now, failed, slow)
        if calls < self.minimum_calls:
            return False
        rate = self.failure_rate_threshold
        slow_rate = self.slow_call_rate_threshold
        return (rate is not None and failures / calls >= rate) or (
            slow_rate is not None and slow_calls / calls >= slow_rate
        )

    def _judge_result(self, permit: int, result: Any, started: float) -> Verdict:
        if self.failure_if_result is not None and self.failure_if_result(result):
            return self._judge_failure(permit, started)
        return self._judge_success(permit, started)

    def _judge_success(self, permit: int, started: float) -> Verdict:
        self._successes.bump()
        if (self._timed or self._tally is not None) and self._window(permit, False, started):
            return "trip", ("failure or slow-call rate over the threshold",)
        if permit <= 0 and self._store is self._local and not self._local.failures:
            return _NOTHING  # a CLOSED success with no failure to forget
        return "success", (permit,)

    def _judge_failure(self, permit: int, started: float) -> Verdict:
        self._failures.bump()
        return "failure", (permit, self._window(permit, True, started))

    def _judge_exception(self, permit: int, exc: BaseException, started: float) -> Verdict:
        if isinstance(exc, self._released):
            self._ignored.bump()
            return "release", (permit,)
        if isinstance(exc, self.failure_exceptions):
            return self._judge_failure(permit, started)
        return self._judge_success(permit, started)

    def _on_result(self, permit: int, result: Any, started: float) -> None:
        self._tell(self._judge_result(permit, result, started))

    def _on_exception(self, permit: int, exc: BaseException, started: float) -> None:
        self._tell(self._judge_exception(permit, exc, started))

    # -- the ways to use it --------------------------------------------------------------------

    def call(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run ``fn(*args, **kwargs)`` through the breaker; a coroutine function gives an
        awaitable that goes through the breaker when awaited."""
        last_fn, is_coroutine = self._last_kind
        if last_fn is not fn:  # asking inspect costs more than the call: remember the answer
            is_coroutine = inspect.iscoroutinefunction(fn)
            self._last_kind = (fn, is_coroutine)
        if is_coroutine:
            return self._guard(fn)(*args, **kwargs)
        return cast("R", self._call_sync(fn, args, kwargs))

    def _call_sync(self, fn: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        if self._plain and self._local.state is CircuitState.CLOSED:
            # A local breaker without windows or result predicate, while CLOSED: the general
            # path below with every step that cannot apply left out, and no lock taken.
            self._calls.bump()
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                self._on_exception(0, exc, 0.0)
                raise
            self._successes.bump()
            if self._local.failures:
                self._notify(self._local.success(0))
            return result
        permit = self._acquire()
        started = self._start()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            self._on_exception(permit, exc, started)
            raise
        self._on_result(permit, result, started)
        return result

    def _guard(self, fn: Callable[P, R]) -> Callable[P, R]:
        """The bare wrapper: a few local names, one permit per call, no lock when CLOSED."""
        acquire, start = self._acquire, self._start
        if inspect.iscoroutinefunction(fn):
            judge_result, judge_exception = self._judge_result, self._judge_exception
            tell, tell_async, acquire_async = self._tell, self._tell_async, self._acquire_async
            # A shared store is awaited, never called blocking, from a coroutine function.
            shared = self._store if isinstance(self._store, AsyncStateStore) else None

            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                permit = acquire() if shared is None else await acquire_async(shared)
                started = start()
                try:
                    result = await fn(*args, **kwargs)
                except BaseException as exc:
                    verdict = judge_exception(permit, exc, started)
                    if shared is None:
                        tell(verdict)
                    else:
                        await tell_async(shared, verdict)
                    raise
                verdict = judge_result(permit, result, started)
                if shared is None:
                    tell(verdict)
                else:
                    await tell_async(shared, verdict)
                return result

            if not self._plain:
                return cast("Callable[P, R]", async_wrapper)
            local, closed = self._local, CircuitState.CLOSED
            bump_calls, bump_successes = self._calls.bump, self._successes.bump

            async def async_closed_fast_path(*args: Any, **kwargs: Any) -> Any:
                # As closed_fast_path below, for coroutine functions.
                if local.state is not closed:
                    return await async_wrapper(*args, **kwargs)
                bump_calls()
                try:
                    result = await fn(*args, **kwargs)
                except BaseException as exc:
                    tell(judge_exception(0, exc, 0.0))
                    raise
                bump_successes()
                if local.failures:
                    self._notify(local.success(0))
                return result

            return cast("Callable[P, R]", async_closed_fast_path)

        call_sync = self._call_sync

        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            return call_sync(fn, args, kwargs)

        return cast("Callable[P, R]", sync_wrapper)

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Decorate a function or coroutine function; its signature is kept."""
        decoratable("a circuit breaker", fn)
        wrapper: Callable[..., Any] = self._guard(fn)
        wrapper = functools.wraps(fn)(wrapper)
        wrapper.circuit_breaker = self  # type: ignore[attr-defined]
        return cast("Callable[P, R]", wrapper)

    def __enter__(self) -> CircuitBreaker:
        permit = self._acquire()
        self._entered.set((*self._entered.get(), (permit, self._start())))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        *outer, (permit, started) = self._entered.get()
        self._entered.set(tuple(outer))
        if exc is None:
            self._tell(self._judge_success(permit, started))  # a block has no result to judge
        else:
            self._on_exception(permit, exc, started)

    async def __aenter__(self) -> CircuitBreaker:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, traceback)

    def __repr__(self) -> str:
        return f"<CircuitBreaker {self.name!r} {self.state.value}>"
