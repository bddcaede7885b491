"""Circuit breaker state shared by every process through Redis (``stunir-retry[redis]``).

Each breaker's state is one hash, ``<prefix><name>``, changed only by one server-side script,
so transitions are atomic across processes and timed by the Redis server's clock. When Redis
cannot be reached the breaker keeps working on its own local state, logs a warning, and tries
Redis again after ``reconnect_interval`` seconds (logging when the shared state is back).

The calls to Redis are blocking (redis-py's sync client), also from coroutine functions.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from stunir.retry._validation import non_negative, positive
from stunir.retry.breaker_state import (
    BreakerSettings,
    CircuitState,
    Rejected,
    StateChange,
    StateStore,
)
from stunir.retry.errors import InvalidArgumentError
from stunir.retry.redis_script import BREAKER_SCRIPT

if TYPE_CHECKING:
    import redis

logger = logging.getLogger("stunir.retry")


# The permit of a call admitted while CLOSED with no failure counted: its success needs no
# round trip to Redis (one round trip per successful call instead of two).
_CLEAN = -1


class _Unavailable(Exception):
    """Redis did not answer; the caller falls back to the local store."""


class RedisBreakerStorage:
    """Shared storage for circuit breakers: pass it as ``CircuitBreaker(storage=...)``.

    Give either a Redis URL or a ready ``redis.Redis`` client. Breakers with the same
    ``name`` and ``prefix`` share one state, whichever process they live in.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: redis.Redis | None = None,
        prefix: str = "stunir:breaker:",
        reconnect_interval: float = 5.0,
        socket_timeout: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        try:
            import redis as redis_module
        except ImportError:  # pragma: no cover - the extra is installed in every test run
            raise InvalidArgumentError(
                "RedisBreakerStorage needs redis-py: pip install 'stunir-retry[redis]'"
            ) from None
        if (url is None) == (client is None):
            raise InvalidArgumentError("give RedisBreakerStorage exactly one of url= or client=")
        if client is None:
            timeout = positive("socket_timeout", socket_timeout)
            client = redis_module.Redis.from_url(
                str(url), socket_timeout=timeout, socket_connect_timeout=timeout
            )
        if not isinstance(prefix, str):
            raise InvalidArgumentError(f"prefix must be a str, got {prefix!r}")
        self.client = client
        self.prefix = prefix
        self.reconnect_interval = non_negative("reconnect_interval", reconnect_interval)
        self.clock = clock
        self._script = client.register_script(BREAKER_SCRIPT)
        self._errors: tuple[type[BaseException], ...] = (
            redis_module.ConnectionError,
            redis_module.TimeoutError,
        )

    def bind(self, name: str, settings: BreakerSettings, local: StateStore) -> StateStore:
        return _RedisStore(self, self.prefix + name, name, settings, local)

    def __repr__(self) -> str:
        return f"RedisBreakerStorage(client={self.client!r}, prefix={self.prefix!r})"


def _state(value: Any) -> CircuitState:
    return CircuitState(value.decode() if isinstance(value, bytes) else value)


class _RedisStore:
    """One breaker's state in Redis, with the local store as the fallback."""

    def __init__(
        self,
        storage: RedisBreakerStorage,
        key: str,
        name: str,
        settings: BreakerSettings,
        local: StateStore,
    ) -> None:
        self._storage = storage
        self._key = key
        self._name = name
        self._local = local
        self._settings = (
            settings.failure_threshold or 0,
            round(settings.recovery_timeout * 1000),
            settings.half_open_max_calls,
            settings.success_threshold,
        )
        self._lock = threading.Lock()
        self._down_until: float | None = None  # while set, Redis is deemed unreachable

    def _run(self, op: str, permit: int = 0, operand: str = "", hold: bool = False) -> list[Any]:
        storage = self._storage
        if self._down_until is not None and storage.clock() < self._down_until:
            raise _Unavailable
        try:
            reply = storage._script(
                keys=[self._key],
                args=[op, permit, *self._settings, operand, "1" if hold else "0"],
            )
        except storage._errors as exc:
            with self._lock:
                first = self._down_until is None
                self._down_until = storage.clock() + storage.reconnect_interval
            if first:
                logger.warning(
                    "circuit %r: Redis is unreachable (%s); using this process's local state "
                    "until it answers again",
                    self._name,
                    exc,
                )
            raise _Unavailable from exc
        if self._down_until is not None:
            with self._lock:
                back = self._down_until is not None
                self._down_until = None
            if back:
                logger.warning(
                    "circuit %r: Redis answers again; using the shared state", self._name
                )
        return list(reply)

    def _change(self, reply: list[Any]) -> StateChange | None:
        old, new = _state(reply[2]), _state(reply[3])
        if old is new:
            return None
        reason = reply[5].decode() if isinstance(reply[5], bytes) else str(reply[5])
        return StateChange(self._name, old, new, reason)

    @staticmethod
    def _retry_after(milliseconds: Any) -> float:
        value = int(milliseconds)
        return float("inf") if value < 0 else value / 1000

    def acquire(self) -> tuple[int, StateChange | None]:
        try:
            reply = self._run("acquire")
        except _Unavailable:
            return self._local.acquire()
        status = reply[0].decode() if isinstance(reply[0], bytes) else reply[0]
        if status == "rejected":
            raise Rejected(_state(reply[3]), self._retry_after(reply[4]))
        permit = int(reply[1])
        if permit == 0 and int(reply[6]) == 0:
            permit = _CLEAN
        return permit, self._change(reply)

    def success(self, permit: int) -> StateChange | None:
        if permit == _CLEAN:
            return None  # no failure to forget: spare the round trip
        try:
            return self._change(self._run("success", permit))
        except _Unavailable:
            return self._local.success(permit)

    def failure(self, permit: int, trip: bool) -> StateChange | None:
        permit = max(permit, 0)
        try:
            return self._change(self._run("failure", permit, "1" if trip else "0"))
        except _Unavailable:
            return self._local.failure(permit, trip)

    def trip(self, reason: str) -> StateChange | None:
        try:
            return self._change(self._run("trip", 0, reason))
        except _Unavailable:
            return self._local.trip(reason)

    def release(self, permit: int) -> None:
        if permit <= 0:
            return
        try:
            self._run("release", permit)
        except _Unavailable:
            self._local.release(permit)

    def force(self, state: CircuitState, *, hold: bool) -> StateChange | None:
        try:
            return self._change(self._run("force", 0, state.value, hold))
        except _Unavailable:
            return self._local.force(state, hold=hold)

    def snapshot(self) -> tuple[CircuitState, float]:
        try:
            reply = self._run("snapshot")
        except _Unavailable:
            return self._local.snapshot()
        return _state(reply[3]), self._retry_after(reply[4])
