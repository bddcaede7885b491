"""The seam through which a tiered cache hears that other processes changed keys."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

InvalidationCallback = Callable[[Sequence[str] | None], None]
"""Called with the keys another process changed, or None when everything must go."""


class Invalidation(Protocol):
    """How a tiered cache tells other processes, and hears from them, that keys changed."""

    def start(self, callback: InvalidationCallback) -> None: ...
    def publish(self, keys: Sequence[str] | None) -> None: ...
    async def apublish(self, keys: Sequence[str] | None) -> None: ...
    def close(self) -> None: ...
