"""Retry decorator, backoff strategies, retry policies and a circuit breaker."""

from stunir.retry.backoff import (
    Backoff,
    ConstantBackoff,
    CurveBackoff,
    DecorrelatedJitterBackoff,
    DecorrelatedJitterV2Backoff,
    ExponentialBackoff,
    FibonacciBackoff,
    Jitter,
    LinearBackoff,
)
from stunir.retry.breaker_state import (
    AsyncStateStore,
    BreakerSettings,
    BreakerStats,
    BreakerStorage,
    CircuitState,
    StateChange,
    StateStore,
)
from stunir.retry.budget import BudgetStats, RetryBudget
from stunir.retry.circuit_breaker import CircuitBreaker
from stunir.retry.errors import (
    CircuitOpenError,
    InvalidArgumentError,
    RetriesExhaustedError,
    RetryError,
)
from stunir.retry.outcome import AttemptOutcome, RetryState, RetryStats
from stunir.retry.policies import (
    MaxAttempts,
    RetryCondition,
    RetryIf,
    RetryIfResult,
    RetryOn,
    StopCondition,
    StopWhen,
    Timeout,
)
from stunir.retry.redis_storage import RedisBreakerStorage
from stunir.retry.retry import RetryPolicy, retry
from stunir.retry.retrying import AsyncRetrying, Attempt, Retrying
from stunir.retry.testing import retry_testing
from stunir.retry.windows import CountWindow, TimeWindow

__version__ = "0.2.0"

__all__ = [
    "AsyncRetrying",
    "AsyncStateStore",
    "Attempt",
    "AttemptOutcome",
    "Backoff",
    "BreakerSettings",
    "BreakerStats",
    "BreakerStorage",
    "BudgetStats",
    "CircuitBreaker",
    "CircuitOpenError",
    "CircuitState",
    "ConstantBackoff",
    "CountWindow",
    "CurveBackoff",
    "DecorrelatedJitterBackoff",
    "DecorrelatedJitterV2Backoff",
    "ExponentialBackoff",
    "FibonacciBackoff",
    "InvalidArgumentError",
    "Jitter",
    "LinearBackoff",
    "MaxAttempts",
    "RedisBreakerStorage",
    "RetriesExhaustedError",
    "RetryBudget",
    "RetryCondition",
    "RetryError",
    "RetryIf",
    "RetryIfResult",
    "RetryOn",
    "RetryPolicy",
    "RetryState",
    "RetryStats",
    "Retrying",
    "StateChange",
    "StateStore",
    "StopCondition",
    "StopWhen",
    "TimeWindow",
    "Timeout",
    "retry",
    "retry_testing",
]
