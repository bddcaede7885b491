"""Token bucket, leaky bucket, fixed and sliding window rate limits, local or shared via Redis."""

__version__ = "0.1.0"

__all__: list[str] = []
