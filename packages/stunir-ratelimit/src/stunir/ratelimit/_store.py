"""What a limiter needs from a store: a backend bound to one algorithm and one limiter name."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Protocol

from stunir.ratelimit._algorithm import Algorithm
from stunir.ratelimit.decision import Decision


class Backend(Protocol):
    allowed: int
    denied: int

    def fast_functions(
        self,
    ) -> tuple[Callable[[int, Hashable], bool], Callable[[int, Hashable], float]] | None:
        """Specialised ``Limiter.acquire`` and ``Limiter.admit``, or None for the generic ones."""

    def take(self, key: Hashable, cost: int, explain: bool) -> float:
        """0.0 when admitted; when refused, the retry-after (seconds) if ``explain``, else -1.0."""

    def decide(self, key: Hashable, cost: int, max_delay: int = 0) -> Decision: ...

    async def take_async(self, key: Hashable, cost: int, explain: bool) -> float: ...

    async def decide_async(self, key: Hashable, cost: int, max_delay: int = 0) -> Decision: ...

    def peek(self, key: Hashable, cost: int) -> Decision: ...

    async def peek_async(self, key: Hashable, cost: int) -> Decision: ...

    def level(self, key: Hashable) -> int | None: ...

    def keys(self) -> int: ...

    def reset(self, key: Hashable) -> None: ...

    async def reset_async(self, key: Hashable) -> None: ...


class Store(Protocol):
    """Where limiters keep their state: ``MemoryStore`` (default) or ``RedisStore``."""

    def bind(self, algorithm: Algorithm[Any], ns: Callable[[], int], name: str) -> Backend: ...
