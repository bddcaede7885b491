import threading

import pytest

from stunir.retry import ConstantBackoff, InvalidArgumentError, retry, retry_testing


def failing_counter():
    calls = []

    def fn() -> None:
        calls.append(1)
        raise ConnectionError

    return fn, calls


@pytest.fixture
def no_sleep():
    with retry_testing():
        yield


def test_test_mode_skips_sleeping_but_keeps_the_attempts(clock, no_sleep) -> None:
    fn, calls = failing_counter()
    wrapped = retry(max_attempts=4, backoff=ConstantBackoff(100), sleep=clock.sleep)(fn)
    with pytest.raises(ConnectionError):
        wrapped()
    assert len(calls) == 4
    assert clock.sleeps == []
    assert wrapped.retry_policy.stats().slept_seconds == 300  # type: ignore[attr-defined]


def test_test_mode_caps_the_attempts() -> None:
    fn, calls = failing_counter()
    wrapped = retry(max_attempts=10, backoff=ConstantBackoff(100))(fn)
    with retry_testing(max_attempts=2), pytest.raises(ConnectionError):
        wrapped()
    assert len(calls) == 2


def test_test_mode_may_keep_sleeping(clock) -> None:
    fn, _ = failing_counter()
    wrapped = retry(max_attempts=2, backoff=ConstantBackoff(1), sleep=clock.sleep)(fn)
    with retry_testing(sleep=True, max_attempts=5), pytest.raises(ConnectionError):
        wrapped()
    assert clock.sleeps == [1]


def test_test_mode_ends_with_the_block_and_nests(clock) -> None:
    fn, calls = failing_counter()
    wrapped = retry(max_attempts=3, backoff=ConstantBackoff(1), sleep=clock.sleep)(fn)
    with retry_testing(max_attempts=2):
        with retry_testing(max_attempts=1), pytest.raises(ConnectionError):
            wrapped()
        assert len(calls) == 1
        with pytest.raises(ConnectionError):
            wrapped()
        assert len(calls) == 3
    with pytest.raises(ConnectionError):
        wrapped()
    assert len(calls) == 6
    assert clock.sleeps == [1, 1]


def test_test_mode_applies_to_other_threads(no_sleep, clock) -> None:
    fn, calls = failing_counter()
    wrapped = retry(max_attempts=3, backoff=ConstantBackoff(50), sleep=clock.sleep)(fn)

    def worker() -> None:
        with pytest.raises(ConnectionError):
            wrapped()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert len(calls) == 3
    assert clock.sleeps == []


def test_bad_cap_is_refused() -> None:
    with (
        pytest.raises(InvalidArgumentError, match="max_attempts must be >= 1, got 0"),
        retry_testing(max_attempts=0),
    ):
        pass


@retry_testing(max_attempts=1)
def test_test_mode_also_decorates_a_test_function() -> None:
    fn, calls = failing_counter()
    with pytest.raises(ConnectionError):
        retry(max_attempts=5, backoff=ConstantBackoff(100))(fn)()
    assert len(calls) == 1
