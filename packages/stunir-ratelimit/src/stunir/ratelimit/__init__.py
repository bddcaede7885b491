"""Token bucket, leaky bucket, fixed and sliding window rate limits, local or shared via Redis."""

from stunir.ratelimit.decision import Decision
from stunir.ratelimit.decorators import rate_limit, throttle
from stunir.ratelimit.errors import InvalidLimitError, RateLimitError, RateLimitExceeded
from stunir.ratelimit.fixed_window import FixedWindow
from stunir.ratelimit.leaky_bucket import LeakyBucket
from stunir.ratelimit.limiter import Limiter
from stunir.ratelimit.memory import MemoryStore
from stunir.ratelimit.redis_store import FailurePolicy, RedisStore
from stunir.ratelimit.sliding_window import ApproximateSlidingWindow, SlidingWindow
from stunir.ratelimit.stats import LimiterStats
from stunir.ratelimit.token_bucket import TokenBucket

__version__ = "0.2.0"

__all__ = [
    "ApproximateSlidingWindow",
    "Decision",
    "FailurePolicy",
    "FixedWindow",
    "InvalidLimitError",
    "LeakyBucket",
    "Limiter",
    "LimiterStats",
    "MemoryStore",
    "RateLimitError",
    "RateLimitExceeded",
    "RedisStore",
    "SlidingWindow",
    "TokenBucket",
    "__version__",
    "rate_limit",
    "throttle",
]
