"""Retry decorator, backoff strategies, retry policies and a circuit breaker."""

__version__ = "0.1.0"

__all__: list[str] = []
