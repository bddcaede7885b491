"""At most N records per (logger, message template) per window; the rest are counted, not lost."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from stunir.logging.records import SUPPRESSED_ATTR, TEMPLATE_ATTR
from stunir.logging.validation import require_int, require_number

__all__ = ["RateLimitFilter", "RateLimitStats"]


@dataclass(frozen=True, slots=True)
class RateLimitStats:
    passed: int
    suppressed: int
    tracked_keys: int


@dataclass(slots=True)
class _Window:
    start: float
    count: int
    suppressed: int = 0


class RateLimitFilter(logging.Filter):
    """Lets ``max_records`` records per ``per_seconds`` through for each (logger, template).

    The template is the unformatted message (``"retrying %s"``), so one noisy call site is
    limited without muting others. The first record let through after a window in which some
    were suppressed carries the field ``suppressed`` = how many similar messages were dropped
    (a JSON field; on the console ``(suppressed N similar messages)``). Records at
    ``always_level`` or above are never limited. ``clock`` is injectable (seconds, monotonic).
    Thread-safe.
    """

    def __init__(
        self,
        max_records: int = 10,
        per_seconds: float = 60.0,
        *,
        always_level: int = logging.CRITICAL + 1,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.max_records = require_int("max_records", max_records, 1)
        self.per_seconds = require_number("per_seconds", per_seconds, above=0)
        self.always_level = always_level
        self.max_keys = require_int("max_keys", max_keys, 1)
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, object], _Window] = {}
        self._passed = 0
        self._suppressed = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= self.always_level:
            return True
        template = record.__dict__.get(TEMPLATE_ATTR, record.msg)
        try:
            key: tuple[str, object] = (record.name, template)
            hash(key)
        except TypeError:  # an unhashable msg object
            key = (record.name, repr(template))
        now = self._clock()
        with self._lock:
            window = self._windows.get(key)
            if window is None or now - window.start >= self.per_seconds:
                if window is not None and window.suppressed:
                    record.__dict__[SUPPRESSED_ATTR] = window.suppressed
                    del self._windows[key]
                self._windows[key] = _Window(now, 1)
                self._evict(now)
                self._passed += 1
                return True
            if window.count < self.max_records:
                window.count += 1
                self._passed += 1
                return True
            window.suppressed += 1
            self._suppressed += 1
            return False

    def _evict(self, now: float) -> None:
        if len(self._windows) <= self.max_keys:
            return
        expired = [
            key
            for key, window in self._windows.items()
            if now - window.start >= self.per_seconds and not window.suppressed
        ]
        for key in expired:
            del self._windows[key]
        while len(self._windows) > self.max_keys:  # oldest first: dicts keep insertion order
            del self._windows[next(iter(self._windows))]

    def pending_suppressed(self) -> dict[tuple[str, object], int]:
        """(logger, template) -> records suppressed and not yet reported on a later record.

        For a last report at shutdown, when no further record of that template came.
        """
        with self._lock:
            return {key: w.suppressed for key, w in self._windows.items() if w.suppressed}

    def stats(self) -> RateLimitStats:
        with self._lock:
            return RateLimitStats(self._passed, self._suppressed, len(self._windows))
