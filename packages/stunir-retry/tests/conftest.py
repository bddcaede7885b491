"""Shared test helpers: a virtual clock that sleeping advances, so no test waits for time."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest


class VirtualClock:
    """``clock()`` reads virtual seconds; ``sleep(s)`` and ``await asleep(s)`` advance them."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture(scope="session")
def clock_factory() -> type[VirtualClock]:
    """For property tests, which need a fresh clock per example."""
    return VirtualClock


@pytest.fixture(scope="session")
def in_threads() -> Callable[..., None]:
    """``in_threads(worker, count)``: run ``worker`` in ``count`` real threads, wait for all."""

    def run(worker: Callable[[], object], count: int) -> None:
        threads = [threading.Thread(target=worker) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    return run
