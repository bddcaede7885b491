"""Backoff strategies: how long to wait after each failed attempt.

Every strategy hands out a fresh delay sequence per call (``delays()``), so two concurrent
callers never share one escalating sequence. Caps are applied before jitter: clients that
reached ``max_delay`` still spread out instead of retrying in lockstep. Every computation is
O(1) and bounded at any attempt number (no overflow at attempt 1,000,000).
"""

from __future__ import annotations

import enum
import math
import random as _random
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from itertools import count

from stunir.retry._validation import non_negative, positive
from stunir.retry.errors import InvalidArgumentError

RandomSource = Callable[[], float]
"""A callable returning a float in [0, 1), like ``random.random`` or ``Random(42).random``."""


class Jitter(enum.Enum):
    """How a capped delay is randomised."""

    NONE = "none"  # the delay itself
    FULL = "full"  # uniform in [0, delay]
    EQUAL = "equal"  # uniform in [delay / 2, delay]


def _jitter(value: Jitter | str) -> Jitter:
    try:
        return Jitter(value)
    except ValueError:
        choices = ", ".join(repr(j.value) for j in Jitter)
        raise InvalidArgumentError(f"jitter must be one of {choices}, got {value!r}") from None


def _cap(name: str, max_delay: float, floor: float, floor_name: str) -> float:
    cap = positive(name, max_delay)
    if cap < floor:
        raise InvalidArgumentError(
            f"{name} ({max_delay!r}) must be >= {floor_name} ({floor!r}): min and max are inverted"
        )
    return cap


def _rng(rng: RandomSource | None) -> RandomSource:
    if rng is None:
        return _random.random
    if not callable(rng):
        raise InvalidArgumentError(f"rng must be a callable returning [0, 1), got {rng!r}")
    return rng


class Backoff(ABC):
    """A strategy: a source of fresh, independent delay sequences (seconds)."""

    @abstractmethod
    def delays(self, first_attempt: int = 1) -> Iterator[float]:
        """A new sequence: its first item is the wait after attempt ``first_attempt`` failed."""


class CurveBackoff(Backoff):
    """A strategy whose delay depends only on the attempt number: a capped curve, then jitter."""

    def __init__(self, max_delay: float, jitter: Jitter | str, rng: RandomSource | None) -> None:
        self.max_delay = max_delay
        self.jitter = _jitter(jitter)
        self._rng = _rng(rng)

    @abstractmethod
    def capped_delay(self, attempt: int) -> float:
        """The delay after attempt ``attempt`` (1-based) failed, capped, before jitter."""

    def delay(self, attempt: int) -> float:
        """The (jittered) delay after attempt ``attempt`` failed."""
        capped = self.capped_delay(attempt)
        if self.jitter is Jitter.NONE:
            return capped
        if self.jitter is Jitter.FULL:
            return capped * self._rng()
        half = capped / 2
        return half + half * self._rng()

    def delays(self, first_attempt: int = 1) -> Iterator[float]:
        return map(self.delay, count(first_attempt))


class ConstantBackoff(CurveBackoff):
    """The same delay after every failure."""

    def __init__(
        self,
        delay: float = 1.0,
        *,
        jitter: Jitter | str = Jitter.NONE,
        rng: RandomSource | None = None,
    ) -> None:
        self.constant = positive("delay", delay)
        super().__init__(self.constant, jitter, rng)

    def capped_delay(self, attempt: int) -> float:
        return self.constant

    def __repr__(self) -> str:
        return f"ConstantBackoff({self.constant!r}, jitter={self.jitter.value!r})"


class ExponentialBackoff(CurveBackoff):
    """``base * factor ** (attempt - 1)``, capped at ``max_delay``, then jittered."""

    def __init__(
        self,
        base: float = 0.1,
        *,
        factor: float = 2.0,
        max_delay: float = 10.0,
        jitter: Jitter | str = Jitter.EQUAL,
        rng: RandomSource | None = None,
    ) -> None:
        self.base = positive("base", base)
        self.factor = positive("factor", factor)
        if self.factor < 1:
            raise InvalidArgumentError(f"factor must be >= 1 (a growing delay), got {factor!r}")
        super().__init__(_cap("max_delay", max_delay, self.base, "base"), jitter, rng)
        # The first exponent whose delay reaches the cap, decided once: beyond it, no power is
        # ever computed, so huge attempt numbers cost the same as small ones and cannot overflow.
        if self.factor == 1:
            self._cap_exponent = math.inf
        else:
            self._cap_exponent = math.log(self.max_delay / self.base) / math.log(self.factor)

    def capped_delay(self, attempt: int) -> float:
        exponent = attempt - 1
        if exponent >= self._cap_exponent:
            return self.max_delay
        return min(self.max_delay, self.base * self.factor ** max(exponent, 0))

    def __repr__(self) -> str:
        return (
            f"ExponentialBackoff(base={self.base!r}, factor={self.factor!r}, "
            f"max_delay={self.max_delay!r}, jitter={self.jitter.value!r})"
        )


class LinearBackoff(CurveBackoff):
    """``base + increment * (attempt - 1)``, capped at ``max_delay``, then jittered."""

    def __init__(
        self,
        base: float = 1.0,
        *,
        increment: float = 1.0,
        max_delay: float = 30.0,
        jitter: Jitter | str = Jitter.EQUAL,
        rng: RandomSource | None = None,
    ) -> None:
        self.base = positive("base", base)
        self.increment = non_negative("increment", increment)
        super().__init__(_cap("max_delay", max_delay, self.base, "base"), jitter, rng)
        self._cap_steps = (
            math.inf if self.increment == 0 else (self.max_delay - self.base) / self.increment
        )

    def capped_delay(self, attempt: int) -> float:
        steps = attempt - 1
        if steps >= self._cap_steps:
            return self.max_delay
        return min(self.max_delay, self.base + self.increment * max(steps, 0))

    def __repr__(self) -> str:
        return (
            f"LinearBackoff(base={self.base!r}, increment={self.increment!r}, "
            f"max_delay={self.max_delay!r}, jitter={self.jitter.value!r})"
        )


class FibonacciBackoff(CurveBackoff):
    """``base`` times the Fibonacci numbers (1, 1, 2, 3, 5, ...), capped, then jittered."""

    def __init__(
        self,
        base: float = 0.5,
        *,
        max_delay: float = 30.0,
        jitter: Jitter | str = Jitter.EQUAL,
        rng: RandomSource | None = None,
    ) -> None:
        self.base = positive("base", base)
        super().__init__(_cap("max_delay", max_delay, self.base, "base"), jitter, rng)
        # Every uncapped value, computed once: the table ends where the cap is reached.
        table = [self.base]
        previous, current = 0.0, self.base
        while current < self.max_delay:
            previous, current = current, previous + current
            table.append(min(current, self.max_delay))
        self._table = tuple(table)

    def capped_delay(self, attempt: int) -> float:
        index = attempt - 1
        if index >= len(self._table):
            return self.max_delay
        return self._table[max(index, 0)]

    def __repr__(self) -> str:
        return (
            f"FibonacciBackoff(base={self.base!r}, max_delay={self.max_delay!r}, "
            f"jitter={self.jitter.value!r})"
        )


class DecorrelatedJitterBackoff(Backoff):
    """Each delay uniform in ``[base, min(max_delay, 3 * previous)]``: always within the bounds.

    The upper bound is capped before the draw, so callers at the cap still spread over
    ``[base, max_delay]``.
    """

    def __init__(
        self, base: float = 0.1, *, max_delay: float = 10.0, rng: RandomSource | None = None
    ) -> None:
        self.base = positive("base", base)
        self.max_delay = _cap("max_delay", max_delay, self.base, "base")
        self._rng = _rng(rng)

    def delays(self, first_attempt: int = 1) -> Iterator[float]:
        base, cap, rng = self.base, self.max_delay, self._rng
        previous = base
        while True:
            upper = min(cap, previous * 3)
            previous = min(cap, max(base, base + (upper - base) * rng()))
            yield previous

    def __repr__(self) -> str:
        return f"DecorrelatedJitterBackoff(base={self.base!r}, max_delay={self.max_delay!r})"


# Constants of the decorrelated-jitter V2 curve (Polly.Contrib.WaitAndRetry), fitted so that
# the median of the first delay is ``median_first_delay`` and the growth is exponential.
_V2_P_FACTOR = 4.0
_V2_SCALE = 1 / 1.4
_V2_MAX_EXPONENT = 1000.0  # 2 ** 1000 is finite; past it every delay is the cap anyway


class DecorrelatedJitterV2Backoff(Backoff):
    """Polly's decorrelated-jitter V2: exponential growth with a smooth, well-spread jitter.

    Once the curve reaches ``max_delay`` the delays are spread over ``[max_delay / 2, max_delay]``
    so that clients at the cap do not retry in lockstep.
    """

    def __init__(
        self,
        median_first_delay: float = 0.1,
        *,
        max_delay: float = 10.0,
        rng: RandomSource | None = None,
    ) -> None:
        self.median_first_delay = positive("median_first_delay", median_first_delay)
        self.max_delay = _cap("max_delay", max_delay, self.median_first_delay, "median_first_delay")
        self._rng = _rng(rng)

    @staticmethod
    def _curve(t: float) -> float:
        return math.pow(2.0, t) * math.tanh(math.sqrt(_V2_P_FACTOR * t))

    def delays(self, first_attempt: int = 1) -> Iterator[float]:
        rng, cap, scale = self._rng, self.max_delay, _V2_SCALE * self.median_first_delay
        index = max(first_attempt - 1, 0)
        previous = 0.0 if index == 0 else self._curve(min(index - 1 + rng(), _V2_MAX_EXPONENT))
        while True:
            t = index + rng()
            if t >= _V2_MAX_EXPONENT:
                delay = cap
            else:
                current = self._curve(t)
                delay = (current - previous) * scale
                previous = current
            if delay >= cap:
                half = cap / 2
                delay = half + half * rng()
            yield delay
            index += 1

    def __repr__(self) -> str:
        return (
            f"DecorrelatedJitterV2Backoff(median_first_delay={self.median_first_delay!r}, "
            f"max_delay={self.max_delay!r})"
        )


def as_backoff(value: object) -> Backoff | None:
    """Accept a strategy, a constant number of seconds, or None (no wait)."""
    if value is None or isinstance(value, Backoff):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ConstantBackoff(value)
    raise InvalidArgumentError(
        f"backoff must be a Backoff, a number of seconds or None, got {value!r}"
    )
