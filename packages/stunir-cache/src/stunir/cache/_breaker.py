"""The outage breaker of a remote backend: after a failure, skip the network for a while."""

from __future__ import annotations

import logging
import threading

from stunir.cache.backend import Clock
from stunir.cache.errors import BackendUnavailableError

logger = logging.getLogger("stunir.cache")


class OutageBreaker:
    """Closed while the server answers; open for ``retry_after`` seconds after a failure.

    While open, calls cost one clock read and no network. When the time is up, calls go
    through again: one success closes it, a failure opens it for another period. The outage
    is logged once when it starts and once when it ends, never per call.
    """

    def __init__(self, name: str, *, retry_after: float, clock: Clock, strict: bool) -> None:
        self.name = name
        self.retry_after = retry_after
        self.strict = strict
        self._clock = clock
        self._lock = threading.Lock()
        self.open_until = 0.0  # 0.0 while closed: the hot path tests only this attribute
        self._down = False
        self._reason = ""

    def blocked(self) -> bool:
        """True while open (or raise ``BackendUnavailableError`` in strict mode)."""
        left = self.open_until - self._clock()
        if left <= 0:
            return False
        if self.strict:
            raise BackendUnavailableError(self.name, left, self._reason)
        return True

    def is_open(self) -> bool:
        """True while open; never raises (for work that is skipped, not refused)."""
        return self.open_until > self._clock()

    def failed(self, error: BaseException, *, may_raise: bool = True) -> None:
        """Record a failure: open the breaker; raise in strict mode if ``may_raise``."""
        with self._lock:
            self._reason = f"{type(error).__name__}: {error}"
            self.open_until = self._clock() + self.retry_after
            first = not self._down
            self._down = True
        if first:
            logger.warning(
                "stunir.cache: %s is unavailable (%s); serving misses for %.1f s between "
                "attempts until it answers again",
                self.name,
                self._reason,
                self.retry_after,
            )
        if self.strict and may_raise:
            raise BackendUnavailableError(self.name, 0.0, self._reason) from error

    def succeeded(self) -> None:
        if not self._down:
            return
        with self._lock:
            recovered, self._down, self.open_until = self._down, False, 0.0
        if recovered:
            logger.warning("stunir.cache: %s answers again; cache calls resume", self.name)
