import inspect
import logging
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stunir.retry import (
    ConstantBackoff,
    ExponentialBackoff,
    InvalidArgumentError,
    MaxAttempts,
    RetriesExhaustedError,
    RetryError,
    RetryOn,
    RetryPolicy,
    RetryState,
    StopWhen,
    Timeout,
    retry,
)


class Flaky:
    """Fails ``failures`` times with ``error``, then returns ``value``."""

    def __init__(self, failures: int, error: BaseException | None = None, value: object = "ok"):
        self.failures = failures
        self.error = error or ConnectionError("down")
        self.value = value
        self.calls = 0

    def __call__(self, *args: object, **kwargs: object) -> object:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return self.value


def test_success_at_first_attempt_returns_the_value_and_never_sleeps(clock) -> None:
    fn = retry(sleep=clock.sleep, clock=clock)(Flaky(0))
    assert fn() == "ok"
    assert clock.sleeps == []


def test_retries_until_success_with_the_backoff_delays(clock) -> None:
    flaky = Flaky(3)
    fn = retry(
        max_attempts=5,
        backoff=ExponentialBackoff(base=1, max_delay=60, jitter="none"),
        sleep=clock.sleep,
        clock=clock,
    )(flaky)
    assert fn() == "ok"
    assert flaky.calls == 4
    assert clock.sleeps == [1, 2, 4]


def test_the_last_error_is_reraised_by_default(clock) -> None:
    error = ConnectionError("still down")
    flaky = Flaky(10, error)
    fn = retry(max_attempts=3, sleep=clock.sleep, clock=clock)(flaky)
    with pytest.raises(ConnectionError) as caught:
        fn()
    assert caught.value is error
    assert flaky.calls == 3


def test_reraise_false_raises_retries_exhausted_with_every_outcome(clock) -> None:
    fn = retry(max_attempts=3, reraise=False, backoff=None, clock=clock)(Flaky(10))
    with pytest.raises(RetriesExhaustedError) as caught:
        fn()
    error = caught.value
    assert isinstance(error, RetryError)
    assert [o.attempt for o in error.outcomes] == [1, 2, 3]
    assert all(isinstance(o.exception, ConnectionError) for o in error.outcomes)
    assert error.last.attempt == 3
    assert isinstance(error.__cause__, ConnectionError)
    assert "gave up after 3 attempt(s)" in str(error)


def test_only_the_listed_exceptions_are_retried(clock) -> None:
    flaky = Flaky(5, KeyError("no"))
    fn = retry(on=ConnectionError, backoff=None)(flaky)
    with pytest.raises(KeyError):
        fn()
    assert flaky.calls == 1


def test_a_tuple_of_exception_types_is_accepted() -> None:
    flaky = Flaky(2, TimeoutError())
    assert retry(on=(ConnectionError, TimeoutError), backoff=None)(flaky)() == "ok"


def test_a_predicate_decides_which_exceptions_are_retried() -> None:
    flaky = Flaky(2, OSError(503, "busy"))
    fn = retry(on=lambda exc: isinstance(exc, OSError) and exc.errno == 503, backoff=None)
    assert fn(flaky)() == "ok"
    other = Flaky(2, OSError(404, "gone"))
    with pytest.raises(OSError, match="gone"):
        fn(other)()
    assert other.calls == 1


def test_give_up_predicate_stops_at_once() -> None:
    flaky = Flaky(5, ValueError("fatal"))
    fn = retry(max_attempts=5, give_up=lambda exc: "fatal" in str(exc), backoff=None)(flaky)
    with pytest.raises(ValueError, match="fatal"):
        fn()
    assert flaky.calls == 1


def test_retry_if_result_retries_bad_results_and_gives_up_with_retries_exhausted() -> None:
    results = iter([None, None, 42])
    fn = retry(retry_if_result=lambda r: r is None, backoff=None)(lambda: next(results))
    assert fn() == 42
    fn = retry(max_attempts=2, retry_if_result=lambda r: r is None, backoff=None)(lambda: None)
    with pytest.raises(RetriesExhaustedError) as caught:
        fn()
    assert [o.result for o in caught.value.outcomes] == [None, None]
    assert not caught.value.last.failed


def test_hooks_see_each_calls_outcome(clock) -> None:
    seen: list[tuple[str, int, float, str]] = []

    def hook(kind: str):
        def record(state: RetryState) -> None:
            seen.append((kind, state.attempt, state.slept, type(state.last_exception).__name__))

        return record

    fn = retry(
        max_attempts=3,
        backoff=ConstantBackoff(2),
        before_sleep=hook("before_sleep"),
        on_retry=hook("on_retry"),
        on_give_up=hook("on_give_up"),
        sleep=clock.sleep,
        clock=clock,
    )(Flaky(5))
    with pytest.raises(ConnectionError):
        fn()
    assert seen == [
        ("before_sleep", 1, 0.0, "ConnectionError"),
        ("on_retry", 2, 2.0, "ConnectionError"),
        ("before_sleep", 2, 2.0, "ConnectionError"),
        ("on_retry", 3, 4.0, "ConnectionError"),
        ("on_give_up", 3, 4.0, "ConnectionError"),
    ]


def test_state_reports_elapsed_time_and_attempt_durations(clock) -> None:
    states: list[RetryState] = []

    def slow_failure() -> None:
        clock.advance(0.5)
        raise ConnectionError

    fn = retry(
        max_attempts=2,
        backoff=ConstantBackoff(1),
        sleep=clock.sleep,
        clock=clock,
        on_give_up=states.append,
    )(slow_failure)
    with pytest.raises(ConnectionError):
        fn()
    (state,) = states
    assert state.elapsed == pytest.approx(2.0)
    assert [o.duration for o in state.outcomes] == [0.5, 0.5]
    assert state.slept == 1.0
    assert "attempt=2" in repr(state)


def test_a_retry_after_hook_overrides_the_backoff(clock) -> None:
    class Busy(Exception):
        retry_after = 7.5

    fn = retry(
        backoff=ConstantBackoff(1),
        retry_after=lambda state: getattr(state.last_exception, "retry_after", None),
        sleep=clock.sleep,
        clock=clock,
    )(Flaky(2, Busy()))
    assert fn() == "ok"
    assert clock.sleeps == [7.5, 7.5]
    other = retry(
        backoff=ConstantBackoff(1), retry_after=lambda s: None, sleep=clock.sleep, clock=clock
    )(Flaky(1))
    other()
    assert clock.sleeps[-1] == 1


def test_the_deadline_is_never_overrun_by_a_sleep(clock) -> None:
    flaky = Flaky(100)
    fn = retry(
        max_attempts=None,
        timeout=10,
        backoff=ExponentialBackoff(base=1, max_delay=100, jitter="none"),
        sleep=clock.sleep,
        clock=clock,
    )(flaky)
    with pytest.raises(ConnectionError):
        fn()
    assert clock.sleeps == [1, 2, 4]  # the next, 8, would end past 10 seconds
    assert sum(clock.sleeps) <= 10


@given(
    attempt_seconds=st.floats(min_value=0.0, max_value=5.0),
    timeout=st.floats(min_value=0.1, max_value=60.0),
    base=st.floats(min_value=0.01, max_value=10.0),
)
def test_no_attempt_starts_that_cannot_finish_before_the_deadline(
    clock_factory, attempt_seconds: float, timeout: float, base: float
) -> None:
    clock = clock_factory()
    ends: list[float] = []

    def attempt() -> None:
        clock.advance(attempt_seconds)
        ends.append(clock.now - 1000.0)
        raise ConnectionError

    fn = retry(
        timeout=timeout,
        backoff=ExponentialBackoff(base=base, max_delay=30, jitter="full"),
        sleep=clock.sleep,
        clock=clock,
    )(attempt)
    with pytest.raises(ConnectionError):
        fn()
    # The first attempt always runs; no retry may end past the deadline.
    assert all(end <= timeout + 1e-9 for end in ends[1:])


def test_stop_conditions_compose(clock) -> None:
    flaky = Flaky(100)
    fn = retry(
        stop=MaxAttempts(4) | Timeout(100),
        backoff=ConstantBackoff(1),
        sleep=clock.sleep,
        clock=clock,
    )(flaky)
    with pytest.raises(ConnectionError):
        fn()
    assert flaky.calls == 4


def test_stop_when_predicate(clock) -> None:
    flaky = Flaky(100)
    fn = retry(stop=StopWhen(lambda s: s.attempt >= 2), backoff=None)(flaky)
    with pytest.raises(ConnectionError):
        fn()
    assert flaky.calls == 2


def test_bare_decorator_uses_the_defaults() -> None:
    flaky = Flaky(2)

    @retry
    def fn() -> object:
        return flaky()

    policy = fn.retry_policy  # type: ignore[attr-defined]
    assert policy.stop.attempt_limit() == 3
    with pytest.raises(ConnectionError):
        retry(backoff=None)(Flaky(3))()


def test_decorating_keeps_name_doc_and_signature() -> None:
    def fetch(url: str, *, timeout: float = 1.0) -> bytes:
        """Fetch a URL."""
        return b""

    wrapped = retry(fetch)
    assert wrapped.__name__ == "fetch"
    assert wrapped.__doc__ == "Fetch a URL."
    assert inspect.signature(wrapped) == inspect.signature(fetch)
    assert wrapped.__wrapped__ is fetch  # type: ignore[attr-defined]


def test_methods_are_retried_with_their_instance() -> None:
    class Client:
        def __init__(self) -> None:
            self.calls = 0

        @retry(backoff=None)
        def get(self, key: str) -> str:
            self.calls += 1
            if self.calls < 2:
                raise ConnectionError
            return key.upper()

    client = Client()
    assert client.get("a") == "A"
    assert client.calls == 2


@pytest.mark.parametrize("error", [KeyboardInterrupt(), SystemExit(1), GeneratorExit()])
def test_control_flow_is_never_retried_whatever_the_predicate_says(error: BaseException) -> None:
    flaky = Flaky(5, error)
    fn = retry(on=BaseException, give_up=lambda e: False, backoff=None)(flaky)
    with pytest.raises(type(error)):
        fn()
    assert flaky.calls == 1
    assert fn.retry_policy.stats().retries == 0  # type: ignore[attr-defined]


def test_arguments_are_passed_through_on_every_attempt() -> None:
    seen = []

    def fn(a: int, b: int = 0, *, c: int) -> int:
        seen.append((a, b, c))
        if len(seen) < 2:
            raise ConnectionError
        return a + b + c

    assert retry(backoff=None)(fn)(1, 2, c=3) == 6
    assert seen == [(1, 2, 3), (1, 2, 3)]


def test_stats_count_calls_retries_give_ups_and_sleep(clock) -> None:
    policy = RetryPolicy(
        max_attempts=2, backoff=ConstantBackoff(0.5), sleep=clock.sleep, clock=clock
    )
    ok = policy(Flaky(1))
    bad = policy(Flaky(10))
    ok()
    with pytest.raises(ConnectionError):
        bad()
    stats = policy.stats()
    assert (stats.calls, stats.retries, stats.give_ups) == (2, 2, 1)
    assert stats.slept_seconds == 1.0


def test_stats_are_exact_under_concurrent_threads(in_threads) -> None:
    policy = RetryPolicy(max_attempts=3, backoff=None)
    local = threading.local()

    @policy
    def work() -> int:
        local.n = getattr(local, "n", 0) + 1
        if local.n % 3:
            raise ConnectionError  # fails twice, then succeeds: 2 retries per call
        return 1

    def worker() -> None:
        for _ in range(300):
            work()

    in_threads(worker, 8)
    stats = policy.stats()
    assert stats.calls == 2400
    assert stats.retries == 4800
    assert stats.give_ups == 0


def test_concurrent_callers_keep_their_own_attempt_counts(in_threads) -> None:
    barrier = threading.Barrier(4)
    attempts: list[int] = []
    lock = threading.Lock()

    def record(state: RetryState) -> None:
        with lock:
            attempts.append(state.attempt)

    local = threading.local()

    @retry(max_attempts=5, backoff=None, on_give_up=record)
    def always_fails() -> None:
        if getattr(local, "first", True):
            local.first = False
            barrier.wait()
        raise ConnectionError

    def worker() -> None:
        with pytest.raises(ConnectionError):
            always_fails()

    in_threads(worker, 4)
    assert attempts == [5, 5, 5, 5]


def test_giving_up_is_logged_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="stunir.retry"), pytest.raises(ConnectionError):
        retry(max_attempts=2, backoff=None, name="fetch")(Flaky(5))()
    assert "fetch: giving up after 2 attempt(s)" in caplog.text


def test_policy_repr_names_the_stop_and_backoff() -> None:
    text = repr(RetryPolicy(max_attempts=4, timeout=9, backoff=None))
    assert "MaxAttempts(4)" in text
    assert "Timeout(9.0)" in text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_attempts": 0}, "max_attempts must be >= 1, got 0"),
        ({"max_attempts": -3}, "max_attempts must be >= 1, got -3"),
        ({"max_attempts": 2.5}, "max_attempts must be an int, got 2.5"),
        ({"timeout": 0}, "timeout must be a finite number > 0, got 0"),
        ({"timeout": -1}, "timeout must be a finite number > 0, got -1"),
        ({"backoff": 0}, "delay must be a finite number > 0, got 0"),
        ({"backoff": -2}, "delay must be a finite number > 0, got -2"),
        ({"backoff": "fast"}, "backoff must be a Backoff"),
        ({"on": 42}, "on must be exception classes"),
        ({"on": (ValueError, int)}, "on must be an exception class"),
        ({"stop": 3}, "stop must be a StopCondition"),
        ({"give_up": "yes"}, "give_up must be callable"),
        ({"retry_if_result": 1}, "retry_if_result must be callable"),
        ({"before_sleep": 1}, "before_sleep must be callable"),
        ({"reraise": "no"}, "reraise must be True or False"),
        ({"budget": 10}, "budget must be a RetryBudget"),
        ({"clock": 5}, "clock must be callable"),
        ({"sleep": 5}, "sleep must be callable"),
    ],
)
def test_bad_arguments_are_refused_with_the_value_named(options, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        retry(**options)


def test_decorating_a_non_callable_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="retry decorates callables, got 3"):
        RetryPolicy()(3)  # type: ignore[arg-type]


def test_generator_functions_are_refused() -> None:
    def numbers():
        yield 1

    async def stream():
        yield 1

    for fn in (numbers, stream):
        with pytest.raises(InvalidArgumentError, match="cannot guard the generator function"):
            retry(fn)


def test_retry_on_condition_objects_compose() -> None:
    flaky = Flaky(2, TimeoutError())
    fn = retry(on=RetryOn(ConnectionError) | RetryOn(TimeoutError), backoff=None)(flaky)
    assert fn() == "ok"
