"""Limits shared by every process through Redis: one atomic script call per decision.

redis-py is imported only here, and only when a ``RedisStore`` is made, so the package works
without the ``redis`` extra. Each decision is one ``EVALSHA`` (the script is loaded again if
the server answers NOSCRIPT, e.g. after a restart), timed by the server's own clock, on keys
that expire a second after they would decide like fresh ones.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import threading
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any

from stunir.ratelimit._algorithm import Algorithm
from stunir.ratelimit._clock import NS_PER_TICK, seconds
from stunir.ratelimit._lua import KEY_SUFFIXES, SCRIPTS
from stunir.ratelimit._validation import TICKS_PER_SECOND, positive_seconds
from stunir.ratelimit.decision import Decision
from stunir.ratelimit.errors import InvalidLimitError, RateLimitError
from stunir.ratelimit.memory import MemoryBackend

if TYPE_CHECKING:
    import redis
    import redis.asyncio

__all__ = ["FailurePolicy", "RedisStore"]

logger = logging.getLogger("stunir.ratelimit")

_MEMO_SWEEP = 1024
_TICKS = float(TICKS_PER_SECOND)


class FailurePolicy(str, enum.Enum):
    """What a Redis-backed limiter answers while Redis cannot be reached."""

    OPEN = "open"  # admit everything: availability first
    CLOSED = "closed"  # refuse everything: protection first
    LOCAL = "local"  # decide in this process with the same algorithm, as if alone


class RedisStore:
    """Keep limits in Redis so every process on every host shares them exactly.

    ``client`` (``redis.Redis``) serves the sync calls and ``async_client``
    (``redis.asyncio.Redis``) the async ones; give either or both. ``on_failure`` chooses
    what happens while Redis is unreachable (each outage and recovery is logged once).
    With ``server_time=False`` the limiter's own clock is sent instead of reading the
    server's: only for tests, or for callers that share one clock. With ``memo`` (the
    default) a key Redis has refused is refused locally, without a round trip, until its
    ``retry_after`` has passed: nothing Redis would admit is refused, since other processes
    can only use the limit up further (a ``reset()`` elsewhere is the exception).
    """

    def __init__(
        self,
        client: redis.Redis | None = None,
        *,
        async_client: redis.asyncio.Redis | None = None,
        prefix: str = "stunir:ratelimit:",
        on_failure: FailurePolicy | str = FailurePolicy.CLOSED,
        failure_retry_after: float = 1.0,
        server_time: bool = True,
        memo: bool = True,
    ) -> None:
        try:
            import redis.exceptions
        except ImportError as error:
            raise RateLimitError(
                "RedisStore needs redis-py: pip install 'stunir-ratelimit[redis]'"
            ) from error
        if client is None and async_client is None:
            raise InvalidLimitError("RedisStore needs client= (redis.Redis) or async_client=")
        try:
            self.on_failure = FailurePolicy(on_failure)
        except ValueError:
            choices = ", ".join(repr(p.value) for p in FailurePolicy)
            raise InvalidLimitError(
                f"on_failure must be one of {choices}, got {on_failure!r}"
            ) from None
        self.client = client
        self.async_client = async_client
        self.prefix = prefix
        self.failure_retry_after = positive_seconds("failure_retry_after", failure_retry_after)
        self.server_time = bool(server_time)
        self.memo = bool(memo)
        self._no_script: type[Exception] = redis.exceptions.NoScriptError
        self._refused: type[Exception] = redis.exceptions.ResponseError
        self._unreachable: tuple[type[Exception], ...] = (
            redis.exceptions.ConnectionError,
            redis.exceptions.TimeoutError,
            OSError,
        )

    def bind(self, algorithm: Algorithm[Any], ns: Callable[[], int], name: str) -> RedisBackend:
        return RedisBackend(self, algorithm, ns, name)

    def __repr__(self) -> str:
        return f"RedisStore(prefix={self.prefix!r}, on_failure={self.on_failure.value!r})"


class RedisBackend:
    """One limiter's state on Redis, a memo of keys known to be over the limit, and counters."""

    def __init__(
        self, store: RedisStore, algorithm: Algorithm[Any], ns: Callable[[], int], name: str
    ) -> None:
        self._store = store
        self._limit = algorithm.limit
        self._name = name
        self._ns = ns
        self._script = SCRIPTS[algorithm.kind].encode()
        self._sha = hashlib.sha1(self._script, usedforsecurity=False).hexdigest()
        self._suffixes = KEY_SUFFIXES.get(algorithm.kind, ("",))
        self._parameters = " " + " ".join(str(arg) for arg in algorithm.redis_args())
        self._local = MemoryBackend(algorithm, ns)  # FailurePolicy.LOCAL decides here
        # key -> (local tick until which it is refused, smallest refused cost, the refusal)
        self._memo: dict[Hashable, tuple[int, int, Decision]] = {}
        self._memo_sweep_above = _MEMO_SWEEP
        self._lock = threading.Lock()
        self._lock_acquire, self._lock_release = self._lock.acquire, self._lock.release
        self._down = False
        self.allowed = 0
        self.denied = 0

    # -- the two twins: identical but for the client they call --------------------------

    def peek(self, key: Hashable, cost: int) -> Decision:
        _, remembered, command = self._prepare(key, cost, 0, self._store.client, dry=True)
        if remembered is not None:
            return remembered
        try:
            return self._decision(_parse(self._run(self._store.client, command)))
        except self._store._unreachable as error:
            return self._unavailable(error, key, cost, 0, count=False)

    async def peek_async(self, key: Hashable, cost: int) -> Decision:
        _, remembered, command = self._prepare(key, cost, 0, self._store.async_client, dry=True)
        if remembered is not None:
            return remembered
        try:
            reply = await self._run_async(self._store.async_client, command)
            return self._decision(_parse(reply))
        except self._store._unreachable as error:
            return self._unavailable(error, key, cost, 0, count=False)

    def decide(self, key: Hashable, cost: int, max_delay: int = 0) -> Decision:
        now, remembered, command = self._prepare(key, cost, max_delay, self._store.client)
        if remembered is not None:
            return remembered
        try:
            reply = self._run(self._store.client, command)
        except self._store._unreachable as error:
            return self._unavailable(error, key, cost, max_delay)
        return self._settle(reply, key, cost, max_delay, now)

    async def decide_async(self, key: Hashable, cost: int, max_delay: int = 0) -> Decision:
        now, remembered, command = self._prepare(key, cost, max_delay, self._store.async_client)
        if remembered is not None:
            return remembered
        try:
            reply = await self._run_async(self._store.async_client, command)
        except self._store._unreachable as error:
            return self._unavailable(error, key, cost, max_delay)
        return self._settle(reply, key, cost, max_delay, now)

    def _run(self, client: Any, command: Sequence[str | int]) -> bytes | str:
        """``EVALSHA``, loading the script first if the server has lost it (NOSCRIPT)."""
        try:
            try:
                return client.evalsha(self._sha, *command)  # type: ignore[no-any-return]
            except self._store._no_script:
                client.script_load(self._script)
                return client.evalsha(self._sha, *command)  # type: ignore[no-any-return]
        except self._store._refused as error:
            raise self._refused_error(error, command) from error

    async def _run_async(self, client: Any, command: Sequence[str | int]) -> bytes | str:
        try:
            try:
                return await client.evalsha(self._sha, *command)  # type: ignore[no-any-return]
            except self._store._no_script:
                await client.script_load(self._script)
                return await client.evalsha(self._sha, *command)  # type: ignore[no-any-return]
        except self._store._refused as error:
            raise self._refused_error(error, command) from error

    def _refused_error(self, error: Exception, command: Sequence[str | int]) -> RateLimitError:
        keys = command[1 : 1 + int(command[0])]
        return RateLimitError(
            f"Redis refused rate limit {self._name!r}'s script on {', '.join(map(str, keys))}: "
            f"{error} (is another program using these keys?)"
        )

    def fast_functions(self) -> None:
        return None  # a round trip dwarfs the generic path's cost

    def take(self, key: Hashable, cost: int, explain: bool) -> float:
        return self.decide(key, cost).retry_after  # one round trip explains anyway

    async def take_async(self, key: Hashable, cost: int, explain: bool) -> float:
        return (await self.decide_async(key, cost)).retry_after

    # -- the shared steps -----------------------------------------------------------------

    def redis_keys(self, key: Hashable) -> list[str]:
        """The Redis keys holding ``key``'s state (one hash slot: the braces are a hash tag)."""
        base = f"{self._store.prefix}{{{self._name}|{'' if key is None else key}}}"
        return [base + suffix for suffix in self._suffixes]

    def _prepare(
        self, key: Hashable, cost: int, max_delay: int, client: object, *, dry: bool = False
    ) -> tuple[int, Decision | None, Sequence[str | int]]:
        """The tick now, a refusal remembered locally (if any), and the script's arguments."""
        now = self._ns() // NS_PER_TICK
        remembered = self._remembered(key, cost, max_delay, now, count=not dry)
        if remembered is not None:
            return now, remembered, ()
        _require(client)
        keys = self.redis_keys(key)
        clock = "" if self._store.server_time else str(now)
        argument = f"{clock} {cost} {max_delay} {1 if dry else 0}{self._parameters}"
        return now, None, (len(keys), *keys, argument)

    def _remembered(
        self, key: Hashable, cost: int, max_delay: int, now: int, *, count: bool
    ) -> Decision | None:
        """A refusal answered locally: Redis said this key is over the limit until then."""
        if not self._memo:
            return None
        memo = self._memo.get(key)
        if memo is None or max_delay:
            return None
        until, refused_cost, refusal = memo
        if now >= until or cost < refused_cost:
            return None
        if count:
            with self._lock:
                self.denied += 1
        wait = until - now
        reset = max(0.0, refusal.reset_after - refusal.retry_after + seconds(wait))
        return Decision(False, self._limit, refusal.remaining, seconds(wait), reset)

    def _settle(
        self, reply: bytes | str, key: Hashable, cost: int, max_delay: int, now: int
    ) -> Decision:
        values = _parse(reply)
        decision = self._decision(values)
        allowed, wait = values[0], values[2]
        self._lock_acquire()
        try:
            if self._down:
                self._down = False
                logger.info("rate limit %r: Redis is reachable again", self._name)
            if allowed:
                self.allowed += 1
                if self._memo:
                    self._memo.pop(key, None)
            else:
                self.denied += 1
                if not max_delay and self._store.memo:
                    self._remember(key, now + wait, cost, decision, now)
        finally:
            self._lock_release()
        return decision

    def _decision(self, values: tuple[int, int, int, int]) -> Decision:
        allowed, remaining, wait, reset = values
        return Decision(allowed == 1, self._limit, remaining, wait / _TICKS, reset / _TICKS)

    def _remember(self, key: Hashable, until: int, cost: int, refusal: Decision, now: int) -> None:
        memo = self._memo
        memo[key] = (until, cost, refusal)
        if len(memo) > self._memo_sweep_above:
            for stale in [k for k, (t, _, _) in memo.items() if t <= now]:
                del memo[stale]
            self._memo_sweep_above = max(_MEMO_SWEEP, 2 * len(memo))

    def _unavailable(
        self, error: BaseException, key: Hashable, cost: int, max_delay: int, *, count: bool = True
    ) -> Decision:
        policy = self._store.on_failure
        with self._lock:
            if not self._down:
                self._down = True
                logger.warning(
                    "rate limit %r: Redis is unreachable (%s); failing %s until it is back",
                    self._name,
                    error,
                    policy.value,
                )
        if policy is FailurePolicy.LOCAL:
            if not count:
                return self._local.peek(key, cost)
            decision = self._local.decide(key, cost, max_delay)
        elif policy is FailurePolicy.OPEN:
            decision = Decision(True, self._limit, self._limit - cost, 0.0, 0.0)
        else:
            retry = self._store.failure_retry_after
            decision = Decision(False, self._limit, 0, retry, retry)
        if not count:
            return decision
        with self._lock:
            if decision.allowed:
                self.allowed += 1
            else:
                self.denied += 1
        return decision

    def level(self, key: Hashable) -> int | None:
        return None  # would cost a round trip; stats() stays cheap

    def keys(self) -> int:
        return len(self._memo)

    def reset(self, key: Hashable) -> None:
        self._forget(key, self._store.client)
        assert self._store.client is not None  # checked by _forget
        self._store.client.delete(*self.redis_keys(key))

    async def reset_async(self, key: Hashable) -> None:
        self._forget(key, self._store.async_client)
        assert self._store.async_client is not None  # checked by _forget
        await self._store.async_client.delete(*self.redis_keys(key))

    def _forget(self, key: Hashable, client: object) -> None:
        _require(client)
        with self._lock:
            self._memo.pop(key, None)
        self._local.reset(key)


def _require(client: object) -> None:
    if client is None:
        raise RateLimitError(
            "this RedisStore lacks the client for this call: pass client= (redis.Redis) "
            "for the sync calls, async_client= (redis.asyncio.Redis) for the *_async ones"
        )


def _parse(reply: bytes | str) -> tuple[int, int, int, int]:
    """A script's answer, "allowed remaining wait reset" in ticks."""
    allowed, remaining, wait, reset = map(int, reply.split())
    return allowed, remaining, wait, reset
