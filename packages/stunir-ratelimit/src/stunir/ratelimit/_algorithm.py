"""The seam between an algorithm (pure state transitions) and a store (where state lives).

An algorithm never reads a clock, sleeps or locks: it is given the state of one key (``None``
for a key never seen or dropped as idle), the current tick and the request's cost, and returns
the new state. Stores call it under their own lock (memory) or mirror it in a server-side
script (Redis), so both take the same decisions from the same inputs.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

S = TypeVar("S")

# What ``decide`` returns: the new state (None when refused), the one-token requests still
# admissible now, the ticks to wait (a reservation's delay, or a refusal's retry-after) and
# the ticks until the key is back to its untouched state.
Outcome = tuple["S | None", int, int, int]
Verdict = tuple[bool, int, int, int]


class Algorithm(Protocol[S]):
    @property
    def kind(self) -> str:
        """A short name: the Redis script and the default limiter name derive from it."""

    @property
    def limit(self) -> int:
        """Capacity or requests per window: what ``RateLimit-Limit`` advertises."""

    @property
    def reserves(self) -> bool:
        """True when ``decide`` can book a future slot (``max_delay`` > 0): waits are FIFO."""

    def admit(self, state: S | None, now: int, cost: int) -> S | None:
        """The new state if ``cost`` tokens are admitted now, else None (the fast path)."""

    def decide(self, state: S | None, now: int, cost: int, max_delay: int) -> Outcome[S]:
        """Admit now, or book a slot at most ``max_delay`` ticks ahead when ``reserves``."""

    def peek(self, state: S | None, now: int, cost: int) -> Verdict:
        """What ``decide`` would answer now, changing nothing: (allowed, remaining, wait, reset)."""

    def level(self, state: S | None, now: int) -> int:
        """Tokens available (buckets) or requests counted (windows) for statistics."""

    def idle_at(self, state: S) -> int:
        """The tick from which ``state`` decides exactly like ``None``: it may then be dropped."""

    def redis_args(self) -> tuple[int, ...]:
        """The parameters the Redis script of this ``kind`` takes after the cost and time."""
