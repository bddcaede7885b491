"""Sliding windows of recent call outcomes, for failure-rate and slow-call-rate trips.

``CountWindow(size)`` keeps the last ``size`` calls; ``TimeWindow(seconds)`` keeps the calls
of the last ``seconds``, in 20 buckets. Both are descriptions: each breaker builds its own
``Tally`` from them and guards it with its own lock.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from stunir.retry._validation import at_least, positive

_FAILED, _SLOW = 1, 2
_TIME_BUCKETS = 20


class Tally(ABC):
    """Running totals of the calls in one window. Not thread-safe: the breaker locks."""

    @abstractmethod
    def record(self, now: float, failed: bool, slow: bool) -> tuple[int, int, int]:
        """Add one call; returns the window's (calls, failures, slow calls)."""

    @abstractmethod
    def reset(self) -> None: ...


@dataclass(frozen=True, slots=True)
class CountWindow:
    """The last ``size`` calls."""

    size: int = 100

    def __post_init__(self) -> None:
        at_least("CountWindow size", self.size, 1)

    def tally(self) -> Tally:
        return _CountTally(self.size)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """The calls of the last ``seconds`` seconds (20 buckets of ``seconds / 20``)."""

    seconds: float = 60.0

    def __post_init__(self) -> None:
        positive("TimeWindow seconds", self.seconds)

    def tally(self) -> Tally:
        return _TimeTally(self.seconds / _TIME_BUCKETS)


class _CountTally(Tally):
    def __init__(self, size: int) -> None:
        self._size = size
        self.reset()

    def reset(self) -> None:
        self._ring = [0] * self._size
        self._next = 0
        self._calls = self._failures = self._slow = 0

    def record(self, now: float, failed: bool, slow: bool) -> tuple[int, int, int]:
        ring, index, size = self._ring, self._next, self._size
        if self._calls == size:  # full: the oldest call leaves the window
            old = ring[index]
            self._failures -= old & _FAILED
            self._slow -= (old & _SLOW) >> 1
        else:
            self._calls += 1
        ring[index] = (_FAILED if failed else 0) | (_SLOW if slow else 0)
        self._failures += failed
        self._slow += slow
        self._next = index + 1 if index + 1 < size else 0
        return self._calls, self._failures, self._slow


class _TimeTally(Tally):
    def __init__(self, width: float) -> None:
        self._width = width
        self.reset()

    def reset(self) -> None:
        # One [bucket number, calls, failures, slow] per slot; bucket number -1 is empty.
        self._buckets = [[-1, 0, 0, 0] for _ in range(_TIME_BUCKETS)]

    def record(self, now: float, failed: bool, slow: bool) -> tuple[int, int, int]:
        number = int(now // self._width)
        bucket = self._buckets[number % _TIME_BUCKETS]
        if bucket[0] != number:
            bucket[:] = [number, 0, 0, 0]
        bucket[1] += 1
        bucket[2] += failed
        bucket[3] += slow
        oldest = number - _TIME_BUCKETS
        calls = failures = slow_calls = 0
        for start, c, f, s in self._buckets:
            if start > oldest:
                calls += c
                failures += f
                slow_calls += s
        return calls, failures, slow_calls
