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
from collections.abc import Callable, Mapping
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
    ours_faster_by: float | None  # median of paired rounds, peer time / ours; None: our row
    target_ns: float | None = None  # our budget for the case, when the issue sets one


def _batch_timer(fn: Callable[[], Any], runner: asyncio.Runner) -> Callable[[int], int]:
    """A function that times ``n`` calls of ``fn`` (awaited in the runner's loop if async)."""
    if inspect.iscoroutinefunction(fn):

        async def async_batch(n: int) -> int:
            start = time.perf_counter_ns()
            for _ in repeat(None, n):
                await fn()
            return time.perf_counter_ns() - start

        return lambda n: runner.run(async_batch(n))

    def sync_batch(n: int) -> int:
        start = time.perf_counter_ns()
        for _ in repeat(None, n):
            fn()
        return time.perf_counter_ns() - start

    return sync_batch


def _batch_size(timer: Callable[[int], int], batch_seconds: float) -> int:
    n = 1
    while (elapsed := timer(n)) < batch_seconds * 1e9 / 10:
        n *= 10
    return max(1, int(n * batch_seconds * 1e9 / max(elapsed, 1)))


def interleaved_samples(
    fns: Mapping[str, Callable[[], Any]], *, rounds: int = 9, batch_seconds: float = 0.05
) -> dict[str, list[float]]:
    """Per-call nanoseconds of each callable, over ``rounds`` batches taken in turn.

    Taking the batches in turn, rather than all of one callable and then the next, lets a load
    spike on a shared machine hit every implementation alike, which keeps the ratios honest.
    """
    with asyncio.Runner() as runner:
        timers = {name: _batch_timer(fn, runner) for name, fn in fns.items()}
        sizes = {name: _batch_size(timer, batch_seconds) for name, timer in timers.items()}
        samples: dict[str, list[float]] = {name: [] for name in fns}
        for _ in range(rounds):
            for name, timer in timers.items():
                samples[name].append(timer(sizes[name]) / sizes[name])
    return samples


def median_ns(fn: Callable[[], Any], *, batch_seconds: float = 0.05) -> float:
    """Median per-call nanoseconds of one callable timed on its own."""
    return statistics.median(interleaved_samples({"fn": fn}, batch_seconds=batch_seconds)["fn"])


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
        """Time our callable and each peer's doing the same work, in this process.

        The ratio is the median of the per-round ratios, so each pair was timed side by side.
        """
        if OURS in peers:
            raise ValueError(f"a peer may not be named {OURS!r}")
        samples = interleaved_samples({OURS: ours, **peers}, batch_seconds=self._batch_seconds)
        mine = samples[OURS]
        self.results.append(
            Result(self.package, case, OURS, statistics.median(mine), None, target_ns)
        )
        for peer in peers:
            theirs = samples[peer]
            ratio = statistics.median(t / m for t, m in zip(theirs, mine, strict=True))
            self.results.append(Result(self.package, case, peer, statistics.median(theirs), ratio))
