"""Memory, file and Redis cache backends, a tiered cache, @cached and cache warming."""

__version__ = "0.1.0"

__all__: list[str] = []
