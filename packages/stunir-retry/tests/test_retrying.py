import asyncio
from collections.abc import Callable

import pytest

from stunir.retry import (
    AsyncRetrying,
    Attempt,
    ConstantBackoff,
    InvalidArgumentError,
    RetriesExhaustedError,
    Retrying,
)


def run_block(policy: Retrying, body: Callable[[Attempt], None]) -> list[int]:
    """The documented loop; returns the attempt numbers it ran."""
    numbers = []
    for attempt in policy:
        with attempt:
            numbers.append(attempt.number)
            body(attempt)
    return numbers


def fail_first(n: int, error: BaseException | None = None) -> Callable[[Attempt], None]:
    def body(attempt: Attempt) -> None:
        if attempt.number <= n:
            raise error or ConnectionError(str(attempt.number))

    return body


def test_a_block_is_retried_until_it_succeeds(clock) -> None:
    policy = Retrying(max_attempts=5, backoff=ConstantBackoff(1), sleep=clock.sleep, clock=clock)
    assert run_block(policy, fail_first(2)) == [1, 2, 3]
    assert clock.sleeps == [1, 1]


def test_a_block_that_succeeds_at_once_runs_once() -> None:
    assert run_block(Retrying(), fail_first(0)) == [1]


def test_giving_up_reraises_the_last_error_from_the_block() -> None:
    with pytest.raises(ConnectionError, match="3"):
        run_block(Retrying(max_attempts=3, backoff=None), fail_first(10))


def test_giving_up_without_reraise_raises_retries_exhausted() -> None:
    with pytest.raises(RetriesExhaustedError) as caught:
        run_block(Retrying(max_attempts=2, backoff=None, reraise=False), fail_first(10))
    assert len(caught.value.outcomes) == 2


def test_non_retryable_errors_escape_at_once() -> None:
    numbers: list[int] = []

    def body(attempt: Attempt) -> None:
        numbers.append(attempt.number)
        raise KeyError

    with pytest.raises(KeyError):
        run_block(Retrying(on=ConnectionError, backoff=None), body)
    assert numbers == [1]


def test_set_result_lets_the_policy_retry_on_results() -> None:
    values = iter([None, None, "x"])

    def body(attempt: Attempt) -> None:
        attempt.set_result(next(values))

    policy = Retrying(retry_if_result=lambda r: r is None, backoff=None)
    assert run_block(policy, body) == [1, 2, 3]
    policy = Retrying(max_attempts=2, retry_if_result=lambda r: r is None, backoff=None)
    with pytest.raises(RetriesExhaustedError):
        run_block(policy, lambda attempt: attempt.set_result(None))


def test_a_block_without_set_result_is_not_judged_by_its_result() -> None:
    policy = Retrying(retry_if_result=lambda r: r is None, backoff=None)
    assert run_block(policy, lambda attempt: None) == [1]


def test_keyboard_interrupt_in_the_block_is_never_retried() -> None:
    numbers: list[int] = []

    def body(attempt: Attempt) -> None:
        numbers.append(attempt.number)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_block(Retrying(on=BaseException, backoff=None), body)
    assert numbers == [1]


def test_each_loop_is_one_call_in_the_stats() -> None:
    policy = Retrying(max_attempts=3, backoff=None)
    run_block(policy, fail_first(1))
    run_block(policy, fail_first(1))
    stats = policy.stats()
    assert (stats.calls, stats.retries) == (2, 2)
    assert repr(next(iter(policy))) == "<Attempt 1>"


def test_async_block_is_retried_with_async_sleep(clock) -> None:
    async def main() -> list[int]:
        numbers = []
        async for attempt in AsyncRetrying(
            backoff=ConstantBackoff(2), sleep=clock.asleep, clock=clock
        ):
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
        iter(AsyncRetrying())
