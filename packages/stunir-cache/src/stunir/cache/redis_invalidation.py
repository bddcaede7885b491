"""Cross-process invalidation of L1 copies through Redis pub/sub."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import redis
import redis.asyncio

from stunir.cache._breaker import OutageBreaker
from stunir.cache.invalidation import InvalidationCallback

logger = logging.getLogger("stunir.cache")

_FAILURES = (redis.RedisError, OSError)
_POLL_SECONDS = 0.05  # how long close() may wait for the listener thread
_READY_SECONDS = 2.0


class RedisInvalidation:
    """Publishes changed keys on a Redis channel; a listener thread applies other processes'.

    Messages from this object itself are ignored. After the listener loses its connection it
    asks for everything to be dropped once it is back, since messages may have been missed.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        channel: str = "stunir:cache:invalidate",
        async_client: Callable[[], redis.asyncio.Redis] | None = None,
        reconnect_seconds: float = 1.0,
        breaker: OutageBreaker | None = None,
    ) -> None:
        self.channel = channel
        self.origin = uuid.uuid4().hex
        self.reconnect_seconds = reconnect_seconds
        self._client = client
        self._async_client = async_client
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._callback: InvalidationCallback | None = None
        self._breaker = breaker  # the L2's: while Redis is down, publishing is skipped

    def __repr__(self) -> str:
        return f"RedisInvalidation(channel={self.channel!r}, origin={self.origin!r})"

    def _message(self, keys: Sequence[str] | None, namespace: str | None = None) -> str:
        message = {"origin": self.origin, "keys": None if keys is None else list(keys)}
        if namespace is not None:
            message["namespace"] = namespace
        return json.dumps(message)

    def publish(self, keys: Sequence[str] | None) -> None:
        self._send(self._message(keys))

    async def apublish(self, keys: Sequence[str] | None) -> None:
        await self._asend(self._message(keys))

    def publish_namespace(self, namespace: str) -> None:
        """Tell the other processes to drop every key of ``namespace``."""
        self._send(self._message(None, namespace))

    async def apublish_namespace(self, namespace: str) -> None:
        await self._asend(self._message(None, namespace))

    def _send(self, message: str) -> None:
        if self._breaker is not None and self._breaker.is_open():
            return
        try:
            self._client.publish(self.channel, message)
        except _FAILURES as exc:
            self._publish_failed(exc)

    async def _asend(self, message: str) -> None:
        if self._async_client is None:
            self._send(message)
            return
        if self._breaker is not None and self._breaker.is_open():
            return
        try:
            await self._async_client().publish(self.channel, message)
        except _FAILURES as exc:
            self._publish_failed(exc)

    def _publish_failed(self, error: BaseException) -> None:
        logger.debug("stunir.cache: could not publish an invalidation: %s", error)
        if self._breaker is not None:
            self._breaker.failed(error, may_raise=False)

    def start(self, callback: InvalidationCallback) -> None:
        """Start listening; returns once subscribed (or after 2 s if Redis does not answer)."""
        if self._thread is not None:
            raise RuntimeError("this RedisInvalidation is already started")
        self._callback = callback
        self._thread = threading.Thread(
            target=self._listen, name=f"stunir-cache-invalidation-{self.channel}", daemon=True
        )
        self._thread.start()
        self._ready.wait(_READY_SECONDS)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _listen(self) -> None:
        connected_before = False
        reported = False
        while not self._stop.is_set():
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
            try:
                pubsub.subscribe(self.channel)
                if connected_before:
                    self._deliver(None)  # messages sent while we were away are lost
                    logger.warning("stunir.cache: invalidation channel %r is back", self.channel)
                connected_before, reported = True, False
                self._ready.set()
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=_POLL_SECONDS)
                    if message is not None:
                        self._handle(message.get("data"))
            except _FAILURES as exc:
                if not reported:
                    logger.warning(
                        "stunir.cache: invalidation channel %r lost (%s); reconnecting",
                        self.channel,
                        exc,
                    )
                    reported = True
                self._ready.set()
                self._stop.wait(self.reconnect_seconds)
            finally:
                pubsub.close()

    def _handle(self, data: Any) -> None:
        try:
            message = json.loads(data)
            origin, keys = message["origin"], message["keys"]
            namespace = message.get("namespace")
        except (ValueError, TypeError, KeyError, AttributeError):
            logger.warning("stunir.cache: ignoring a malformed invalidation message %r", data)
            return
        if origin == self.origin:
            return
        keys_ok = keys is None or (isinstance(keys, list) and all(isinstance(k, str) for k in keys))
        namespace_ok = namespace is None or (isinstance(namespace, str) and keys is None)
        if not (keys_ok and namespace_ok):
            logger.warning("stunir.cache: ignoring a malformed invalidation message %r", data)
            return
        self._deliver(keys, namespace)

    def _deliver(self, keys: Sequence[str] | None, namespace: str | None = None) -> None:
        assert self._callback is not None
        try:
            self._callback(keys, namespace)
        except Exception:
            logger.exception("stunir.cache: applying an invalidation failed")
