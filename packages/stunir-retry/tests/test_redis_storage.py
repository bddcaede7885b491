import asyncio
import contextlib
import logging
import subprocess
import sys
import textwrap
import threading

import pytest
import redis
import redis.asyncio
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_stunir import RedisServer
from stunir.retry import (
    CircuitBreaker,
    CircuitOpenError,
    CircuitState,
    InvalidArgumentError,
    RedisBreakerStorage,
    StateChange,
)

CLOSED, OPEN, HALF_OPEN = CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN


def boom() -> None:
    raise ConnectionError("down")


def ok() -> str:
    return "ok"


def fail_times(breaker: CircuitBreaker, n: int) -> None:
    for _ in range(n):
        with pytest.raises(ConnectionError):
            breaker.call(boom)


def make(url: str, name: str = "svc", **options) -> CircuitBreaker:
    options.setdefault("failure_threshold", 3)
    options.setdefault("recovery_timeout", 30)
    return CircuitBreaker(name=name, storage=RedisBreakerStorage(url), **options)


def age_open_circuit(url: str, name: str, seconds: float) -> None:
    """Move the shared circuit's opening back in time, instead of waiting."""
    client = redis.Redis.from_url(url)
    key = f"stunir:breaker:{name}"
    opened_at = int(client.hget(key, "opened_at"))
    client.hset(key, "opened_at", opened_at - int(seconds * 1000))
    client.close()


def run_process(url: str, body: str) -> str:
    script = textwrap.dedent(
        f"""
        from stunir.retry import CircuitBreaker, CircuitOpenError, RedisBreakerStorage
        breaker = CircuitBreaker(3, 30, name="svc", storage=RedisBreakerStorage({url!r}))
        def boom():
            raise ConnectionError
        """
    ) + textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_breakers_with_one_name_share_one_state(redis_url: str) -> None:
    first, second = make(redis_url), make(redis_url)
    fail_times(first, 3)
    assert second.state is OPEN
    with pytest.raises(CircuitOpenError) as caught:
        second.call(ok)
    assert 29 < caught.value.retry_after <= 30


def test_names_and_prefixes_keep_breakers_apart(redis_url: str) -> None:
    fail_times(make(redis_url, "a"), 3)
    assert make(redis_url, "b").state is CLOSED
    other = CircuitBreaker(3, 30, name="a", storage=RedisBreakerStorage(redis_url, prefix="x:"))
    assert other.state is CLOSED


def test_another_process_sees_the_circuit_this_process_opened(redis_url: str) -> None:
    fail_times(make(redis_url), 3)
    out = run_process(
        redis_url,
        """
        try:
            breaker.call(print, "ran")
        except CircuitOpenError as exc:
            print("rejected", exc.state, exc.retry_after > 0)
        """,
    )
    assert out == "rejected open True"


def test_this_process_sees_the_circuit_another_process_opened(redis_url: str) -> None:
    breaker = make(redis_url)
    breaker.call(ok)
    out = run_process(
        redis_url,
        """
        for _ in range(3):
            try:
                breaker.call(boom)
            except ConnectionError:
                pass
        print(breaker.state.value)
        """,
    )
    assert out == "open"
    with pytest.raises(CircuitOpenError):
        breaker.call(ok)


def test_one_trial_call_across_processes(redis_url: str) -> None:
    breaker = make(redis_url)
    fail_times(breaker, 3)
    age_open_circuit(redis_url, "svc", 30)
    seen = []

    def trial() -> str:
        # While this process holds the one trial permit, another process is refused.
        seen.append(
            run_process(
                redis_url,
                """
                try:
                    breaker.call(print, "ran")
                except CircuitOpenError as exc:
                    print("rejected", exc.state)
                """,
            )
        )
        return "done"

    assert breaker.call(trial) == "done"
    assert seen == ["rejected half_open"]
    assert breaker.state is CLOSED


def test_failed_trial_reopens_and_success_threshold_applies(redis_url: str) -> None:
    breaker = make(redis_url, success_threshold=2)
    fail_times(breaker, 3)
    age_open_circuit(redis_url, "svc", 30)
    fail_times(breaker, 1)
    assert breaker.state is OPEN
    age_open_circuit(redis_url, "svc", 30)
    breaker.call(ok)
    assert breaker.state is HALF_OPEN
    breaker.call(ok)
    assert breaker.state is CLOSED


def test_cancelled_trial_gives_its_permit_back(redis_url: str) -> None:
    breaker = make(redis_url)
    fail_times(breaker, 3)
    age_open_circuit(redis_url, "svc", 30)

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        breaker.call(interrupted)
    assert breaker.call(ok) == "ok"
    assert breaker.state is CLOSED


def test_force_open_and_close_are_shared(redis_url: str) -> None:
    first, second = make(redis_url), make(redis_url)
    first.force_state(OPEN)
    with pytest.raises(CircuitOpenError) as caught:
        second.call(ok)
    assert caught.value.retry_after == float("inf")
    assert second.retry_after == float("inf")
    second.close()
    assert first.call(ok) == "ok"
    first.open()
    assert second.state is OPEN


def test_listeners_hear_changes_seen_through_redis(redis_url: str) -> None:
    changes: list[StateChange] = []
    breaker = make(redis_url, listeners=[changes.append])
    fail_times(breaker, 3)
    assert [(c.old, c.new) for c in changes] == [(CLOSED, OPEN)]
    assert changes[0].reason == "3 consecutive failures"


def test_failure_rate_trip_opens_the_shared_circuit(redis_url: str) -> None:
    first = make(redis_url, failure_threshold=None, failure_rate_threshold=0.5, minimum_calls=2)
    second = make(redis_url)
    first.call(ok)
    fail_times(first, 1)
    assert second.state is OPEN


def test_concurrent_failures_are_counted_exactly(redis_url: str) -> None:
    breakers = [make(redis_url, failure_threshold=200) for _ in range(4)]

    def worker(breaker: CircuitBreaker) -> None:
        for _ in range(49):
            with contextlib.suppress(ConnectionError):
                breaker.call(boom)

    threads = [threading.Thread(target=worker, args=(b,)) for b in breakers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert breakers[0].state is CLOSED  # 196 failures, not one lost or doubled
    fail_times(breakers[1], 3)
    assert breakers[2].state is CLOSED
    fail_times(breakers[3], 1)
    assert breakers[0].state is OPEN


def test_degrades_to_local_state_while_redis_is_down(
    redis_server_factory, caplog: pytest.LogCaptureFixture
) -> None:
    server = redis_server_factory()
    storage = RedisBreakerStorage(server.url, reconnect_interval=0, socket_timeout=0.5)
    breaker = CircuitBreaker(2, 30, name="svc", storage=storage)
    assert breaker.call(ok) == "ok"
    server.stop()
    with caplog.at_level(logging.WARNING, logger="stunir.retry"):
        assert breaker.call(ok) == "ok"  # still served, from local state
        fail_times(breaker, 2)
        assert breaker.state is OPEN  # the local state machine took over
        with pytest.raises(CircuitOpenError):
            breaker.call(ok)
    assert "Redis is unreachable" in caplog.text
    assert caplog.text.count("Redis is unreachable") == 1  # said once per outage
    server.start()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="stunir.retry"):
        assert breaker.call(ok) == "ok"  # the restarted Redis holds a closed state
    assert "Redis answers again" in caplog.text


def test_a_down_redis_is_not_asked_again_before_the_reconnect_interval(redis_server_factory):
    server = redis_server_factory()
    now = [0.0]
    storage = RedisBreakerStorage(server.url, reconnect_interval=60, clock=lambda: now[0])
    breaker = CircuitBreaker(5, 30, name="svc", storage=storage)
    server.stop()
    breaker.call(ok)  # notices the outage
    server.start()
    fail_times(breaker, 5)  # within the interval: local state only
    assert redis.Redis.from_url(server.url).hget("stunir:breaker:svc", "state") is None
    now[0] = 61
    assert breaker.state is CLOSED  # back on the shared state, which never saw the failures


def test_a_shared_breaker_needs_a_name(redis_url: str) -> None:
    with pytest.raises(InvalidArgumentError, match="needs a name="):
        CircuitBreaker(storage=RedisBreakerStorage(redis_url))


def test_a_ready_client_can_be_given(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    breaker = CircuitBreaker(1, 30, name="c", storage=RedisBreakerStorage(client=client))
    fail_times(breaker, 1)
    assert client.hget("stunir:breaker:c", "state") == b"open"
    assert "RedisBreakerStorage" in repr(breaker._store._storage)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        ((), {}, "exactly one of url= or client="),
        (("redis://x",), {"client": object()}, "exactly one of url= or client="),
        (("redis://x",), {"prefix": 3}, "prefix must be a str, got 3"),
        (("redis://x",), {"reconnect_interval": -1}, "reconnect_interval must be a finite"),
        (("redis://x",), {"socket_timeout": 0}, "socket_timeout must be a finite number > 0"),
    ],
)
def test_bad_arguments_are_refused(args, options, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        RedisBreakerStorage(*args, **options)


OPERATIONS = st.lists(
    st.sampled_from(
        ["ok", "fail", "excluded", "open", "close", "hold_open", "hold_closed", "half_open"]
    ),
    max_size=25,
)


@settings(max_examples=40)
@given(operations=OPERATIONS)
def test_the_redis_script_and_the_local_state_machine_agree(
    redis_server: RedisServer, operations: list[str]
) -> None:
    redis_server.flush()
    options = {
        "failure_threshold": 3,
        "recovery_timeout": 60,
        "success_threshold": 2,
        "excluded_exceptions": KeyError,
    }
    local = CircuitBreaker(name="model", **options)
    shared = make(redis_server.url, "model", **options)

    def apply(breaker: CircuitBreaker, operation: str) -> str:
        calls = {"ok": ok, "fail": boom, "excluded": lambda: {}["x"]}
        if operation in calls:
            try:
                breaker.call(calls[operation])
            except CircuitOpenError as exc:
                return f"rejected {exc.state}"
            except (ConnectionError, KeyError) as exc:
                return type(exc).__name__
            return "ok"
        if operation == "open":
            breaker.open()
        elif operation == "close":
            breaker.close()
        elif operation == "half_open":
            breaker.force_state(HALF_OPEN)
        else:
            breaker.force_state(OPEN if operation == "hold_open" else CLOSED)
        return operation

    for operation in operations:
        assert apply(shared, operation) == apply(local, operation), operation
        assert shared.state is local.state, operation


async def failing() -> None:
    raise ConnectionError("down")


def test_coroutine_functions_share_the_state_through_the_asyncio_client(redis_url: str) -> None:
    storage = RedisBreakerStorage(redis_url)
    breaker = CircuitBreaker(2, 30, name="svc", storage=storage)
    guarded = breaker(failing)

    async def main() -> None:
        for _ in range(2):
            with pytest.raises(ConnectionError):
                await guarded()
        with pytest.raises(CircuitOpenError):
            await guarded()
        await storage.aclose()

    asyncio.run(main())
    assert make(redis_url).state is OPEN  # a blocking breaker elsewhere sees it


def test_coroutine_functions_never_use_the_blocking_client(
    redis_url: str, redis_server_factory, caplog: pytest.LogCaptureFixture
) -> None:
    dead = redis_server_factory()
    blocking = redis.Redis.from_url(dead.url, socket_timeout=0.5)
    dead.stop()  # any blocking call would now fail and log "unreachable"

    async def main() -> None:
        async_client = redis.asyncio.Redis.from_url(redis_url)
        storage = RedisBreakerStorage(client=blocking, async_client=async_client)
        breaker = CircuitBreaker(1, 30, name="svc", storage=storage)
        guarded = breaker(failing)
        with pytest.raises(ConnectionError):
            await guarded()
        with pytest.raises(CircuitOpenError):
            await guarded()
        await storage.aclose()  # a client we were given stays open: its owner closes it
        assert await async_client.hget("stunir:breaker:svc", "state") == b"open"
        await async_client.aclose()

    with caplog.at_level(logging.WARNING, logger="stunir.retry"):
        asyncio.run(main())
    assert "unreachable" not in caplog.text


def test_coroutine_functions_fall_back_to_local_state_while_redis_is_down(
    redis_server_factory, caplog: pytest.LogCaptureFixture
) -> None:
    server = redis_server_factory()
    storage = RedisBreakerStorage(server.url, reconnect_interval=0)
    breaker = CircuitBreaker(2, 30, name="svc", storage=storage)

    @breaker
    async def fine() -> str:
        return "ok"

    async def main() -> None:
        assert await fine() == "ok"
        server.stop()
        assert await fine() == "ok"
        for _ in range(2):
            with pytest.raises(ConnectionError):
                await breaker(failing)()
        with pytest.raises(CircuitOpenError):
            await fine()
        await storage.aclose()

    with caplog.at_level(logging.WARNING, logger="stunir.retry"):
        asyncio.run(main())
    assert caplog.text.count("Redis is unreachable") == 1


def test_a_blocking_client_alone_also_serves_coroutine_functions(redis_url: str) -> None:
    storage = RedisBreakerStorage(client=redis.Redis.from_url(redis_url))
    breaker = CircuitBreaker(1, 30, name="svc", storage=storage)

    async def main() -> None:
        with pytest.raises(ConnectionError):
            await breaker(failing)()
        with pytest.raises(CircuitOpenError):
            await breaker(failing)()
        await storage.aclose()

    asyncio.run(main())
    assert make(redis_url).state is OPEN


def test_a_cancelled_async_trial_gives_its_permit_back_in_redis(redis_url: str) -> None:
    storage = RedisBreakerStorage(redis_url)
    breaker = CircuitBreaker(1, 30, name="svc", storage=storage)
    fail_times(breaker, 1)
    age_open_circuit(redis_url, "svc", 30)

    async def main() -> None:
        inside = asyncio.Event()

        @breaker
        async def hang() -> None:
            inside.set()
            await asyncio.sleep(3600)

        task = asyncio.create_task(hang())
        await inside.wait()  # the trial holds the one permit
        assert breaker.state is HALF_OPEN
        with pytest.raises(CircuitOpenError):
            await hang()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await storage.aclose()

    asyncio.run(main())
    assert breaker.call(ok) == "ok"  # the permit came back
    assert breaker.state is CLOSED
