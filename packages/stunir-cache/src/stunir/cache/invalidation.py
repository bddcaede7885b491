"""The seam through which a tiered cache hears that other processes changed keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class InvalidationCallback(Protocol):
    """Called with the keys another process changed; with ``keys=None``, every key of
    ``namespace`` must go, or everything when ``namespace`` is None too."""

    def __call__(self, keys: Sequence[str] | None, namespace: str | None = None) -> None: ...


class Invalidation(Protocol):
    """How a tiered cache tells other processes, and hears from them, that keys changed."""

    def start(self, callback: InvalidationCallback) -> None: ...
    def publish(self, keys: Sequence[str] | None) -> None: ...
    async def apublish(self, keys: Sequence[str] | None) -> None: ...
    def publish_namespace(self, namespace: str) -> None: ...
    async def apublish_namespace(self, namespace: str) -> None: ...
    def close(self) -> None: ...
