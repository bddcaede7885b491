"""RateLimitFilter: N per (logger, template) per window, in virtual time, counting the rest."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable

import pytest

from stunir.logging import ConfigurationError, RateLimitFilter, get_logger

MakeLogger = Callable[..., tuple[logging.Logger, io.StringIO]]
RunThreads = Callable[[Callable[[int], object], int], None]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limits_per_template_and_reports_suppressed_on_the_next_window(
    json_logger: MakeLogger,
) -> None:
    logger, stream = json_logger("rl")
    clock = Clock()
    limiter = RateLimitFilter(2, per_seconds=10, clock=clock)
    logger.addFilter(limiter)
    for attempt in range(5):
        logger.warning("retrying %s", f"host-{attempt}")
    logger.warning("other template")
    clock.now += 10
    logger.warning("retrying %s", "host-9")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["message"] for line in lines] == [
        "retrying host-0",
        "retrying host-1",
        "other template",
        "retrying host-9",
    ]
    assert lines[-1]["suppressed"] == 3
    assert "suppressed" not in lines[0]
    assert limiter.stats().suppressed == 3
    assert limiter.stats().passed == 4
    assert limiter.pending_suppressed() == {}
    for _ in range(3):
        logger.warning("other template")
    assert limiter.pending_suppressed() == {("rl", "other template"): 1}


def test_loggers_are_limited_separately(json_logger: MakeLogger) -> None:
    logger, stream = json_logger("rl2")
    limiter = RateLimitFilter(1, per_seconds=60, clock=Clock())
    logger.handlers[0].addFilter(limiter)
    get_logger("rl2").info("same")
    get_logger("rl2").info("same")
    logging.getLogger("rl2.child").info("same")
    assert stream.getvalue().count('"same"') == 2


def test_levels_at_or_above_always_level_are_never_limited() -> None:
    limiter = RateLimitFilter(1, per_seconds=60, always_level=logging.ERROR, clock=Clock())
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, None)
    assert all(limiter.filter(record) for _ in range(5))


def test_exact_under_threads(run_threads: RunThreads) -> None:
    limiter = RateLimitFilter(100, per_seconds=60, clock=Clock())
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hot path", None, None)
    passed: list[int] = []
    lock = threading.Lock()

    def run(_: int) -> None:
        count = sum(limiter.filter(record) for _ in range(500))
        with lock:
            passed.append(count)

    run_threads(run, 8)
    assert sum(passed) == 100
    assert limiter.stats().suppressed == 3900


def test_key_table_is_bounded() -> None:
    clock = Clock()
    limiter = RateLimitFilter(1, per_seconds=1, max_keys=10, clock=clock)
    for index in range(50):
        limiter.filter(logging.LogRecord("x", logging.INFO, __file__, 1, f"m{index}", None, None))
        clock.now += 0.1
    assert limiter.stats().tracked_keys <= 10


def test_unhashable_message_objects_are_handled() -> None:
    limiter = RateLimitFilter(1, per_seconds=1, clock=Clock())
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    record.msg = ["unhashable"]  # type: ignore[assignment]
    assert limiter.filter(record)
    assert not limiter.filter(record)


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        ({"max_records": 0}, "max_records"),
        ({"max_records": True}, "max_records"),
        ({"per_seconds": 0}, "per_seconds"),
        ({"per_seconds": float("nan")}, "per_seconds"),
        ({"max_keys": 0}, "max_keys"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object], setting: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        RateLimitFilter(**kwargs)  # type: ignore[arg-type]
    assert info.value.setting == setting
