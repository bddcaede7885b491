"""Fallbacks, health checks, bulkheads, timeouts, graceful shutdown and partial failure."""

__version__ = "0.1.0"

__all__: list[str] = []
