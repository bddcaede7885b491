import asyncio

import pytest

from stunir.retry import (
    AsyncRetrying,
    ConstantBackoff,
    InvalidArgumentError,
    RetriesExhaustedError,
    Retrying,
)


def test_a_block_is_retried_until_it_succeeds(clock) -> None:
    calls = 0
    numbers = []
    for attempt in Retrying(max_attempts=5, backoff=ConstantBackoff(1), sleep=clock.sleep,
                            clock=clock):
        with attempt:
            numbers.append(attempt.number)
            calls += 1
            if calls < 3:
                raise ConnectionError
    assert numbers == [1, 2, 3]
    assert clock.sleeps == [1, 1]


def test_a_block_that_succeeds_at_once_runs_once() -> None:
    runs = 0
    for attempt in Retrying():
        with attempt:
            runs += 1
    assert runs == 1


def test_giving_up_reraises_the_last_error_from_the_block() -> None:
    runs = 0
    with pytest.raises(ConnectionError, match="3"):
        for attempt in Retrying(max_attempts=3, backoff=None):
            with attempt:
                runs += 1
                raise ConnectionError(str(runs))
    assert runs == 3


def test_giving_up_without_reraise_raises_retries_exhausted() -> None:
    with pytest.raises(RetriesExhaustedError) as caught:
        for attempt in Retrying(max_attempts=2, backoff=None, reraise=False):
            with attempt:
                raise ConnectionError
    assert len(caught.value.outcomes) == 2


def test_non_retryable_errors_escape_at_once() -> None:
    runs = 0
    with pytest.raises(KeyError):
        for attempt in Retrying(on=ConnectionError, backoff=None):
            with attempt:
                runs += 1
                raise KeyError
    assert runs == 1


def test_set_result_lets_the_policy_retry_on_results() -> None:
    values = iter([None, None, "x"])
    got = None
    for attempt in Retrying(retry_if_result=lambda r: r is None, backoff=None):
        with attempt:
            got = next(values)
            attempt.set_result(got)
    assert got == "x"
    with pytest.raises(RetriesExhaustedError):
        for attempt in Retrying(max_attempts=2, retry_if_result=lambda r: r is None,
                                backoff=None):
            with attempt:
                attempt.set_result(None)


def test_keyboard_interrupt_in_the_block_is_never_retried() -> None:
    runs = 0
    with pytest.raises(KeyboardInterrupt):
        for attempt in Retrying(on=BaseException, backoff=None):
            with attempt:
                runs += 1
                raise KeyboardInterrupt
    assert runs == 1


def test_each_loop_is_one_call_in_the_stats() -> None:
    policy = Retrying(max_attempts=3, backoff=None)
    for _ in range(2):
        tries = 0
        for attempt in policy:
            with attempt:
                tries += 1
                if tries < 2:
                    raise ConnectionError
    stats = policy.stats()
    assert (stats.calls, stats.retries) == (2, 2)
    assert repr(attempt) == "<Attempt 2>"


def test_async_block_is_retried_with_async_sleep(clock) -> None:
    async def main() -> list[int]:
        numbers = []
        async for attempt in AsyncRetrying(backoff=ConstantBackoff(2), sleep=clock.asleep,
                                           clock=clock):
            with attempt:
                numbers.append(attempt.number)
                await asyncio.sleep(0)
                if len(numbers) < 3:
                    raise ConnectionError
        return numbers

    assert asyncio.run(main()) == [1, 2, 3]
    assert clock.sleeps == [2, 2]


def test_async_block_gives_up_with_the_last_error() -> None:
    async def main() -> None:
        async for attempt in AsyncRetrying(max_attempts=2, backoff=None):
            with attempt:
                raise TimeoutError

    with pytest.raises(TimeoutError):
        asyncio.run(main())


def test_async_retrying_refuses_a_plain_for_loop() -> None:
    with pytest.raises(InvalidArgumentError, match="async for"):
        for _ in AsyncRetrying():
            pass
