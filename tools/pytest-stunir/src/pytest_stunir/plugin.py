"""Fixtures shared by every STUNIR package's tests, loaded through the ``pytest11`` entry point.

- ``redis_server``: one real ``redis-server`` for the whole test session (or the server that
  ``STUNIR_TEST_REDIS_URL`` names); ``redis_url`` hands each test that server, emptied.
- ``redis_server_factory``: private servers a test may stop and start, to play an outage.
- A deterministic hypothesis profile, so a property test fails the same way on every run.

Without a ``redis-server`` binary the Redis tests skip with the reason, except when ``CI`` is
set: there a missing server is a failure, so CI can never pass by skipping them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import NoReturn

import pytest

from pytest_stunir.redis_server import RedisServer, RedisServerUnavailable, external_url


def _redis_unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: Redis tests must run, not skip)", pytrace=False)
    pytest.skip(reason)


def _start_owned_server() -> RedisServer:
    try:
        return RedisServer().start()
    except RedisServerUnavailable as exc:
        _redis_unavailable(str(exc))


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    url = external_url()
    if url is not None:
        server = RedisServer(url)
        if not server.ping():
            _redis_unavailable(f"STUNIR_TEST_REDIS_URL={url} does not answer PING")
        yield server
        return
    server = _start_owned_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session server's URL, its database emptied for this test."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture
def redis_server_factory() -> Iterator[Callable[[], RedisServer]]:
    """Start private servers (always local processes); all are stopped after the test."""
    servers: list[RedisServer] = []

    def start() -> RedisServer:
        server = _start_owned_server()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def pytest_configure(config: pytest.Config) -> None:
    try:
        from hypothesis import settings
    except ImportError:
        return
    # Same examples on every run and no per-example deadline: CI machines are slow and shared.
    settings.register_profile("stunir", derandomize=True, deadline=None, print_blob=True)
    settings.load_profile(os.environ.get("STUNIR_HYPOTHESIS_PROFILE", "stunir"))
