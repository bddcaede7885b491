"""The generic cell rate algorithm (GCRA): a bucket's whole state is one theoretical arrival time.

A token bucket of ``capacity`` refilled at ``rate`` and a leaky bucket (as a meter) draining at
``rate`` with room for ``capacity`` take exactly the same decisions as GCRA with an emission
interval ``1/rate`` and a tolerance ``capacity/rate``; storing one integer instead of a level
and a timestamp makes it cheap in memory and a single key on Redis. In ``shaping`` mode the
bucket is a queue: nothing bursts, each request departs one interval after the previous one,
and at most ``capacity`` may be queued.
"""

from __future__ import annotations

from stunir.ratelimit._algorithm import Outcome, Verdict


class GCRA:
    __slots__ = ("interval", "kind", "limit", "shaping", "tolerance")

    reserves = True

    def __init__(self, kind: str, interval: int, limit: int, *, shaping: bool = False) -> None:
        self.kind = kind
        self.interval = interval  # ticks per token
        self.limit = limit  # capacity, in tokens
        self.tolerance = limit * interval  # how far ahead of now the state may run
        self.shaping = shaping

    def admit(self, state: int | None, now: int, cost: int) -> int | None:
        if state is None or state <= now:
            return now + cost * self.interval
        if self.shaping:
            return None
        new = state + cost * self.interval
        return new if new - self.tolerance <= now else None

    def decide(self, state: int | None, now: int, cost: int, max_delay: int) -> Outcome[int]:
        tolerance = self.tolerance
        start = now if state is None or state < now else state
        new = start + cost * self.interval
        full_at = new - tolerance  # the bucket (or the queue) has room for this request from here
        ready_at = start if self.shaping else full_at
        if ready_at - now <= max_delay and (not self.shaping or full_at <= now):
            delay = ready_at - now if ready_at > now else 0
            remaining = max(0, (now + tolerance - new) // self.interval)  # < 0 when booked ahead
            return new, remaining, delay, new - now
        retry_after = max(ready_at, full_at) - now
        return None, max(0, (now + tolerance - start) // self.interval), retry_after, start - now

    def peek(self, state: int | None, now: int, cost: int) -> Verdict:
        new, remaining, wait, reset = self.decide(state, now, cost, 0)
        return new is not None, remaining, wait, reset

    def level(self, state: int | None, now: int) -> int:
        start = now if state is None or state < now else state
        return max(0, (now + self.tolerance - start) // self.interval)

    def idle_at(self, state: int) -> int:
        return state

    def redis_args(self) -> tuple[int, ...]:
        return (self.interval, self.limit, int(self.shaping))

    def __repr__(self) -> str:
        return f"GCRA({self.kind!r}, interval={self.interval}, limit={self.limit})"
