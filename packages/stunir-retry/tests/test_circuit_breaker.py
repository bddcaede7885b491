import asyncio
import contextlib
import logging
import threading

import pytest

from stunir.retry import (
    CircuitBreaker,
    CircuitOpenError,
    CircuitState,
    CountWindow,
    InvalidArgumentError,
    RetryError,
    StateChange,
    TimeWindow,
    retry,
)

CLOSED, OPEN, HALF_OPEN = CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN


def ok() -> str:
    return "ok"


def boom() -> None:
    raise ConnectionError("down")


def fail_times(breaker: CircuitBreaker, n: int) -> None:
    for _ in range(n):
        with pytest.raises(ConnectionError):
            breaker.call(boom)


def test_consecutive_failures_open_the_circuit(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=3, recovery_timeout=10, clock=clock)
    fail_times(breaker, 2)
    assert breaker.state is CLOSED
    fail_times(breaker, 1)
    assert breaker.state is OPEN
    with pytest.raises(CircuitOpenError) as caught:
        breaker.call(ok)
    assert caught.value.retry_after == 10
    assert isinstance(caught.value, RetryError)


def test_a_success_resets_the_consecutive_failure_count(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=2, clock=clock)
    for _ in range(5):
        fail_times(breaker, 1)
        assert breaker.call(ok) == "ok"
    assert breaker.state is CLOSED


def test_retry_after_counts_down_with_the_clock(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=30, name="db", clock=clock)
    fail_times(breaker, 1)
    clock.advance(12.5)
    with pytest.raises(CircuitOpenError) as caught:
        breaker.call(ok)
    assert caught.value.retry_after == 17.5
    assert caught.value.name == "db"
    assert "circuit 'db' is open; retry after 17.500 seconds" in str(caught.value)
    assert breaker.retry_after == 17.5


def test_after_the_recovery_timeout_a_trial_success_closes_the_circuit(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=5, clock=clock)
    fail_times(breaker, 1)
    clock.advance(5)
    assert breaker.call(ok) == "ok"
    assert breaker.state is CLOSED


def test_a_failed_trial_opens_the_circuit_again(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=5, clock=clock)
    fail_times(breaker, 1)
    clock.advance(5)
    fail_times(breaker, 1)
    assert breaker.state is OPEN
    assert breaker.retry_after == 5


def test_success_threshold_needs_that_many_trial_successes(clock) -> None:
    breaker = CircuitBreaker(
        failure_threshold=1, recovery_timeout=5, success_threshold=3, clock=clock
    )
    fail_times(breaker, 1)
    clock.advance(5)
    breaker.call(ok)
    breaker.call(ok)
    assert breaker.state is HALF_OPEN
    breaker.call(ok)
    assert breaker.state is CLOSED


def test_half_open_admits_one_trial_call_at_a_time(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=5, clock=clock)
    fail_times(breaker, 1)
    clock.advance(5)
    inner: list[BaseException] = []

    def trial() -> str:
        try:
            breaker.call(ok)
        except CircuitOpenError as exc:
            inner.append(exc)
        return "trial"

    assert breaker.call(trial) == "trial"
    (rejected,) = inner
    assert isinstance(rejected, CircuitOpenError)
    assert rejected.state == "half_open"
    assert breaker.state is CLOSED


def test_failure_rate_over_a_count_window_opens_the_circuit(clock) -> None:
    breaker = CircuitBreaker(
        failure_threshold=None,
        failure_rate_threshold=0.5,
        window=CountWindow(10),
        minimum_calls=4,
        clock=clock,
    )
    fail_times(breaker, 1)
    breaker.call(ok)
    fail_times(breaker, 1)
    assert breaker.state is CLOSED  # 3 calls: below the minimum
    breaker.call(ok)  # 4 calls, 2 failures: 50% reached
    assert breaker.state is OPEN


def test_the_count_window_forgets_old_calls(clock) -> None:
    breaker = CircuitBreaker(
        failure_threshold=None,
        failure_rate_threshold=0.6,
        window=CountWindow(5),
        minimum_calls=5,
        clock=clock,
    )
    fail_times(breaker, 2)
    for _ in range(10):
        breaker.call(ok)
    fail_times(breaker, 2)
    assert breaker.state is CLOSED  # 2 of the last 5
    fail_times(breaker, 1)
    assert breaker.state is OPEN  # 3 of the last 5


def test_failure_rate_over_a_time_window(clock) -> None:
    breaker = CircuitBreaker(
        failure_threshold=None,
        failure_rate_threshold=0.5,
        window=TimeWindow(10),
        minimum_calls=4,
        clock=clock,
    )
    fail_times(breaker, 3)
    clock.advance(11)  # those failures leave the window
    for _ in range(3):
        breaker.call(ok)
    fail_times(breaker, 1)
    assert breaker.state is CLOSED  # 1 failure in 4 calls
    fail_times(breaker, 1)
    assert breaker.state is CLOSED  # 2 in 5
    fail_times(breaker, 1)
    assert breaker.state is OPEN  # 3 in 6


def test_slow_call_rate_opens_the_circuit(clock) -> None:
    breaker = CircuitBreaker(
        failure_threshold=None,
        slow_call_duration=2,
        slow_call_rate_threshold=0.5,
        minimum_calls=2,
        clock=clock,
    )

    def slow() -> str:
        clock.advance(3)
        return "slow"

    breaker.call(ok)
    assert breaker.call(slow) == "slow"
    assert breaker.state is OPEN
    assert breaker.stats().slow_calls == 1


def test_closing_resets_the_window(clock) -> None:
    breaker = CircuitBreaker(
        failure_threshold=None,
        failure_rate_threshold=0.5,
        minimum_calls=2,
        recovery_timeout=1,
        clock=clock,
    )
    fail_times(breaker, 2)
    assert breaker.state is OPEN
    clock.advance(1)
    breaker.call(ok)
    assert breaker.state is CLOSED
    fail_times(breaker, 1)
    assert breaker.state is CLOSED  # the old failures are forgotten


def test_excluded_exceptions_are_neither_success_nor_failure(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, excluded_exceptions=KeyError, clock=clock)

    def missing() -> None:
        raise KeyError("x")

    for _ in range(3):
        with pytest.raises(KeyError):
            breaker.call(missing)
    assert breaker.state is CLOSED
    assert breaker.stats().ignored == 3


def test_exceptions_outside_failure_exceptions_count_as_success(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, failure_exceptions=ConnectionError, clock=clock)

    def bad_input() -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        breaker.call(bad_input)
    assert breaker.state is CLOSED
    assert breaker.stats().successes == 1


def test_a_result_predicate_can_mark_failures(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=2, failure_if_result=lambda r: r >= 500, clock=clock)
    assert breaker.call(lambda: 503) == 503
    assert breaker.call(lambda: 200) == 200
    breaker.call(lambda: 500)
    breaker.call(lambda: 502)
    assert breaker.state is OPEN


def test_manual_open_and_close(clock) -> None:
    breaker = CircuitBreaker(recovery_timeout=5, clock=clock)
    breaker.open()
    assert breaker.state is OPEN
    clock.advance(5)
    assert breaker.call(ok) == "ok"  # recovers as usual
    breaker.open()
    breaker.close()
    assert breaker.state is CLOSED


def test_forced_open_never_recovers_by_itself(clock) -> None:
    breaker = CircuitBreaker(recovery_timeout=5, clock=clock)
    breaker.force_state(OPEN)
    clock.advance(10_000)
    with pytest.raises(CircuitOpenError) as caught:
        breaker.call(ok)
    assert caught.value.retry_after == float("inf")
    breaker.force_state(None)
    assert breaker.call(ok) == "ok"


def test_forced_closed_never_trips(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, clock=clock)
    breaker.force_state(CLOSED)
    fail_times(breaker, 10)
    assert breaker.state is CLOSED
    breaker.close()
    fail_times(breaker, 1)
    assert breaker.state is OPEN


def test_forced_half_open_admits_trials(clock) -> None:
    breaker = CircuitBreaker(clock=clock)
    breaker.force_state(HALF_OPEN)
    assert breaker.call(ok) == "ok"
    assert breaker.state is CLOSED


def test_listeners_see_every_transition(clock, caplog: pytest.LogCaptureFixture) -> None:
    changes: list[StateChange] = []
    breaker = CircuitBreaker(
        failure_threshold=1, recovery_timeout=1, name="api", listeners=[changes.append], clock=clock
    )

    def broken(change: StateChange) -> None:
        raise RuntimeError("listener bug")

    breaker.add_listener(broken)
    with caplog.at_level(logging.INFO, logger="stunir.retry"):
        fail_times(breaker, 1)
        clock.advance(1)
        breaker.call(ok)
    assert [(c.old, c.new) for c in changes] == [
        (CLOSED, OPEN),
        (OPEN, HALF_OPEN),
        (HALF_OPEN, CLOSED),
    ]
    assert changes[0].reason == "1 consecutive failures"
    assert all(c.name == "api" for c in changes)
    assert "circuit 'api': closed -> open" in caplog.text
    assert "state-change listener" in caplog.text


def test_stats_count_calls_by_outcome(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=2, recovery_timeout=5, name="s", clock=clock)
    breaker.call(ok)
    fail_times(breaker, 2)
    with pytest.raises(CircuitOpenError):
        breaker.call(ok)
    stats = breaker.stats()
    assert (stats.calls, stats.successes, stats.failures, stats.rejections) == (3, 1, 2, 1)
    assert (stats.state, stats.times_opened, stats.name) == (OPEN, 1, "s")


def test_decorator_keeps_the_function_and_its_signature(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, clock=clock)

    @breaker
    def add(a: int, b: int = 1) -> int:
        """Add."""
        return a + b

    assert add(2, b=3) == 5
    assert add.__name__ == "add"
    assert add.__doc__ == "Add."
    assert add.circuit_breaker is breaker  # type: ignore[attr-defined]


def test_context_manager_form(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, clock=clock)
    with breaker:
        pass
    with pytest.raises(ConnectionError), breaker:
        raise ConnectionError
    assert breaker.state is OPEN
    with pytest.raises(CircuitOpenError), breaker:
        pass


def test_a_block_has_no_result_for_the_result_predicate(clock) -> None:
    breaker = CircuitBreaker(
        failure_threshold=1, failure_if_result=lambda r: r is None, clock=clock
    )
    with breaker:
        pass
    assert breaker.state is CLOSED
    assert breaker.stats().successes == 1


def test_nested_context_managers_keep_their_own_permits(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=2, clock=clock)

    def nested() -> None:
        with breaker:
            with breaker:
                pass
            raise ConnectionError

    with pytest.raises(ConnectionError):
        nested()
    assert breaker.stats().successes == 1
    assert breaker.stats().failures == 1


def test_async_decorator_and_async_context_manager(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=2, clock=clock)

    @breaker
    async def fetch(x: int) -> int:
        await asyncio.sleep(0)
        if x < 0:
            raise ConnectionError
        return x

    async def main() -> None:
        assert await fetch(3) == 3
        with pytest.raises(ConnectionError):
            await fetch(-1)
        async with breaker:
            await asyncio.sleep(0)
        with pytest.raises(ConnectionError):
            async with breaker:
                raise ConnectionError
        with pytest.raises(ConnectionError):
            await fetch(-1)
        with pytest.raises(CircuitOpenError):
            await fetch(1)
        with pytest.raises(CircuitOpenError):
            await breaker.call(fetch, 1)

    asyncio.run(main())


def test_call_with_a_coroutine_function_goes_through_the_breaker_when_awaited(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, clock=clock)

    async def fail() -> None:
        raise ConnectionError

    awaitable = breaker.call(fail)
    assert breaker.stats().calls == 0
    with pytest.raises(ConnectionError):
        asyncio.run(awaitable)
    assert breaker.state is OPEN


@pytest.mark.parametrize(
    "error", [KeyboardInterrupt, SystemExit, GeneratorExit, asyncio.CancelledError]
)
def test_control_flow_is_neither_success_nor_failure_in_closed_state(clock, error) -> None:
    breaker = CircuitBreaker(failure_threshold=1, failure_exceptions=BaseException, clock=clock)

    def stop() -> None:
        raise error

    with pytest.raises(error):
        breaker.call(stop)
    assert breaker.state is CLOSED
    stats = breaker.stats()
    assert (stats.successes, stats.failures, stats.ignored) == (0, 0, 1)


@pytest.mark.parametrize("error", [KeyboardInterrupt, asyncio.CancelledError])
def test_control_flow_releases_the_half_open_permit(clock, error) -> None:
    breaker = CircuitBreaker(
        failure_threshold=1, recovery_timeout=1, failure_exceptions=BaseException, clock=clock
    )
    fail_times(breaker, 1)
    clock.advance(1)

    def stop() -> None:
        raise error

    with pytest.raises(error):
        breaker.call(stop)
    assert breaker.state is HALF_OPEN
    assert breaker.call(ok) == "ok"  # the permit came back: a new trial may run
    assert breaker.state is CLOSED


def test_cancelling_an_async_trial_call_releases_its_permit(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=1, clock=clock)
    fail_times(breaker, 1)
    clock.advance(1)

    @breaker
    async def hang() -> None:
        await asyncio.sleep(3600)

    async def main() -> None:
        task = asyncio.create_task(hang())
        await asyncio.sleep(0)
        assert breaker.state is HALF_OPEN
        with pytest.raises(CircuitOpenError):
            await hang()  # the one trial is in flight
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert breaker.call(ok) == "ok"

    asyncio.run(main())
    assert breaker.state is CLOSED


def test_cancelling_a_call_in_closed_state_is_not_a_failure(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, clock=clock)

    @breaker
    async def hang() -> None:
        await asyncio.sleep(3600)

    async def main() -> None:
        task = asyncio.create_task(hang())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert breaker.state is CLOSED
    assert breaker.stats().failures == 0


def test_a_call_rejected_while_open_runs_nothing(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, clock=clock)
    fail_times(breaker, 1)
    ran = []
    with pytest.raises(CircuitOpenError):
        breaker.call(ran.append, 1)
    assert ran == []


def test_callers_run_in_parallel_while_the_protected_call_blocks(in_threads) -> None:
    breaker = CircuitBreaker(failure_threshold=5)
    barrier = threading.Barrier(8, timeout=10)

    @breaker
    def meet() -> int:
        return barrier.wait()  # every caller must be inside at once, or this times out

    errors: list[BaseException] = []

    def worker() -> None:
        try:
            meet()
        except BaseException as exc:
            errors.append(exc)

    in_threads(worker, 8)
    assert errors == []
    assert breaker.stats().successes == 8


def test_the_trial_call_limit_holds_under_many_threads(clock) -> None:
    breaker = CircuitBreaker(
        failure_threshold=1,
        recovery_timeout=1,
        half_open_max_calls=3,
        success_threshold=100,
        clock=clock,
    )
    fail_times(breaker, 1)
    clock.advance(1)
    inside = 0
    most_inside = 0
    lock = threading.Lock()
    release = threading.Event()
    admitted = threading.Semaphore(0)

    @breaker
    def trial() -> None:
        nonlocal inside, most_inside
        with lock:
            inside += 1
            most_inside = max(most_inside, inside)
        admitted.release()
        release.wait(10)
        with lock:
            inside -= 1

    rejected = []

    def worker() -> None:
        for _ in range(50):
            try:
                trial()
            except CircuitOpenError:  # noqa: PERF203  # the test counts the rejections
                rejected.append(1)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for _ in range(3):
        assert admitted.acquire(timeout=10)
    assert not admitted.acquire(timeout=0.05)
    release.set()
    for t in threads:
        t.join()
    assert most_inside == 3
    assert len(rejected) > 0


def test_stats_are_exact_under_concurrent_threads(in_threads) -> None:
    breaker = CircuitBreaker(failure_threshold=10**9)

    @breaker
    def work(fail: bool) -> None:
        if fail:
            raise ConnectionError

    def worker() -> None:
        for i in range(1000):
            with contextlib.suppress(ConnectionError):
                work(i % 4 == 0)

    in_threads(worker, 8)
    stats = breaker.stats()
    assert (stats.calls, stats.successes, stats.failures) == (8000, 6000, 2000)


def test_windowed_stats_are_exact_under_threads(in_threads) -> None:
    breaker = CircuitBreaker(
        failure_threshold=None,
        failure_rate_threshold=1.0,
        window=CountWindow(1000),
        minimum_calls=1000,
    )

    def worker() -> None:
        for _ in range(500):
            breaker.call(ok)

    in_threads(worker, 8)
    assert breaker.stats().successes == 4000
    assert breaker.state is CLOSED


def test_repr_names_the_breaker_and_state() -> None:
    assert repr(CircuitBreaker(name="x")) == "<CircuitBreaker 'x' closed>"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"failure_threshold": 0}, "failure_threshold must be >= 1, got 0"),
        ({"failure_threshold": -2}, "failure_threshold must be >= 1, got -2"),
        ({"recovery_timeout": 0}, "recovery_timeout must be a finite number > 0, got 0"),
        ({"recovery_timeout": -30}, "recovery_timeout must be a finite number > 0, got -30"),
        ({"half_open_max_calls": 0}, "half_open_max_calls must be >= 1, got 0"),
        ({"success_threshold": 0}, "success_threshold must be >= 1, got 0"),
        ({"failure_rate_threshold": 0}, r"failure_rate_threshold must be in \(0, 1\], got 0"),
        ({"failure_rate_threshold": 50}, r"failure_rate_threshold must be in \(0, 1\], got 50"),
        ({"slow_call_duration": 1}, "go together"),
        ({"slow_call_rate_threshold": 0.5}, "go together"),
        ({"slow_call_duration": -1, "slow_call_rate_threshold": 0.5}, "slow_call_duration"),
        ({"failure_threshold": None}, "nothing would ever open this circuit"),
        ({"window": 10}, "window must be a CountWindow or TimeWindow, got 10"),
        ({"minimum_calls": 0}, "minimum_calls must be >= 1, got 0"),
        ({"excluded_exceptions": "KeyError"}, "excluded_exceptions must be an exception class"),
        ({"failure_exceptions": (OSError, 3)}, "failure_exceptions must be an exception class"),
        ({"failure_if_result": 1}, "failure_if_result must be callable"),
        ({"listeners": [1]}, "listener must be callable, got 1"),
        ({"clock": "now"}, "clock must be callable"),
        ({"name": ""}, "name must be a non-empty str or None, got ''"),
        ({"name": 7}, "name must be a non-empty str or None, got 7"),
    ],
)
def test_bad_arguments_are_refused(options, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        CircuitBreaker(**options)


def test_bad_windows_and_states_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="CountWindow size must be >= 1, got 0"):
        CountWindow(0)
    with pytest.raises(InvalidArgumentError, match="TimeWindow seconds must be a finite"):
        TimeWindow(-1)
    with pytest.raises(InvalidArgumentError, match="state must be a CircuitState or None"):
        CircuitBreaker().force_state("open")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="decorates callables"):
        CircuitBreaker()(5)  # type: ignore[arg-type]

    def numbers():
        yield 1

    with pytest.raises(InvalidArgumentError, match="cannot guard the generator function"):
        CircuitBreaker()(numbers)


def test_a_trial_cancelled_after_the_circuit_reopened_leaves_the_new_state_alone(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=5, clock=clock)
    fail_times(breaker, 1)
    clock.advance(5)

    def trial_interrupted_after_reopen() -> None:
        breaker.open()  # meanwhile, the circuit opened again (by hand or another caller)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        breaker.call(trial_interrupted_after_reopen)
    assert breaker.state is OPEN
    with pytest.raises(CircuitOpenError):
        breaker.call(ok)
    clock.advance(5)
    assert breaker.call(ok) == "ok"  # the stale permit did not leak into the new period
    assert breaker.state is CLOSED


def test_cancelling_a_task_waiting_on_an_open_circuit_changes_nothing(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=5, clock=clock)
    fail_times(breaker, 1)

    @breaker
    async def never_runs() -> None:
        raise AssertionError("an open circuit must not run the call")

    async def main() -> None:
        task = asyncio.create_task(never_runs())
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        with pytest.raises(CircuitOpenError):
            await never_runs()

    asyncio.run(main())
    stats = breaker.stats()
    assert (stats.state, stats.failures, stats.ignored, stats.rejections) == (OPEN, 1, 0, 1)


def test_retry_waits_as_long_as_the_breaker_says(clock) -> None:
    breaker = CircuitBreaker(failure_threshold=2, recovery_timeout=10, clock=clock)
    results = iter([ConnectionError(), ConnectionError(), "ok"])

    @retry(
        max_attempts=5,
        on=(ConnectionError, CircuitOpenError),
        retry_after=lambda state: getattr(state.last_exception, "retry_after", None),
        backoff=1,
        sleep=clock.sleep,
        clock=clock,
    )
    @breaker
    def fetch() -> str:
        value = next(results)
        if isinstance(value, Exception):
            raise value
        return value

    assert fetch() == "ok"
    assert clock.sleeps == [1, 1, 9]  # the third attempt was refused: wait out the circuit
