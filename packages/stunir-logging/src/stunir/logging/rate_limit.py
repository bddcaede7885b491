"""At most N records per (logger, message template) per window; the rest summed up in one record."""

from __future__ import annotations

import atexit
import contextlib
import heapq
import logging
import math
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from stunir.logging.async_handler import AsyncHandler
from stunir.logging.errors import ConfigurationError
from stunir.logging.levels import parse_level
from stunir.logging.records import CONTEXT_ATTR, FIELDS_ATTR, TEMPLATE_ATTR
from stunir.logging.validation import require_int, require_number

__all__ = ["SUMMARY_TEMPLATE", "RateLimitFilter", "RateLimitStats"]

# The summary's message template. Records carrying this very object pass every
# RateLimitFilter untouched, so a summary is never limited or summed up itself.
SUMMARY_TEMPLATE = "suppressed %d similar messages"

_Key = tuple[str, object]
_LIVE: weakref.WeakSet[RateLimitFilter] = weakref.WeakSet()  # filters that ever suppressed


@dataclass(frozen=True, slots=True)
class RateLimitStats:
    passed: int
    suppressed: int
    tracked_keys: int
    summaries: int


@dataclass(slots=True)
class _Pending:
    """Records suppressed in one window and not yet summed up in a summary record."""

    key: _Key
    levelno: int
    pathname: str
    lineno: int
    func: str | None
    suppressed: int = 0


@dataclass(slots=True)
class _Window:
    end: float
    count: int
    pending: _Pending | None = None


class RateLimitFilter(logging.Filter):
    """Lets ``max_records`` records per ``per_seconds`` through for each (logger, template).

    The template is the unformatted message (``"retrying %s"``), so one noisy call site is
    limited without muting others. When a window in which records were suppressed closes, one
    summary record follows: same logger name, the highest level among the suppressed records,
    message ``suppressed N similar messages``, fields ``suppressed`` (N) and ``template``. It is
    emitted by the next record that passes through the filter (any template) or by ``flush()``,
    which ``logging.shutdown()`` and interpreter exit call; there is no timer thread. It goes
    where the filter sits: through the record's logger, or through the handler(s) carrying the
    filter. Records at ``always_level`` or above are never limited. ``clock`` is injectable
    (seconds, monotonic). Thread-safe.
    """

    def __init__(
        self,
        max_records: int = 10,
        per_seconds: float = 60.0,
        *,
        always_level: int | str = logging.CRITICAL + 1,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.max_records = require_int("max_records", max_records, 1)
        self.per_seconds = require_number("per_seconds", per_seconds, above=0)
        self.always_level = parse_level(always_level, setting="always_level")
        self.max_keys = require_int("max_keys", max_keys, 1)
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[_Key, _Window] = {}
        # Windows with suppressions, by end time: (end, sequence, window, pending).
        self._due: list[tuple[float, int, _Window, _Pending]] = []
        self._next_due = math.inf  # end of the earliest window in _due
        self._sequence = 0
        self._flusher: _ShutdownFlush | None = None
        self._passed = 0
        self._suppressed = 0
        self._summaries = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= self.always_level:
            return True
        template = record.__dict__.get(TEMPLATE_ATTR, record.msg)
        if template is SUMMARY_TEMPLATE:
            return True
        try:
            key: _Key = (record.name, template)
            hash(key)
        except TypeError:  # an unhashable msg object
            key = (record.name, repr(template))
        now = self._clock()
        with self._lock:
            closed = self._take_closed(now) if now >= self._next_due else None
            window = self._windows.get(key)
            if window is None or now >= window.end:
                self._windows[key] = _Window(now + self.per_seconds, 1)
                if len(self._windows) > self.max_keys:
                    closed = self._evict(now, closed)
                self._passed += 1
                passed = True
            elif window.count < self.max_records:
                window.count += 1
                self._passed += 1
                passed = True
            else:
                self._suppress(key, window, record)
                passed = False
        if closed:
            self._emit(closed)
        return passed

    def _suppress(self, key: _Key, window: _Window, record: logging.LogRecord) -> None:
        """Count a suppressed record (lock held)."""
        self._suppressed += 1
        pending = window.pending
        if pending is None:
            pending = _Pending(key, record.levelno, record.pathname, record.lineno, record.funcName)
            window.pending = pending
            self._sequence += 1
            heapq.heappush(self._due, (window.end, self._sequence, window, pending))
            if len(self._due) > 2 * self.max_keys:  # drop entries already summed up
                self._due = [entry for entry in self._due if entry[2].pending is entry[3]]
                heapq.heapify(self._due)
            self._next_due = self._due[0][0]
            if self._flusher is None:
                # Created after the handlers that exist now, so logging.shutdown(), which
                # closes the newest handlers first, reaches it before theirs.
                self._flusher = _ShutdownFlush(self)
                _LIVE.add(self)
        elif record.levelno > pending.levelno:
            pending.levelno = record.levelno
        pending.suppressed += 1

    def _take_closed(self, now: float) -> list[_Pending]:
        """Unlink the pending counts of every window ended by ``now`` (lock held)."""
        closed: list[_Pending] = []
        due = self._due
        while due and due[0][0] <= now:
            _, _, window, pending = heapq.heappop(due)
            if window.pending is pending:
                window.pending = None
                closed.append(pending)
        self._next_due = due[0][0] if due else math.inf
        return closed

    def _evict(self, now: float, closed: list[_Pending] | None) -> list[_Pending] | None:
        """Keep at most ``max_keys`` windows (lock held); an evicted window is summed up now."""
        expired = [key for key, window in self._windows.items() if now >= window.end]
        for key in expired:
            del self._windows[key]  # ended windows were summed up by _take_closed already
        while len(self._windows) > self.max_keys:  # oldest first: dicts keep insertion order
            window = self._windows.pop(next(iter(self._windows)))
            if window.pending is not None:
                closed = closed or []
                closed.append(window.pending)
                window.pending = None
        return closed

    def _emit(self, closed: list[_Pending]) -> None:
        """Hand one summary record per pending count to where the filter sits (lock not held)."""
        with self._lock:
            self._summaries += len(closed)
        for pending in closed:
            name, template = pending.key
            summary = logging.LogRecord(
                name,
                pending.levelno,
                pending.pathname,
                pending.lineno,
                SUMMARY_TEMPLATE,
                (pending.suppressed,),
                None,
                func=pending.func,
            )
            summary.__dict__[FIELDS_ATTR] = {"suppressed": pending.suppressed, "template": template}
            summary.__dict__[CONTEXT_ATTR] = {}  # not the context of whoever triggered it
            self._deliver(summary)

    def _deliver(self, summary: logging.LogRecord) -> None:
        logger = logging.getLogger(summary.name)
        if self not in logger.filters:
            handlers = [handler for handler in _handlers_of(logger) if self in handler.filters]
            if handlers:
                for handler in handlers:
                    if summary.levelno >= handler.level:
                        handler.handle(summary)
                return
        logger.handle(summary)  # on the logger, or found nowhere (say, behind a queue)

    def _flusher_closed(self, flusher: _ShutdownFlush) -> None:
        with self._lock:
            if self._flusher is flusher:  # dictConfig() closes every handler: re-arm on next use
                self._flusher = None

    def flush(self) -> None:
        """Emit a summary now for every window with suppressed records, ended or not."""
        with self._lock:
            closed = [pending for _, _, window, pending in self._due if window.pending is pending]
            for _, _, window, _ in self._due:
                window.pending = None
            self._due = []
            self._next_due = math.inf
        if closed:
            self._emit(closed)

    def pending_suppressed(self) -> dict[tuple[str, object], int]:
        """(logger, template) -> records suppressed and not yet summed up in a summary record."""
        with self._lock:
            return {
                pending.key: pending.suppressed
                for _, _, window, pending in self._due
                if window.pending is pending
            }

    def stats(self) -> RateLimitStats:
        with self._lock:
            return RateLimitStats(
                self._passed, self._suppressed, len(self._windows), self._summaries
            )


def _handlers_of(logger: logging.Logger) -> list[logging.Handler]:
    """The handlers a record of ``logger`` reaches, as ``Logger.callHandlers`` walks them."""
    found: list[logging.Handler] = []
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            found.append(handler)
            if isinstance(handler, AsyncHandler):  # its sinks run behind the queue
                # An unknown handler name is reported by the AsyncHandler itself.
                with contextlib.suppress(ConfigurationError):
                    found.extend(handler.handlers)
        current = current.parent if current.propagate else None
    return found


class _ShutdownFlush(logging.Handler):
    """Never attached to a logger: being a Handler, ``logging.shutdown()`` flushes and closes
    it (as it does every handler), and that flushes the filter's pending summaries."""

    def __init__(self, limiter: RateLimitFilter) -> None:
        super().__init__()
        self._limiter = limiter

    def emit(self, record: logging.LogRecord) -> None:
        pass

    def flush(self) -> None:
        self._limiter.flush()

    def close(self) -> None:
        self._limiter.flush()
        self._limiter._flusher_closed(self)
        super().close()


def _flush_quietly(limiter: RateLimitFilter) -> None:
    try:
        limiter.flush()
    except Exception:  # interpreter exit: report, never raise
        logging.getLogger("stunir.logging").exception("RateLimitFilter flush failed")


def _flush_all() -> None:
    for limiter in list(_LIVE):
        _flush_quietly(limiter)


# Registered after AsyncHandler's exit hook (imported above), so it runs before it: summaries
# are queued while the queues still accept records. logging's own hook runs last.
atexit.register(_flush_all)
