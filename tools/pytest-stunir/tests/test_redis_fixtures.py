from collections.abc import Callable

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
