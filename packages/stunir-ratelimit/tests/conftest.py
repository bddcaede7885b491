"""Virtual time for the tests: a clock that only moves when a test (or a sleep) moves it."""

from __future__ import annotations

import asyncio

import pytest


class VirtualClock:
    """Seconds since an arbitrary start; ``sleep`` and ``async_sleep`` advance it instantly."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # let the other tasks run, as a real sleep would

    def options(self) -> dict[str, object]:
        return {"clock": self, "sleep": self.sleep, "async_sleep": self.async_sleep}


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()
