"""Structured canonical-JSON (RFC 8785) and coloured logging on top of stdlib logging."""

__version__ = "0.1.0"

__all__: list[str] = []
