"""Circuit breaker state shared by every process through Redis (``stunir-retry[redis]``).

Each breaker's state is one hash, ``<prefix><name>``, changed only by one server-side script,
so transitions are atomic across processes and timed by the Redis server's clock. When Redis
cannot be reached the breaker keeps working on its own local state, logs a warning, and tries
Redis again after ``reconnect_interval`` seconds (logging when the shared state is back).

Coroutine functions talk to Redis through redis-py's asyncio client (one per event loop),
so the event loop is never blocked; plain functions use the blocking client.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
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
    import redis.asyncio

logger = logging.getLogger("stunir.retry")

# The permit of a call admitted while CLOSED with no failure counted: its success needs no
# round trip to Redis (one round trip per successful call instead of two).
_CLEAN = -1


class _Unavailable(Exception):
    """Redis did not answer; the caller falls back to the local store."""


class RedisBreakerStorage:
    """Shared storage for circuit breakers: pass it as ``CircuitBreaker(storage=...)``.

    Give a Redis URL, or ready clients: ``client`` (``redis.Redis``) and, for coroutine
    functions, ``async_client`` (``redis.asyncio.Redis``, bound to one event loop). From a URL
    both are made, an asyncio client per event loop; ``await storage.aclose()`` closes the
    running loop's one. Breakers with the same ``name`` and ``prefix`` share one state,
    whichever process they live in.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: redis.Redis | None = None,
        async_client: redis.asyncio.Redis | None = None,
        prefix: str = "stunir:breaker:",
        reconnect_interval: float = 5.0,
        socket_timeout: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        try:
            import redis as redis_module
            import redis.asyncio as redis_asyncio
        except ImportError:  # pragma: no cover - the extra is installed in every test run
            raise InvalidArgumentError(
                "RedisBreakerStorage needs redis-py: pip install 'stunir-retry[redis]'"
            ) from None
        if (url is None) == (client is None):
            raise InvalidArgumentError("give RedisBreakerStorage exactly one of url= or client=")
        timeout = positive("socket_timeout", socket_timeout)
        if client is None:
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
        self._async_factory: Callable[[], Any] | None = None
        if url is not None:
            self._async_factory = lambda: redis_asyncio.Redis.from_url(
                str(url), socket_timeout=timeout, socket_connect_timeout=timeout
            )
        self._fixed_async_client = async_client
        # One asyncio client and its script per event loop; a closed loop's entry goes away.
        self._async_scripts: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )

    def bind(self, name: str, settings: BreakerSettings, local: StateStore) -> StateStore:
        return _RedisStore(self, self.prefix + name, name, settings, local)

    def _async_script(self) -> Any | None:
        """The script bound to the running loop's asyncio client; None without one."""
        loop = asyncio.get_running_loop()
        script = self._async_scripts.get(loop)
        if script is None:
            client = self._fixed_async_client
            if client is None:
                if self._async_factory is None:
                    return None
                client = self._async_factory()
            script = client.register_script(BREAKER_SCRIPT)
            self._async_scripts[loop] = script
        return script

    async def aclose(self) -> None:
        """Close the asyncio client this storage made for the running event loop."""
        script = self._async_scripts.pop(asyncio.get_running_loop(), None)
        if script is not None and self._fixed_async_client is None:
            await script.registered_client.aclose()

    def __repr__(self) -> str:
        return f"RedisBreakerStorage(client={self.client!r}, prefix={self.prefix!r})"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class _RedisStore:
    """One breaker's state in Redis, with the local store as the fallback.

    Every operation is ``call(op, *args)`` (blocking) or ``await run_async(op, *args)``:
    the same encoding of arguments, the same reading of the reply, the same fallback.
    """

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

    # -- the StateStore protocol ------------------------------------------------------------

    def acquire(self) -> tuple[int, StateChange | None]:
        return self.call("acquire")  # type: ignore[no-any-return]

    def success(self, permit: int) -> StateChange | None:
        return self.call("success", permit)  # type: ignore[no-any-return]

    def failure(self, permit: int, trip: bool) -> StateChange | None:
        return self.call("failure", permit, trip)  # type: ignore[no-any-return]

    def trip(self, reason: str) -> StateChange | None:
        return self.call("trip", reason)  # type: ignore[no-any-return]

    def release(self, permit: int) -> None:
        self.call("release", permit)

    def force(self, state: CircuitState, hold: bool) -> StateChange | None:
        return self.call("force", state, hold)  # type: ignore[no-any-return]

    def snapshot(self) -> tuple[CircuitState, float]:
        return self.call("snapshot")  # type: ignore[no-any-return]

    # -- one dispatch for both flavours ------------------------------------------------------

    def call(self, op: str, *args: Any) -> Any:
        if self._needs_no_round_trip(op, args):
            return None
        if not self._deemed_down():
            try:
                reply = self._storage._script(keys=[self._key], args=self._encode(op, args))
            except self._storage._errors as exc:
                self._went_down(exc)
            else:
                self._came_back()
                return self._decode(op, reply)
        return getattr(self._local, op)(*args)

    async def run_async(self, op: str, *args: Any) -> Any:
        if self._needs_no_round_trip(op, args):
            return None
        script = self._storage._async_script()
        if script is None:  # only a blocking client was given
            return self.call(op, *args)
        if not self._deemed_down():
            try:
                reply = await script(keys=[self._key], args=self._encode(op, args))
            except self._storage._errors as exc:
                self._went_down(exc)
            else:
                self._came_back()
                return self._decode(op, reply)
        return getattr(self._local, op)(*args)

    @staticmethod
    def _needs_no_round_trip(op: str, args: tuple[Any, ...]) -> bool:
        return (op == "success" and args[0] == _CLEAN) or (op == "release" and args[0] <= 0)

    def _encode(self, op: str, args: tuple[Any, ...]) -> list[Any]:
        permit, operand, hold = 0, "", False
        if op in ("success", "failure", "release"):
            permit = max(int(args[0]), 0)
        if op == "failure":
            operand = "1" if args[1] else "0"
        elif op == "trip":
            operand = str(args[0])
        elif op == "force":
            operand, hold = args[0].value, bool(args[1])
        return [op, permit, *self._settings, operand, "1" if hold else "0"]

    def _decode(self, op: str, reply: Any) -> Any:
        status, permit, old, new, retry_after, reason, failures = reply
        milliseconds = int(retry_after)
        seconds = float("inf") if milliseconds < 0 else milliseconds / 1000
        state = CircuitState(_text(new))
        if op == "snapshot":
            return state, seconds
        if op == "acquire" and _text(status) == "rejected":
            raise Rejected(state, seconds)
        old_state = CircuitState(_text(old))
        change = (
            None if old_state is state else StateChange(self._name, old_state, state, _text(reason))
        )
        if op == "acquire":
            permit = int(permit)
            return (_CLEAN if permit == 0 and int(failures) == 0 else permit), change
        return change

    # -- reachability ------------------------------------------------------------------------

    def _deemed_down(self) -> bool:
        down_until = self._down_until
        return down_until is not None and self._storage.clock() < down_until

    def _came_back(self) -> None:
        if self._down_until is None:
            return
        with self._lock:
            was_down = self._down_until is not None
            self._down_until = None
        if was_down:
            logger.warning("circuit %r: Redis answers again; using the shared state", self._name)

    def _went_down(self, exc: BaseException) -> None:
        with self._lock:
            first = self._down_until is None
            self._down_until = self._storage.clock() + self._storage.reconnect_interval
        if first:
            logger.warning(
                "circuit %r: Redis is unreachable (%s); using this process's local state "
                "until it answers again",
                self._name,
                exc,
            )
