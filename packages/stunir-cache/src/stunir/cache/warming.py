"""Fill a cache before traffic arrives, and keep its hottest entries fresh."""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from stunir.cache._validate import check_count, check_positive_number, check_ttl
from stunir.cache.backend import Backend, Clock
from stunir.cache.errors import CacheConfigError

logger = logging.getLogger("stunir.cache")

Progress = Callable[[int, int], None]
"""Called as ``on_progress(done, total)`` after each item, in the caller's thread."""


@dataclass(frozen=True, slots=True)
class WarmFailure:
    """One item that could not be loaded, and why."""

    item: Any
    error: Exception


@dataclass(frozen=True, slots=True)
class WarmReport:
    total: int
    loaded: int
    failures: tuple[WarmFailure, ...]
    elapsed_seconds: float

    @property
    def ok(self) -> bool:
        return not self.failures


def _as_args(item: Any) -> tuple[Any, ...]:
    return item if type(item) is tuple else (item,)


def _plan(
    target: Any, loader: Callable[[Any], Any] | None, ttl: float | None
) -> Callable[[Any], Any]:
    """The call that warms one item: refresh a @cached function, or load into a backend."""
    if isinstance(target, Backend):
        if loader is None or not callable(loader):
            raise CacheConfigError("loader", loader, "a function key -> value to warm a backend")
        lifetime = check_ttl(ttl)
        if inspect.iscoroutinefunction(loader):

            async def load_async(key: Any) -> None:
                await target.aset(key, await loader(key), lifetime)

            return load_async

        def load(key: Any) -> None:
            target.set(key, loader(key), lifetime)

        return load
    refresh = getattr(target, "refresh", None)
    if refresh is None:
        raise CacheConfigError("target", target, "a backend or a @cached function")
    if loader is not None or ttl is not None:
        raise CacheConfigError("loader", loader, "None for a @cached function (it loads itself)")
    return lambda item: refresh(*_as_args(item))


class _Job:
    """One warming run: what to do per item, how many at once, and what went wrong."""

    def __init__(
        self,
        target: Any,
        items: Iterable[Any],
        *,
        loader: Callable[[Any], Any] | None,
        ttl: float | None,
        concurrency: int,
        clock: Clock,
        asynchronous: bool,
    ) -> None:
        self.work = _plan(target, loader, ttl)
        is_async = inspect.iscoroutinefunction(getattr(target, "refresh", None))
        if not asynchronous and (is_async or inspect.iscoroutinefunction(loader)):
            raise CacheConfigError("target", target, "sync work (use awarm for coroutines)")
        self.workers = check_count(concurrency, "concurrency")
        self.todo = list(items)
        self.failures: list[WarmFailure] = []
        self._clock = clock
        self._started = clock()

    def report(self) -> WarmReport:
        for failure in self.failures:
            logger.warning("stunir.cache: warming %r failed: %r", failure.item, failure.error)
        loaded = len(self.todo) - len(self.failures)
        elapsed = self._clock() - self._started
        return WarmReport(len(self.todo), loaded, tuple(self.failures), elapsed)


def warm(
    target: Any,
    items: Iterable[Any],
    *,
    loader: Callable[[Any], Any] | None = None,
    ttl: float | None = None,
    concurrency: int = 4,
    on_progress: Progress | None = None,
    clock: Clock = time.monotonic,
) -> WarmReport:
    """Load ``items`` into a cache on ``concurrency`` threads; failures are reported, not raised.

    ``target`` is a backend (``items`` are keys, ``loader(key)`` makes each value, stored for
    ``ttl`` seconds) or a sync ``@cached`` function (``items`` are argument tuples, or single
    arguments, each computed and stored afresh).
    """
    job = _Job(
        target,
        items,
        loader=loader,
        ttl=ttl,
        concurrency=concurrency,
        clock=clock,
        asynchronous=False,
    )
    with ThreadPoolExecutor(job.workers, thread_name_prefix="stunir-cache-warm") as pool:
        futures = {pool.submit(job.work, item): item for item in job.todo}
        for done, future in enumerate(as_completed(futures), start=1):
            error = future.exception()
            if isinstance(error, Exception):
                job.failures.append(WarmFailure(futures[future], error))
            elif error is not None:
                raise error
            if on_progress is not None:
                on_progress(done, len(job.todo))
    return job.report()


async def awarm(
    target: Any,
    items: Iterable[Any],
    *,
    loader: Callable[[Any], Any] | None = None,
    ttl: float | None = None,
    concurrency: int = 4,
    on_progress: Progress | None = None,
    clock: Clock = time.monotonic,
) -> WarmReport:
    """``warm`` for coroutines: an async ``@cached`` function, or a backend with a loader that
    may be a coroutine function; at most ``concurrency`` loads run at once."""
    job = _Job(
        target,
        items,
        loader=loader,
        ttl=ttl,
        concurrency=concurrency,
        clock=clock,
        asynchronous=True,
    )
    gate = asyncio.Semaphore(job.workers)
    done = 0

    async def one(item: Any) -> None:
        nonlocal done
        async with gate:
            try:
                result = job.work(item)
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:
                job.failures.append(WarmFailure(item, exc))
        done += 1
        if on_progress is not None:
            on_progress(done, len(job.todo))

    await asyncio.gather(*(one(item) for item in job.todo))
    return job.report()


class RefreshAhead:
    """Calls a ``@cached`` function for you and remembers which arguments are hottest, so
    ``refresh_hottest()`` (or the thread ``start()`` runs) recomputes them before they expire.

    Counts cover the time since the last refresh: what was hot an hour ago fades out.
    """

    def __init__(self, fn: Any, *, top_n: int = 100, concurrency: int = 4) -> None:
        if getattr(fn, "refresh", None) is None:
            raise CacheConfigError("fn", fn, "a @cached function")
        self.fn = fn
        self.top_n = check_count(top_n, "top_n")
        self.concurrency = check_count(concurrency, "concurrency")
        self._lock = threading.Lock()
        self._counts: Counter[tuple[Any, ...]] = Counter()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, *args: Any) -> Any:
        with self._lock:
            self._counts[args] += 1
        return self.fn(*args)

    def hottest(self) -> list[tuple[Any, ...]]:
        """The argument tuples called most since the last refresh, hottest first."""
        with self._lock:
            return [args for args, _ in self._counts.most_common(self.top_n)]

    def _take(self) -> list[tuple[Any, ...]]:
        with self._lock:
            hot = [args for args, _ in self._counts.most_common(self.top_n)]
            self._counts.clear()
        return hot

    def refresh_hottest(self) -> WarmReport:
        return warm(self.fn, self._take(), concurrency=self.concurrency)

    async def arefresh_hottest(self) -> WarmReport:
        return await awarm(self.fn, self._take(), concurrency=self.concurrency)

    def start(self, interval_seconds: float) -> None:
        """Refresh the hottest keys every ``interval_seconds`` on a daemon thread."""
        interval = check_positive_number(interval_seconds, "interval_seconds")
        if self._thread is not None:
            raise RuntimeError("this RefreshAhead is already started")

        def loop() -> None:
            while not self._stop.wait(interval):
                self.refresh_hottest()

        self._thread = threading.Thread(target=loop, name="stunir-cache-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
