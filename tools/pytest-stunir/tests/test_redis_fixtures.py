import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from pytest_stunir import RedisServer


def test_redis_url_round_trips_a_value_through_a_real_server(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.set("stunir:probe", b"\x00bytes\xff", ex=60)
    assert client.get("stunir:probe") == b"\x00bytes\xff"
    assert client.info("server")["redis_version"]


def test_redis_url_starts_every_test_with_an_empty_database(redis_url: str) -> None:
    assert redis.Redis.from_url(redis_url).dbsize() == 0


def test_private_server_can_be_stopped_and_started_on_the_same_port(
    redis_server_factory: Callable[[], RedisServer],
) -> None:
    server = redis_server_factory()
    client = redis.Redis.from_url(server.url, socket_timeout=1)
    assert client.ping()
    server.stop()
    assert not server.ping()
    with pytest.raises(redis.ConnectionError):
        client.ping()
    server.start()
    assert client.ping()


def _run_redis_test_without_server_binary(tmp_path: Path, *, ci: bool) -> str:
    """Run a one-test file in a pytest whose PATH holds no redis-server."""
    test_file = tmp_path / "test_needs_redis.py"
    test_file.write_text("def test_uses_redis(redis_url):\n    assert redis_url\n")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "STUNIR_TEST_REDIS_URL")}
    env["PATH"] = str(tmp_path)  # an empty folder: no redis-server to be found
    if ci:
        env["CI"] = "true"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-rsf", "-p", "no:cacheprovider", str(test_file)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    return result.stdout


def test_without_a_server_binary_redis_tests_skip_with_the_reason(tmp_path: Path) -> None:
    output = _run_redis_test_without_server_binary(tmp_path, ci=False)
    assert "1 skipped" in output
    assert "redis-server was not found on PATH" in output


def test_without_a_server_binary_redis_tests_fail_under_ci(tmp_path: Path) -> None:
    output = _run_redis_test_without_server_binary(tmp_path, ci=True)
    assert "1 error" in output
    assert "CI is set: Redis tests must run, not skip" in output
