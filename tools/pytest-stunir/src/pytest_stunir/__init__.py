"""Test support for the STUNIR repository; never shipped to users."""

from pytest_stunir.redis_server import RedisServer, RedisServerUnavailable

__all__ = ["RedisServer", "RedisServerUnavailable"]
