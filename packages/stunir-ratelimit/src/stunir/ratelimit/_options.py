"""The keyword options every limiter class accepts, typed once."""

from __future__ import annotations

from typing import TypedDict

from stunir.ratelimit._clock import AsyncSleep, Clock, Sleep
from stunir.ratelimit._store import Store


class LimiterOptions(TypedDict, total=False):
    name: str
    store: Store
    clock: Clock
    sleep: Sleep
    async_sleep: AsyncSleep
