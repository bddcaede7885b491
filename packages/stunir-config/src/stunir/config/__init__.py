"""Layered configuration: files, environment, CLI, schema validation and hot reload."""

__version__ = "0.1.0"

__all__: list[str] = []
