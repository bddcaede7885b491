import asyncio
import threading

import pytest

from stunir.cache import (
    CacheConfigError,
    MemoryBackend,
    RefreshAhead,
    WarmFailure,
    awarm,
    cached,
    warm,
)


def test_warm_a_backend_with_a_loader_reporting_progress_and_failures() -> None:
    backend = MemoryBackend()
    progress: list[tuple[int, int]] = []

    def loader(key: str) -> str:
        if key == "bad":
            raise KeyError(key)
        return key.upper()

    report = warm(
        backend,
        ["a", "bad", "c"],
        loader=loader,
        ttl=60,
        concurrency=2,
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert (report.total, report.loaded, report.ok) == (3, 2, False)
    (failure,) = report.failures
    assert isinstance(failure, WarmFailure)
    assert failure.item == "bad"
    assert isinstance(failure.error, KeyError)
    assert backend.get("a") == "A"
    assert backend.get("c") == "C"
    assert progress == [(1, 3), (2, 3), (3, 3)]
    assert report.elapsed_seconds >= 0


def test_warm_a_cached_function_with_argument_tuples() -> None:
    calls: list[tuple[int, int]] = []
    lock = threading.Lock()

    @cached()
    def add(a: int, b: int = 0) -> int:
        with lock:
            calls.append((a, b))
        return a + b

    report = warm(add, [(1, 2), (3, 4), 5])
    assert report.ok
    assert sorted(calls) == [(1, 2), (3, 4), (5, 0)]
    assert add(1, 2) == 3
    assert len(calls) == 3


def test_awarm_with_an_async_loader_and_function() -> None:
    backend = MemoryBackend()

    async def loader(key: str) -> int:
        await asyncio.sleep(0)
        return len(key)

    @cached()
    async def double(x: int) -> int:
        return 2 * x

    async def scenario() -> None:
        report = await awarm(backend, ["a", "bb"], loader=loader, concurrency=1)
        assert report.ok
        report = await awarm(double, [1, 2, 3])
        assert report.loaded == 3
        failing = await awarm(backend, ["x"], loader=lambda key: 1 / 0)
        assert isinstance(failing.failures[0].error, ZeroDivisionError)

    asyncio.run(scenario())
    assert backend.get("bb") == 2


@pytest.mark.parametrize(
    ("target", "kwargs", "name"),
    [
        (MemoryBackend(), {}, "loader"),
        (object(), {}, "target"),
        (MemoryBackend(), {"loader": len, "concurrency": 0}, "concurrency"),
        (MemoryBackend(), {"loader": len, "ttl": -1}, "ttl"),
    ],
)
def test_bad_warm_arguments_are_refused(target, kwargs, name) -> None:
    with pytest.raises(CacheConfigError) as info:
        warm(target, ["a"], **kwargs)
    assert info.value.name == name


def test_warm_refuses_async_work_and_points_to_awarm() -> None:
    @cached()
    async def fetch(x: int) -> int:
        return x

    async def loader(key: str) -> int:
        return 1

    with pytest.raises(CacheConfigError, match="awarm"):
        warm(fetch, [1])
    with pytest.raises(CacheConfigError, match="awarm"):
        warm(MemoryBackend(), ["a"], loader=loader)


def test_refresh_ahead_recomputes_the_hottest_arguments() -> None:
    version = [1]

    @cached()
    def price(item: str) -> str:
        return f"{item} v{version[0]}"

    hot = RefreshAhead(price, top_n=2)
    for item in ["a", "a", "a", "b", "b", "c"]:
        hot(item)
    assert hot.hottest() == [("a",), ("b",)]
    version[0] = 2
    report = hot.refresh_hottest()
    assert report.loaded == 2
    assert price("a") == "a v2"
    assert price("b") == "b v2"
    assert price("c") == "c v1"
    assert hot.hottest() == []  # counts start over after each refresh


def test_refresh_ahead_thread_starts_and_stops() -> None:
    @cached()
    def value(x: int) -> int:
        return x

    hot = RefreshAhead(value)
    hot.start(interval_seconds=3600)
    with pytest.raises(RuntimeError, match="already started"):
        hot.start(interval_seconds=1)
    hot.stop()
    with pytest.raises(CacheConfigError, match="fn"):
        RefreshAhead(len)
