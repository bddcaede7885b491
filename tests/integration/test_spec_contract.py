"""The calls SPEC.md promises users, written as users write them, with stunir-all installed."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest


class VirtualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def restored_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restored_root_logger")
def test_logging_writes_one_canonical_json_line_carrying_the_context() -> None:
    from stunir.logging import configure_logging, get_logger, log_context

    stream = io.StringIO()
    configure_logging(level="INFO", json_output=True, stream=stream)
    logger = get_logger("myapp")
    with log_context(request_id="abc123", user="admin"):
        logger.info("Processing request")
    logging.getLogger("urllib3").warning("from a library")

    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert (first["message"], first["request_id"], first["user"]) == (
        "Processing request",
        "abc123",
        "admin",
    )
    assert lines[0] == json.dumps(first, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert json.loads(lines[1])["logger"] == "urllib3"
    assert "request_id" not in json.loads(lines[1])  # the context ended with the block


def test_retry_and_circuit_breaker_as_documented() -> None:
    from stunir.retry import (
        CircuitBreaker,
        CircuitOpenError,
        ExponentialBackoff,
        retry,
        retry_testing,
    )

    calls = []

    @retry(max_attempts=5, backoff=ExponentialBackoff(base=1.0))
    def call_api() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("flaky")
        return "ok"

    with retry_testing():  # no real sleeping in a test
        assert call_api() == "ok"
    assert len(calls) == 3

    breaker = CircuitBreaker(failure_threshold=5, recovery_timeout=30)

    @breaker
    def call_service() -> None:
        raise TimeoutError("down")

    for _ in range(5):
        with pytest.raises(TimeoutError):
            call_service()
    with pytest.raises(CircuitOpenError) as refused:
        call_service()
    assert 0 < refused.value.retry_after <= 30


def test_cache_decorator_and_tiered_cache_as_documented(tmp_path: Path) -> None:
    from stunir.cache import FileBackend, MemoryBackend, TieredCache, cached

    computed = []

    @cached(backend=MemoryBackend(maxsize=100), ttl=300)
    def expensive_computation(x: int) -> int:
        computed.append(x)
        return x * x

    assert [expensive_computation(3), expensive_computation(3)] == [9, 9]
    assert computed == [3]

    cache = TieredCache(l1=MemoryBackend(maxsize=100), l2=FileBackend(cache_dir=tmp_path / "c"))
    cache.set("user:1", {"name": "Ada"}, ttl=60)
    assert cache.get("user:1") == {"name": "Ada"}
    reopened = TieredCache(l1=MemoryBackend(maxsize=100), l2=FileBackend(cache_dir=tmp_path / "c"))
    assert reopened.get("user:1") == {"name": "Ada"}  # the file level outlives the process's L1


def test_rate_limit_and_token_bucket_as_documented() -> None:
    from stunir.ratelimit import RateLimitExceeded, TokenBucket, rate_limit

    clock = VirtualClock()

    @rate_limit(limiter=TokenBucket(rate=10, capacity=50, clock=clock))
    def api_call() -> str:
        return "done"

    assert [api_call() for _ in range(50)] == ["done"] * 50
    with pytest.raises(RateLimitExceeded) as refused:
        api_call()
    assert refused.value.retry_after == pytest.approx(0.1, abs=1e-6)
    clock.now += 0.1
    assert api_call() == "done"

    @rate_limit(rate=10, capacity=50)  # the documented form, on the real clock
    def burst() -> None: ...

    for _ in range(50):
        burst()

    limiter = TokenBucket(rate=100, capacity=200)
    assert limiter.acquire()
