import asyncio
import inspect

import pytest

from stunir.retry import ConstantBackoff, RetriesExhaustedError, RetryState, retry


class AsyncFlaky:
    def __init__(self, failures: int, error: BaseException | None = None) -> None:
        self.failures = failures
        self.error = error or ConnectionError("down")
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        await asyncio.sleep(0)
        if self.calls <= self.failures:
            raise self.error
        return "ok"


def wrap(flaky: AsyncFlaky):
    async def call() -> str:
        return await flaky()

    return call


def test_coroutine_functions_are_detected_and_retried(clock) -> None:
    flaky = AsyncFlaky(2)
    fn = retry(backoff=ConstantBackoff(1), sleep=clock.asleep, clock=clock)(wrap(flaky))
    assert inspect.iscoroutinefunction(fn)
    assert asyncio.run(fn()) == "ok"
    assert flaky.calls == 3
    assert clock.sleeps == [1, 1]


def test_async_success_returns_without_sleeping(clock) -> None:
    fn = retry(sleep=clock.asleep, clock=clock)(wrap(AsyncFlaky(0)))
    assert asyncio.run(fn()) == "ok"
    assert clock.sleeps == []


def test_async_gives_up_with_the_last_error_or_retries_exhausted() -> None:
    fn = retry(max_attempts=2, backoff=None)(wrap(AsyncFlaky(5)))
    with pytest.raises(ConnectionError):
        asyncio.run(fn())
    fn = retry(max_attempts=2, backoff=None, reraise=False)(wrap(AsyncFlaky(5)))
    with pytest.raises(RetriesExhaustedError):
        asyncio.run(fn())


def test_async_retry_if_result() -> None:
    results = iter([0, 0, 5])

    async def fetch() -> int:
        return next(results)

    fn = retry(retry_if_result=lambda r: r == 0, backoff=None)(fetch)
    assert asyncio.run(fn()) == 5


def test_async_default_sleep_is_asyncio_sleep() -> None:
    flaky = AsyncFlaky(1)
    fn = retry(backoff=ConstantBackoff(0.001))(wrap(flaky))
    assert asyncio.run(fn()) == "ok"


def test_a_sync_sleep_callable_also_works_for_coroutines(clock) -> None:
    fn = retry(backoff=ConstantBackoff(3), sleep=clock.sleep, clock=clock)(wrap(AsyncFlaky(1)))
    assert asyncio.run(fn()) == "ok"
    assert clock.sleeps == [3]


def test_cancellation_during_an_attempt_is_never_retried() -> None:
    calls = 0
    started = asyncio.Event

    async def main() -> None:
        nonlocal calls
        ready = started()

        @retry(on=BaseException, backoff=None, max_attempts=5)
        async def hang() -> None:
            nonlocal calls
            calls += 1
            ready.set()
            await asyncio.sleep(3600)

        task = asyncio.create_task(hang())
        await ready.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert calls == 1


def test_cancellation_during_the_backoff_sleep_stops_the_retries() -> None:
    calls = 0

    async def main() -> None:
        sleeping = asyncio.Event()

        def before_sleep(state: RetryState) -> None:
            sleeping.set()

        @retry(backoff=ConstantBackoff(3600), max_attempts=5, before_sleep=before_sleep)
        async def fail() -> None:
            nonlocal calls
            calls += 1
            raise ConnectionError

        task = asyncio.create_task(fail())
        await sleeping.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert calls == 1


def test_a_cancelled_error_raised_by_the_function_is_not_retried() -> None:
    flaky = AsyncFlaky(3, asyncio.CancelledError())
    fn = retry(on=BaseException, give_up=lambda e: False, backoff=None)(wrap(flaky))
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(fn())
    assert flaky.calls == 1


def test_async_methods_keep_their_instance() -> None:
    class Client:
        calls = 0

        @retry(backoff=None)
        async def get(self, key: str) -> str:
            self.calls += 1
            if self.calls < 2:
                raise ConnectionError
            return key * 2

    client = Client()
    assert asyncio.run(client.get("x")) == "xx"


def test_async_deadline_is_never_overrun(clock) -> None:
    fn = retry(
        max_attempts=None, timeout=5, backoff=ConstantBackoff(2), sleep=clock.asleep, clock=clock
    )(wrap(AsyncFlaky(100)))
    with pytest.raises(ConnectionError):
        asyncio.run(fn())
    assert clock.sleeps == [2, 2]
