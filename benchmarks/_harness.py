"""Timing shared by the benchmark files: the median of repeated batches, and ratios to peers.

A benchmark file defines ``run(bench: Bench) -> None`` and calls ``bench.compare(...)`` once per
case, with our callable and the peers' callables doing the same work. Coroutine functions are
timed inside one running event loop.
"""

from __future__ import annotations

import asyncio
import inspect
import statistics
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat
from typing import Any

OURS = "stunir"


@dataclass(frozen=True, slots=True)
class Result:
    package: str
    case: str
    implementation: str
    median_ns: float
    ours_faster_by: float | None  # peer median / our median; None on our own row
    target_ns: float | None = None  # our budget for the case, when the issue sets one


@contextmanager
def _batch_timer(fn: Callable[[], Any]) -> Iterator[Callable[[int], int]]:
    """Yield a function that times ``n`` calls of ``fn`` (awaited in one loop if a coroutine)."""
    if inspect.iscoroutinefunction(fn):

        async def async_batch(n: int) -> int:
            start = time.perf_counter_ns()
            for _ in repeat(None, n):
                await fn()
            return time.perf_counter_ns() - start

        with asyncio.Runner() as runner:
            yield lambda n: runner.run(async_batch(n))
        return

    def sync_batch(n: int) -> int:
        start = time.perf_counter_ns()
        for _ in repeat(None, n):
            fn()
        return time.perf_counter_ns() - start

    yield sync_batch


def median_ns(fn: Callable[[], Any], *, repeats: int = 7, batch_seconds: float = 0.05) -> float:
    """Median time of one call, over ``repeats`` batches each lasting about ``batch_seconds``."""
    with _batch_timer(fn) as timer:
        n = 1
        while (elapsed := timer(n)) < batch_seconds * 1e9 / 10:
            n *= 10
        n = max(1, int(n * batch_seconds * 1e9 / max(elapsed, 1)))
        return statistics.median(timer(n) / n for _ in range(repeats))


class Bench:
    def __init__(self, package: str, *, quick: bool = False) -> None:
        self.package = package
        self.results: list[Result] = []
        self._batch_seconds = 0.01 if quick else 0.05

    def compare(
        self,
        case: str,
        ours: Callable[[], Any],
        peers: Mapping[str, Callable[[], Any]],
        *,
        target_ns: float | None = None,
    ) -> None:
        """Time our callable and each peer's doing the same work, in this process."""
        mine = median_ns(ours, batch_seconds=self._batch_seconds)
        self.results.append(Result(self.package, case, OURS, mine, None, target_ns))
        for peer, fn in peers.items():
            theirs = median_ns(fn, batch_seconds=self._batch_seconds)
            self.results.append(Result(self.package, case, peer, theirs, theirs / mine))
