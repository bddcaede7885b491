"""A retry budget shared by many policies, so a fleet of clients cannot start a retry storm.

The model is gRPC's retry throttling: the budget holds up to ``max_tokens`` tokens and starts
full. Every failed attempt takes one token, every successful call gives back ``token_ratio``.
While the budget holds ``max_tokens / 2`` tokens or fewer, retries are refused (the first
attempt of a call always runs). Thread-safe.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from stunir.retry._validation import positive


@dataclass(frozen=True, slots=True)
class BudgetStats:
    tokens: float
    max_tokens: float
    retries_allowed: int
    retries_refused: int


class RetryBudget:
    """A token bucket of permission to retry, shared by every policy that is given it."""

    def __init__(self, max_tokens: float = 10.0, token_ratio: float = 0.1) -> None:
        self.max_tokens = positive("max_tokens", max_tokens)
        self.token_ratio = positive("token_ratio", token_ratio)
        self._threshold = self.max_tokens / 2
        self._tokens = self.max_tokens
        self._allowed = 0
        self._refused = 0
        self._lock = threading.Lock()

    def record_success(self) -> None:
        with self._lock:
            self._tokens = min(self.max_tokens, self._tokens + self.token_ratio)

    def record_failure(self) -> None:
        with self._lock:
            self._tokens = max(0.0, self._tokens - 1)

    def try_retry(self) -> bool:
        """Whether a retry may start now; counts the answer."""
        with self._lock:
            if self._tokens > self._threshold:
                self._allowed += 1
                return True
            self._refused += 1
            return False

    def stats(self) -> BudgetStats:
        with self._lock:
            return BudgetStats(self._tokens, self.max_tokens, self._allowed, self._refused)

    def __repr__(self) -> str:
        return f"RetryBudget(max_tokens={self.max_tokens!r}, token_ratio={self.token_ratio!r})"
