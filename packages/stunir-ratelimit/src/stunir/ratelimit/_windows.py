"""Pure state transitions of the window algorithms: fixed, exact sliding, approximate sliding."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from stunir.ratelimit._algorithm import Outcome, Verdict

# Fixed window state: (start tick of the window, requests counted in it).
FixedState = tuple[int, int]
# Approximate sliding state: (start tick of the current window, previous count, current count).
CounterState = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class FixedWindowAlgorithm:
    """At most ``limit`` per window; windows are aligned to multiples of ``window`` ticks."""

    limit: int
    window: int
    kind: str = "fixed_window"
    reserves: bool = False

    def _count(self, state: FixedState | None, start: int) -> int:
        return state[1] if state is not None and state[0] == start else 0

    def admit(self, state: FixedState | None, now: int, cost: int) -> FixedState | None:
        start = now - now % self.window
        count = self._count(state, start) + cost
        return (start, count) if count <= self.limit else None

    def decide(
        self, state: FixedState | None, now: int, cost: int, max_delay: int
    ) -> Outcome[FixedState]:
        start = now - now % self.window
        count = self._count(state, start)
        reset_after = start + self.window - now
        if count + cost <= self.limit:
            return (start, count + cost), self.limit - count - cost, 0, reset_after
        return None, self.limit - count, reset_after, reset_after

    def peek(self, state: FixedState | None, now: int, cost: int) -> Verdict:
        new, remaining, wait, reset = self.decide(state, now, cost, 0)
        return new is not None, remaining, wait, reset

    def level(self, state: FixedState | None, now: int) -> int:
        return self._count(state, now - now % self.window)

    def idle_at(self, state: FixedState) -> int:
        return state[0] + self.window

    def redis_args(self) -> tuple[int, ...]:
        return (self.limit, self.window)


@dataclass(slots=True)
class Log:
    """The admissions of one key still inside the trailing window: (tick, tokens), oldest first."""

    entries: deque[tuple[int, int]] = field(default_factory=deque)
    total: int = 0


@dataclass(frozen=True, slots=True)
class SlidingLogAlgorithm:
    """Exact: never more than ``limit`` in any trailing window of ``window`` ticks.

    Memory is one entry per admitting tick still inside the window: at most ``limit`` entries
    per key (admissions in the same microsecond share one entry).
    """

    limit: int
    window: int
    kind: str = "sliding_log"
    reserves: bool = False

    def _pruned(self, state: Log | None, now: int) -> Log:
        log = Log() if state is None else state
        entries = log.entries
        horizon = now - self.window
        while entries and entries[0][0] <= horizon:
            log.total -= entries.popleft()[1]
        return log

    def admit(self, state: Log | None, now: int, cost: int) -> Log | None:
        if state is None:
            return Log(deque(((now, cost),)), cost)  # cost <= limit: checked by the limiter
        entries = state.entries
        horizon = now - self.window
        while entries and entries[0][0] <= horizon:
            state.total -= entries.popleft()[1]
        total = state.total + cost
        if total > self.limit:
            return None
        if entries and entries[-1][0] == now:
            entries[-1] = (now, entries[-1][1] + cost)
        else:
            entries.append((now, cost))
        state.total = total
        return state

    def decide(self, state: Log | None, now: int, cost: int, max_delay: int) -> Outcome[Log]:
        log = self._pruned(state, now)
        if self.admit(log, now, cost) is not None:
            return log, self.limit - log.total, 0, self.window  # the newest entry is now
        return None, *self._refusal(log, now, cost)

    def peek(self, state: Log | None, now: int, cost: int) -> Verdict:
        log = self._pruned(state, now)  # forgetting expired entries changes no decision
        if log.total + cost <= self.limit:
            return True, self.limit - log.total - cost, 0, self.window
        return False, *self._refusal(log, now, cost)

    def _refusal(self, log: Log, now: int, cost: int) -> tuple[int, int, int]:
        """Remaining, retry-after and reset of a refused request: the oldest entries that must
        expire first decide when it would pass."""
        before = log.total
        must_expire = before + cost - self.limit
        expired = 0
        retry_after = 0
        for tick, tokens in log.entries:
            expired += tokens
            if expired >= must_expire:
                retry_after = tick + self.window - now
                break
        return self.limit - before, retry_after, log.entries[-1][0] + self.window - now

    def level(self, state: Log | None, now: int) -> int:
        if state is None:
            return 0
        horizon = now - self.window
        return sum(tokens for tick, tokens in state.entries if tick > horizon)

    def idle_at(self, state: Log) -> int:
        return state.entries[-1][0] + self.window if state.entries else 0

    def redis_args(self) -> tuple[int, ...]:
        return (self.limit, self.window)


@dataclass(frozen=True, slots=True)
class SlidingCounterAlgorithm:
    """Approximate sliding window in O(1) memory: the previous window's count, weighted.

    The count is ``previous * (1 - elapsed/window) + current``: exact when requests are spread
    evenly, and able to admit up to twice ``limit`` in a trailing window when they are not.
    """

    limit: int
    window: int
    kind: str = "sliding_counter"
    reserves: bool = False

    def _counts(self, state: CounterState | None, start: int) -> tuple[int, int]:
        if state is None:
            return 0, 0
        if state[0] == start:
            return state[1], state[2]
        if state[0] == start - self.window:
            return state[2], 0
        return 0, 0

    def admit(self, state: CounterState | None, now: int, cost: int) -> CounterState | None:
        window = self.window
        elapsed = now % window
        start = now - elapsed
        if state is not None and state[0] == start:  # the common case, inlined
            previous, current = state[1], state[2]
        else:
            previous, current = self._counts(state, start)
        current += cost
        if current > self.limit:
            return None
        if previous and previous * (window - elapsed) + current * window > self.limit * window:
            return None
        return start, previous, current

    def decide(
        self, state: CounterState | None, now: int, cost: int, max_delay: int
    ) -> Outcome[CounterState]:
        window, limit = self.window, self.limit
        elapsed = now % window
        start = now - elapsed
        previous, current = self._counts(state, start)
        reset_after = 2 * window - elapsed
        if previous * (window - elapsed) + (current + cost) * window <= limit * window:
            current += cost
            used = previous * (window - elapsed) + current * window
            return (start, previous, current), (limit * window - used) // window, 0, reset_after
        remaining = max(0, (limit * window - previous * (window - elapsed) - current * window))
        if current + cost <= limit:  # the previous window's weight must fade enough
            retry_after = window - (limit - current - cost) * window // previous - elapsed
        else:  # only in the next window, once this one's count has faded enough
            retry_after = 2 * window - (limit - cost) * window // current - elapsed
        return None, remaining // window, retry_after, reset_after

    def peek(self, state: CounterState | None, now: int, cost: int) -> Verdict:
        new, remaining, wait, reset = self.decide(state, now, cost, 0)
        return new is not None, remaining, wait, reset

    def level(self, state: CounterState | None, now: int) -> int:
        elapsed = now % self.window
        previous, current = self._counts(state, now - elapsed)
        return -(-(previous * (self.window - elapsed) + current * self.window) // self.window)

    def idle_at(self, state: CounterState) -> int:
        return state[0] + 2 * self.window

    def redis_args(self) -> tuple[int, ...]:
        return (self.limit, self.window)
