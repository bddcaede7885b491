import pytest

from stunir.retry import (
    InvalidArgumentError,
    MaxAttempts,
    RetryIf,
    RetryIfResult,
    RetryOn,
    StopWhen,
    Timeout,
    retry,
)


def test_or_stops_when_either_does_and_keeps_the_tightest_limits() -> None:
    stop = MaxAttempts(5) | Timeout(30)
    assert stop.attempt_limit() == 5
    assert stop.deadline() == 30
    assert repr(stop) == "(MaxAttempts(5) | Timeout(30.0))"


def test_and_stops_when_both_do() -> None:
    stop = MaxAttempts(5) & Timeout(30)
    assert stop.attempt_limit() == float("inf")
    assert stop.deadline() == float("inf")
    assert repr(stop) == "(MaxAttempts(5) & Timeout(30.0))"
    assert (MaxAttempts(5) & MaxAttempts(8)).attempt_limit() == 8
    calls = 0

    def fail() -> None:
        nonlocal calls
        calls += 1
        raise ConnectionError

    both = MaxAttempts(2) & StopWhen(lambda state: state.attempt >= 4)
    with pytest.raises(ConnectionError):
        retry(stop=both, backoff=None)(fail)()
    assert calls == 4


def test_retry_conditions_compose() -> None:
    either = RetryOn(KeyError) | RetryIf(lambda e: "busy" in str(e))
    assert either.retry_on_exception(KeyError())
    assert either.retry_on_exception(ValueError("busy"))
    assert not either.retry_on_exception(ValueError("fatal"))
    both = RetryOn(OSError) & RetryIf(lambda e: "busy" in str(e))
    assert both.retry_on_exception(OSError("busy"))
    assert not both.retry_on_exception(OSError("no"))
    assert not both.retry_on_exception(KeyError("busy"))


def test_result_conditions_only_look_at_results() -> None:
    on_none = RetryIfResult(lambda r: r is None)
    assert on_none.checks_results
    assert on_none.retry_on_result(None)
    assert not on_none.retry_on_exception(ValueError())
    assert not RetryOn(ValueError).checks_results
    assert (RetryOn(ValueError) | on_none).checks_results
    assert not (RetryOn(ValueError) & on_none).checks_results
    assert not (RetryOn(ValueError) & on_none).retry_on_result(None)


def test_repr_of_retry_on() -> None:
    assert repr(RetryOn(KeyError, OSError)) == "RetryOn(KeyError, OSError)"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MaxAttempts(0), "max_attempts must be >= 1, got 0"),
        (lambda: MaxAttempts(True), "max_attempts must be an int, got True"),
        (lambda: Timeout(-5), "timeout must be a finite number > 0, got -5"),
        (lambda: Timeout(float("inf")), "timeout must be a finite number > 0, got inf"),
        (lambda: StopWhen(3), "StopWhen needs a callable"),
        (lambda: RetryOn(), "at least one exception class"),
        (lambda: RetryOn(str), "must be an exception class"),
        (lambda: RetryIf(None), "RetryIf needs a callable"),
        (lambda: RetryIfResult("x"), "RetryIfResult needs a callable"),
        (lambda: MaxAttempts(3) | 3, "expected a StopCondition, got 3"),
        (lambda: RetryOn(KeyError) | 3, "expected a RetryCondition, got 3"),
    ],
)
def test_bad_arguments_are_refused(make, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        make()
