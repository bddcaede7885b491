"""Resource pools, memory and time limits, lifecycle management and monitoring."""

__version__ = "0.1.0"

__all__: list[str] = []
