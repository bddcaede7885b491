"""A handler that queues records and lets a background thread write them."""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from stunir.logging.context import CURRENT
from stunir.logging.errors import ConfigurationError
from stunir.logging.levels import parse_level
from stunir.logging.records import CONTEXT_ATTR, TEMPLATE_ATTR
from stunir.logging.validation import require_int, require_number

__all__ = ["AsyncHandler", "AsyncHandlerStats", "OverflowPolicy"]

OverflowPolicy = Literal["block", "drop_newest", "drop_oldest"]
_log = logging.getLogger("stunir.logging")
_LIVE: weakref.WeakSet[AsyncHandler] = weakref.WeakSet()


@dataclass(frozen=True, slots=True)
class AsyncHandlerStats:
    enqueued: int
    emitted: int
    dropped: int
    pending: int
    capacity: int


class AsyncHandler(logging.Handler):
    """Accepts records into a bounded queue; one daemon thread hands them to ``handlers``.

    ``emit`` costs a lock and an append: slow sinks (files, sockets) leave the caller's
    thread. When the queue holds ``capacity`` records, ``overflow`` decides: ``"block"`` waits
    for room (up to ``block_timeout_seconds``, then drops), ``"drop_newest"`` drops the
    incoming record, ``"drop_oldest"`` drops the oldest queued one; every drop is counted in
    ``stats().dropped``. ``flush()`` waits until everything accepted so far is written;
    ``close()`` (called by ``logging.shutdown`` and at interpreter exit) writes everything
    accepted, then stops. After ``fork()`` the child starts with an empty queue and its own
    thread; records queued before the fork are written by the parent only.

    The record's ``log_context`` is captured at ``emit``, in the caller's thread. ``handlers``
    may name handlers configured by ``dictConfig`` (strings), resolved on first use.
    """

    def __init__(
        self,
        handlers: Sequence[logging.Handler | str],
        *,
        capacity: int = 10_000,
        overflow: OverflowPolicy = "block",
        block_timeout_seconds: float | None = None,
        level: int | str = logging.NOTSET,
    ) -> None:
        handler_level = parse_level(level)  # all checked before Handler.__init__ registers us
        targets: object = handlers
        if isinstance(targets, logging.Handler | str) or not handlers:
            raise ConfigurationError("handlers", handlers, "a non-empty list of handlers")
        if overflow not in ("block", "drop_newest", "drop_oldest"):
            raise ConfigurationError(
                "overflow", overflow, "'block', 'drop_newest' or 'drop_oldest'"
            )
        if block_timeout_seconds is not None:
            require_number("block_timeout_seconds", block_timeout_seconds, at_least=0)
        self._targets: list[logging.Handler | str] = list(handlers)
        self.capacity = require_int("capacity", capacity, 1)
        self.overflow = overflow
        self.block_timeout_seconds = block_timeout_seconds
        self._reset_state()
        super().__init__(handler_level)
        _LIVE.add(self)

    def _reset_state(self) -> None:
        self._queue: deque[logging.LogRecord] = deque()
        self._lock = threading.Lock()  # the queue, the counters and the flags below
        self._room = threading.Condition(self._lock)  # producers waiting on a full queue
        self._drained = threading.Condition(self._lock)  # flush() waiting for the worker
        # The worker sleeps by acquiring this held lock; a producer releases it once to wake it
        # (cheaper than a Condition notify on every record).
        self._wakeup = threading.Lock()
        self._wakeup.acquire()
        self._sleeping = False
        self._waiters = 0  # producers waiting for room plus flush() callers waiting
        self._thread: threading.Thread | None = None
        self._closed = False
        self._unresolved_reported = False
        self._enqueued = 0
        self._emitted = 0
        self._dropped = 0
        self._in_flight = 0

    @property
    def handlers(self) -> list[logging.Handler]:
        """The downstream handlers (names resolved)."""
        return [_resolve(target) for target in self._targets]

    def handle(self, record: logging.LogRecord) -> logging.LogRecord | bool:  # type: ignore[override]
        # No handler-wide lock around emit: the queue has its own, held only to append.
        result: object = self.filter(record)  # a LogRecord on Python 3.12+, else a bool
        if isinstance(result, logging.LogRecord):
            record = result
        if result:
            self.emit(record)
        return result  # type: ignore[return-value]  # bool or LogRecord, as stdlib returns

    def emit(self, record: logging.LogRecord) -> None:
        attributes = record.__dict__
        if CONTEXT_ATTR not in attributes:
            attributes[CONTEXT_ATTR] = CURRENT.get()
        if record.args:  # fix the message now: args may be mutated after the call returns
            try:
                attributes[TEMPLATE_ATTR] = record.msg
                record.msg = record.getMessage()
                record.args = None
            except Exception:  # leave a bad format for the formatter to report
                pass
        with self._lock:
            if self._closed:
                self._dropped += 1
                return
            if len(self._queue) >= self.capacity and not self._make_room():
                self._dropped += 1
                return
            self._queue.append(record)
            self._enqueued += 1
            if self._sleeping:
                self._sleeping = False
                self._wakeup.release()
            elif self._thread is None:
                self._start()

    def _make_room(self) -> bool:
        """Called with the lock held and the queue full; True when the record may be queued."""
        if self.overflow == "drop_newest":
            return False
        if self.overflow == "drop_oldest":
            self._queue.popleft()
            self._dropped += 1
            return True
        if threading.current_thread() is self._thread:  # a downstream handler logging: no wait
            return True
        deadline = (
            None
            if self.block_timeout_seconds is None
            else time.monotonic() + self.block_timeout_seconds
        )
        while len(self._queue) >= self.capacity and not self._closed:
            if self._thread is None:
                self._start()
            if not self._wait(self._room, deadline):
                return False
        return not self._closed

    def _wait(self, condition: threading.Condition, deadline: float | None) -> bool:
        """Wait (lock held) for the worker's next notice; False once ``deadline`` has passed."""
        timeout = None if deadline is None else deadline - time.monotonic()
        if timeout is not None and timeout <= 0:
            return False
        self._waiters += 1
        try:
            condition.wait(timeout)
        finally:
            self._waiters -= 1
        return True

    def _start(self) -> None:
        thread = threading.Thread(target=self._run, name="stunir-logging-async", daemon=True)
        self._thread = thread
        thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                batch = list(self._queue)
                self._queue.clear()
                self._in_flight = len(batch)
                if batch and self._waiters:
                    self._room.notify_all()
                if not batch:
                    if self._closed:
                        self._drained.notify_all()
                        return
                    self._sleeping = True
            if not batch:
                self._wakeup.acquire()  # released by the next emit() or by shutdown()
                continue
            self._write(batch)
            with self._lock:
                self._emitted += len(batch)
                self._in_flight = 0
                if self._waiters:
                    self._drained.notify_all()

    def _write(self, batch: list[logging.LogRecord]) -> None:
        try:
            handlers = self.handlers
        except ConfigurationError as exc:  # an unknown handler name: say so once, not per batch
            if not self._unresolved_reported:
                self._unresolved_reported = True
                _log.error("AsyncHandler dropping records: %s", exc)
            return
        for record in batch:
            for handler in handlers:
                if record.levelno >= handler.level:
                    _handle_quietly(handler, record)

    def flush(self, timeout_seconds: float | None = None) -> bool:  # type: ignore[override]
        """Wait until every record accepted so far is written; False if the timeout ran out."""
        deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
        with self._lock:
            if threading.current_thread() is self._thread:
                return False
            while self._queue or self._in_flight:
                if self._thread is None or not self._thread.is_alive():
                    break
                if not self._wait(self._drained, deadline):
                    return False
        for handler in self._resolved_quietly():
            handler.flush()
        return True

    def _resolved_quietly(self) -> list[logging.Handler]:
        try:
            return self.handlers
        except Exception:  # an unknown handler name: reported by the worker already
            return []

    def shutdown(self, timeout_seconds: float | None = None) -> None:
        """Stop accepting records, write everything accepted, stop the thread."""
        with self._lock:
            self._closed = True
            thread = self._thread
            self._room.notify_all()
            if self._sleeping:
                self._sleeping = False
                self._wakeup.release()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_seconds)
        if self._queue:  # the thread never started or did not finish: write in this thread
            with self._lock:
                batch = list(self._queue)
                self._queue.clear()
            self._write(batch)
            with self._lock:
                self._emitted += len(batch)
        for handler in self._resolved_quietly():
            handler.flush()

    def close(self) -> None:
        self.shutdown()
        super().close()

    def stats(self) -> AsyncHandlerStats:
        with self._lock:
            pending = len(self._queue) + self._in_flight
            return AsyncHandlerStats(
                self._enqueued, self._emitted, self._dropped, pending, self.capacity
            )

    def _after_fork_in_child(self) -> None:
        self._reset_state()


def _handle_quietly(handler: logging.Handler, record: logging.LogRecord) -> None:
    try:
        handler.handle(record)
    except Exception:  # one broken sink must not stop the others
        handler.handleError(record)


def _resolve(target: logging.Handler | str) -> logging.Handler:
    if isinstance(target, logging.Handler):
        return target
    named = vars(logging)["_handlers"].get(target)  # dictConfig's registry of named handlers
    if named is None:
        raise ConfigurationError("handlers", target, "the name of a configured handler")
    return named  # type: ignore[no-any-return]


def _after_fork() -> None:
    for handler in list(_LIVE):
        handler._after_fork_in_child()


def _shutdown_quietly(handler: AsyncHandler) -> None:
    try:
        handler.shutdown(timeout_seconds=10.0)
    except Exception:  # interpreter exit: report, never raise
        _log.exception("AsyncHandler shutdown failed")


def _shutdown_all() -> None:
    for handler in list(_LIVE):
        _shutdown_quietly(handler)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
atexit.register(_shutdown_all)  # after logging's own atexit hook is registered: runs before it
