"""RateLimitFilter: N per (logger, template) per window, the rest summed up in one record."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import threading
from collections.abc import Callable

import pytest

from stunir.logging import (
    AsyncHandler,
    ColoredFormatter,
    ConfigurationError,
    JSONFormatter,
    RateLimitFilter,
    RateLimitStats,
    get_logger,
    log_context,
)

MakeLogger = Callable[..., tuple[logging.Logger, io.StringIO]]
RunThreads = Callable[[Callable[[int], object], int], None]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _messages(stream: io.StringIO) -> list[object]:
    return [line["message"] for line in _lines(stream)]


def _summaries(stream: io.StringIO) -> list[dict[str, object]]:
    return [line for line in _lines(stream) if "template" in line]


def _limited(
    make: MakeLogger, name: str, max_records: int, per_seconds: float, **options: object
) -> tuple[logging.Logger, io.StringIO, Clock, RateLimitFilter]:
    """A JSON logger with a RateLimitFilter on it, in virtual time."""
    logger, stream = make(name, **options)
    clock = Clock()
    limiter = RateLimitFilter(max_records, per_seconds=per_seconds, clock=clock)
    logger.addFilter(limiter)
    return logger, stream, clock, limiter


def _record(msg: str, level: int = logging.INFO, name: str = "x") -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, None, None)


def test_a_closed_window_is_summed_up_before_the_next_record(json_logger: MakeLogger) -> None:
    logger, stream, clock, limiter = _limited(json_logger, "rl", 2, 10)
    for attempt in range(5):
        logger.warning("retrying %s", f"host-{attempt}")
    logger.warning("other template")
    assert limiter.pending_suppressed() == {("rl", "retrying %s"): 3}
    clock.now += 10
    logger.warning("other template")  # any template passing through reports the ended window
    lines = _lines(stream)
    assert [line["message"] for line in lines] == [
        "retrying host-0",
        "retrying host-1",
        "other template",
        "suppressed 3 similar messages",
        "other template",
    ]
    summary = lines[3]
    assert (summary["level"], summary["logger"]) == ("WARNING", "rl")
    assert (summary["suppressed"], summary["template"]) == (3, "retrying %s")
    assert all("suppressed" not in line for line in lines if line is not summary)
    assert limiter.pending_suppressed() == {}
    assert limiter.stats() == RateLimitStats(4, 3, 2, 1)


def test_no_summary_while_the_window_is_open(json_logger: MakeLogger) -> None:
    logger, stream, clock, _ = _limited(json_logger, "open", 1, 10)
    logger.info("noisy")
    logger.info("noisy")
    clock.now += 9.999
    logger.info("quiet")
    assert _summaries(stream) == []
    clock.now += 0.001
    logger.info("noisy")
    assert _messages(stream) == [
        "noisy",
        "quiet",
        "suppressed 1 similar messages",
        "noisy",
    ]


def test_each_window_gets_exactly_one_summary(json_logger: MakeLogger) -> None:
    logger, stream, clock, limiter = _limited(json_logger, "windows", 1, 5)
    for burst in range(1, 4):
        for _ in range(burst + 1):
            logger.info("tick")
        clock.now += 5
    limiter.flush()
    limiter.flush()
    logger.info("after")
    assert [line["suppressed"] for line in _summaries(stream)] == [1, 2, 3]
    assert limiter.stats().summaries == 3


def test_summaries_are_never_limited_by_their_own_filter(json_logger: MakeLogger) -> None:
    logger, stream, clock, limiter = _limited(json_logger, "self", 1, 1)
    for template in ("a", "b", "c"):
        logger.info(template)
        logger.info(template)
    clock.now += 1
    logger.info("d")
    assert [line["template"] for line in _summaries(stream)] == ["a", "b", "c"]
    assert limiter.stats().passed == 4  # summaries are not counted as passed records


def test_flush_reports_open_windows_and_the_window_keeps_counting(
    json_logger: MakeLogger,
) -> None:
    logger, stream, clock, limiter = _limited(json_logger, "flush", 1, 10)
    logger.info("m")
    logger.info("m")
    limiter.flush()
    logger.info("m")  # still the same window: suppressed, counted afresh
    assert _messages(stream) == ["m", "suppressed 1 similar messages"]
    clock.now += 10
    logger.info("m")
    assert [line["suppressed"] for line in _summaries(stream)] == [1, 1]


def test_summary_level_is_the_highest_suppressed_level(json_logger: MakeLogger) -> None:
    logger, stream = json_logger("levels")
    limiter = RateLimitFilter(1, per_seconds=10, clock=Clock())
    logger.addFilter(limiter)
    logger.debug("same %s", 1)
    logger.info("same %s", 2)
    logger.error("same %s", 3)
    logger.debug("same %s", 4)
    limiter.flush()
    assert _summaries(stream)[0]["level"] == "ERROR"


def test_summary_does_not_carry_the_triggering_records_context(json_logger: MakeLogger) -> None:
    logger, stream, clock, _ = _limited(json_logger, "rl.ctx", 1, 1)
    logger.info("m")
    logger.info("m")
    clock.now += 1
    with log_context(request_id="unrelated"):
        logger.info("next")
    summary, after = _lines(stream)[1:]
    assert "request_id" not in summary
    assert after["request_id"] == "unrelated"


def test_summary_through_the_coloured_formatter(json_logger: MakeLogger) -> None:
    logger, stream = json_logger("console", formatter=ColoredFormatter(colors=False))
    limiter = RateLimitFilter(1, per_seconds=60, clock=Clock())
    logger.addFilter(limiter)
    for index in range(4):
        logger.warning("disk %s full", index)
    limiter.flush()
    last = stream.getvalue().splitlines()[-1]
    assert last.endswith(
        'WARNING  console: suppressed 3 similar messages suppressed=3 template="disk %s full"'
    )


def test_on_a_handler_the_summary_goes_to_that_handler_only(json_logger: MakeLogger) -> None:
    logger, limited_stream = json_logger("h")
    full_stream = io.StringIO()
    full = logging.StreamHandler(full_stream)
    full.setFormatter(JSONFormatter())
    logger.addHandler(full)
    clock = Clock()
    limiter = RateLimitFilter(1, per_seconds=60, clock=clock)
    logger.handlers[0].addFilter(limiter)
    get_logger("h").info("same")
    get_logger("h").info("same")
    logging.getLogger("h.child").info("same")
    clock.now += 60
    logger.info("later")
    assert _messages(limited_stream) == [
        "same",
        "same",
        "suppressed 1 similar messages",
        "later",
    ]
    assert _summaries(full_stream) == []
    assert len(_lines(full_stream)) == 4


def test_on_a_handler_behind_an_async_handler() -> None:
    stream = io.StringIO()
    sink = logging.StreamHandler(stream)
    sink.setFormatter(JSONFormatter())
    limiter = RateLimitFilter(1, per_seconds=60, clock=Clock())
    sink.addFilter(limiter)
    queue = AsyncHandler([sink])
    logger = logging.getLogger("behind.queue")
    logger.addHandler(queue)
    logger.setLevel(logging.INFO)
    for index in range(3):
        logger.info("job %d failed", index)
    queue.flush()
    limiter.flush()
    queue.close()
    assert _messages(stream) == [
        "job 0 failed",
        "suppressed 2 similar messages",
    ]


def test_levels_at_or_above_always_level_are_never_limited() -> None:
    limiter = RateLimitFilter(1, per_seconds=60, always_level="ERROR", clock=Clock())
    record = _record("boom", logging.ERROR)
    assert all(limiter.filter(record) for _ in range(5))
    assert limiter.stats().suppressed == 0


def test_exact_under_threads(run_threads: RunThreads, json_logger: MakeLogger) -> None:
    logger, stream, clock, limiter = _limited(json_logger, "threads", 100, 60)

    def run(_: int) -> None:
        for _ in range(500):
            logger.info("hot path")

    run_threads(run, 8)
    clock.now += 60
    run_threads(run, 8)
    limiter.flush()
    assert [line["suppressed"] for line in _summaries(stream)] == [3900, 3900]
    assert len(_lines(stream)) == 202
    assert limiter.stats() == RateLimitStats(200, 7800, 1, 2)


def test_summaries_are_exactly_once_under_threads_across_windows(
    run_threads: RunThreads, json_logger: MakeLogger
) -> None:
    logger, stream, clock, limiter = _limited(json_logger, "windows.threads", 3, 1)
    lock = threading.Lock()

    def run(index: int) -> None:
        for step in range(400):
            logger.info("template %d", index % 3)
            if step % 50 == 0:
                with lock:
                    clock.now += 0.5  # windows close while other threads are logging
            if step % 97 == 0:
                limiter.flush()

    run_threads(run, 8)
    limiter.flush()
    stats = limiter.stats()
    summaries = _summaries(stream)
    assert stats.passed + stats.suppressed == 8 * 400
    assert sum(int(str(line["suppressed"])) for line in summaries) == stats.suppressed
    assert len(summaries) == stats.summaries
    assert len(_lines(stream)) == stats.passed + stats.summaries
    assert limiter.pending_suppressed() == {}


def test_key_table_is_bounded_and_an_evicted_window_is_summed_up(
    json_logger: MakeLogger,
) -> None:
    logger, stream = json_logger("evict")
    clock = Clock()
    limiter = RateLimitFilter(1, per_seconds=100, max_keys=10, clock=clock)
    logger.addFilter(limiter)
    logger.info("first")
    logger.info("first")
    for index in range(50):
        logger.info(f"m{index}")
        clock.now += 0.1
    assert limiter.stats().tracked_keys <= 10
    assert [line["template"] for line in _summaries(stream)] == ["first"]
    assert limiter.pending_suppressed() == {}


def test_unhashable_message_objects_are_handled() -> None:
    limiter = RateLimitFilter(1, per_seconds=1, clock=Clock())
    record = _record("m")
    record.msg = ["unhashable"]  # type: ignore[assignment]
    assert limiter.filter(record)
    assert not limiter.filter(record)
    assert limiter.pending_suppressed() == {("x", "['unhashable']"): 1}


def test_flush_without_suppressions_emits_nothing() -> None:
    limiter = RateLimitFilter(1, per_seconds=1, clock=Clock())
    limiter.flush()
    assert limiter.filter(_record("m"))
    limiter.flush()
    assert limiter.stats().summaries == 0


def _run(script: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", script], check=True, timeout=60, capture_output=True, text=True
    )
    return [json.loads(line)["message"] for line in result.stdout.splitlines()]


_SETUP = (
    "import logging, sys\n"
    "from stunir.logging import AsyncHandler, JSONFormatter, RateLimitFilter\n"
    "sink = logging.StreamHandler(sys.stdout)\n"
    "sink.setFormatter(JSONFormatter())\n"
    "logger = logging.getLogger('bye')\n"
    "logger.setLevel(logging.INFO)\n"
)


@pytest.mark.parametrize(
    "ending",
    [
        "logger.addHandler(sink)\nlogger.addFilter(limiter)\n",  # at interpreter exit
        "logger.addHandler(sink)\nsink.addFilter(limiter)\nlogging.shutdown()\n",
        "logger.addHandler(AsyncHandler([sink]))\nlogger.addFilter(limiter)\n",
    ],
    ids=["exit", "shutdown", "exit-async"],
)
def test_pending_summaries_are_written_at_shutdown(ending: str) -> None:
    script = (
        _SETUP
        + "limiter = RateLimitFilter(1, per_seconds=3600)\n"
        + ending
        + "for i in range(4):\n    logger.info('try %d', i)\n"
    )
    if "shutdown()" in ending:  # the records must come before the explicit shutdown
        head, tail = script.split("logging.shutdown()\n")
        script = head + tail + "logging.shutdown()\n"
    assert _run(script) == ["try 0", "suppressed 3 similar messages"]


def test_filters_from_dictconfig_flush_at_shutdown() -> None:
    script = (
        "import logging.config, sys\n"
        "logging.config.dictConfig({\n"
        "    'version': 1,\n"
        "    'filters': {'limit': {'()': 'stunir.logging.RateLimitFilter', 'max_records': 2}},\n"
        "    'formatters': {'json': {'()': 'stunir.logging.JSONFormatter'}},\n"
        "    'handlers': {'out': {'class': 'logging.StreamHandler', 'stream': 'ext://sys.stdout',\n"
        "                         'formatter': 'json', 'filters': ['limit']}},\n"
        "    'root': {'level': 'INFO', 'handlers': ['out']},\n"
        "})\n"
        "for i in range(5):\n    logging.getLogger('app').info('poll %d', i)\n"
    )
    assert _run(script) == ["poll 0", "poll 1", "suppressed 3 similar messages"]


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        ({"max_records": 0}, "max_records"),
        ({"max_records": True}, "max_records"),
        ({"max_records": 1.5}, "max_records"),
        ({"per_seconds": 0}, "per_seconds"),
        ({"per_seconds": -1}, "per_seconds"),
        ({"per_seconds": float("nan")}, "per_seconds"),
        ({"per_seconds": "60"}, "per_seconds"),
        ({"max_keys": 0}, "max_keys"),
        ({"always_level": "LOUD"}, "always_level"),
        ({"always_level": -1}, "always_level"),
        ({"always_level": None}, "always_level"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object], setting: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        RateLimitFilter(**kwargs)  # type: ignore[arg-type]
    assert info.value.setting == setting
    assert repr(kwargs[setting])[:10] in str(info.value)
