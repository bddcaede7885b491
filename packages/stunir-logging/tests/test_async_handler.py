"""AsyncHandler: nothing accepted is lost, drops are counted, context travels, fork is safe."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import os
import sys
import threading
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from stunir.logging import (
    AsyncHandler,
    ConfigurationError,
    JSONFormatter,
    get_logger,
    log_context,
)

RunThreads = Callable[[Callable[[int], object], int], None]


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.threads: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.threads.add(threading.current_thread().name)


class GateHandler(ListHandler):
    """Blocks the worker on its first record until ``release`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.entered.set()
        assert self.release.wait(10)
        super().emit(record)


def _record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("async", logging.INFO, __file__, 1, msg, args or None, None)


def test_nothing_accepted_is_lost_on_close_under_many_threads(run_threads: RunThreads) -> None:
    sink = ListHandler()
    handler = AsyncHandler([sink], capacity=100_000)

    def produce(thread: int) -> None:
        for index in range(300):
            handler.handle(_record("t%d i%d", thread, index))

    run_threads(produce, 10)
    handler.close()
    messages = [record.getMessage() for record in sink.records]
    assert sorted(messages) == sorted(f"t{t} i{i}" for t in range(10) for i in range(300))
    stats = handler.stats()
    assert (stats.enqueued, stats.emitted, stats.dropped, stats.pending) == (3000, 3000, 0, 0)
    assert sink.threads == {"stunir-logging-async"}


def _fill(handler: AsyncHandler, gate: GateHandler, extra: int) -> None:
    handler.handle(_record("first"))
    assert gate.entered.wait(10)  # the worker holds "first" and waits on the gate
    for index in range(handler.capacity + extra):
        handler.handle(_record("queued %d", index))


def test_drop_newest_counts_and_keeps_the_oldest() -> None:
    gate = GateHandler()
    handler = AsyncHandler([gate], capacity=5, overflow="drop_newest")
    _fill(handler, gate, extra=3)
    assert handler.stats().dropped == 3
    gate.release.set()
    handler.close()
    assert [r.getMessage() for r in gate.records] == ["first"] + [f"queued {i}" for i in range(5)]
    assert handler.stats().emitted == 6


def test_drop_oldest_counts_and_keeps_the_newest() -> None:
    gate = GateHandler()
    handler = AsyncHandler([gate], capacity=5, overflow="drop_oldest")
    _fill(handler, gate, extra=3)
    gate.release.set()
    handler.close()
    assert [r.getMessage() for r in gate.records] == ["first"] + [
        f"queued {i}" for i in range(3, 8)
    ]
    assert handler.stats().dropped == 3


def test_block_with_a_zero_timeout_drops_when_full() -> None:
    gate = GateHandler()
    handler = AsyncHandler([gate], capacity=2, overflow="block", block_timeout_seconds=0)
    _fill(handler, gate, extra=2)
    assert handler.stats().dropped == 2
    gate.release.set()
    handler.close()


def test_block_waits_for_room_and_loses_nothing() -> None:
    gate = GateHandler()
    handler = AsyncHandler([gate], capacity=2, overflow="block")
    handler.handle(_record("first"))
    assert gate.entered.wait(10)
    producer = threading.Thread(
        target=lambda: [handler.handle(_record("p%d", i)) for i in range(6)]
    )
    producer.start()
    producer.join(0.05)
    assert producer.is_alive()  # blocked: two queued, the rest waiting for room
    gate.release.set()
    producer.join(10)
    handler.close()
    assert [r.getMessage() for r in gate.records] == ["first"] + [f"p{i}" for i in range(6)]
    assert handler.stats().dropped == 0


def test_flush_waits_until_everything_is_written() -> None:
    sink = ListHandler()
    handler = AsyncHandler([sink])
    for index in range(200):
        handler.handle(_record("r%d", index))
    assert handler.flush(timeout_seconds=10)
    assert len(sink.records) == 200
    assert handler.stats().pending == 0
    handler.close()


def test_flush_times_out_while_a_sink_is_stuck() -> None:
    gate = GateHandler()
    handler = AsyncHandler([gate])
    handler.handle(_record("stuck"))
    assert gate.entered.wait(10)
    assert handler.flush(timeout_seconds=0) is False
    gate.release.set()
    handler.close()


def test_context_is_captured_in_the_callers_thread() -> None:
    stream = io.StringIO()
    sink = logging.StreamHandler(stream)
    sink.setFormatter(JSONFormatter())
    handler = AsyncHandler([sink])
    logger = logging.getLogger("async.ctx")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    with log_context(request_id="r7"):
        logger.info("stdlib record")
        get_logger("async.ctx").info("ours", order_id=1)
    handler.close()
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["request_id"] == second["request_id"] == "r7"
    assert second["order_id"] == 1


def test_arguments_are_rendered_at_emit_so_later_mutation_does_not_change_the_line() -> None:
    gate = GateHandler()
    handler = AsyncHandler([gate])
    items = ["a"]
    handler.handle(_record("items=%s", items))
    items.append("b")
    gate.release.set()
    handler.close()
    assert gate.records[0].getMessage() == "items=['a']"


def test_records_below_a_sink_level_are_not_given_to_it() -> None:
    quiet, loud = ListHandler(), ListHandler()
    quiet.setLevel(logging.ERROR)
    handler = AsyncHandler([quiet, loud])
    handler.handle(_record("info"))
    handler.close()
    assert (len(quiet.records), len(loud.records)) == (0, 1)


def test_a_failing_sink_does_not_stop_the_others() -> None:
    failures: list[logging.LogRecord] = []

    class Broken(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            raise OSError("disk full")

        def handleError(self, record: logging.LogRecord) -> None:  # stdlib name
            failures.append(record)

    sink = ListHandler()
    handler = AsyncHandler([Broken(), sink])
    for index in range(3):
        handler.handle(_record("r%d", index))
    handler.close()
    assert len(sink.records) == 3
    assert len(failures) == 3


def test_records_after_close_are_counted_as_dropped() -> None:
    sink = ListHandler()
    handler = AsyncHandler([sink])
    handler.close()
    handler.handle(_record("late"))
    assert handler.stats().dropped == 1
    assert sink.records == []


def test_named_handlers_from_dictconfig() -> None:
    stream = io.StringIO()
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"json": {"()": "stunir.logging.JSONFormatter"}},
            "handlers": {
                "out": {"class": "logging.StreamHandler", "stream": stream, "formatter": "json"},
                "queue": {
                    "class": "stunir.logging.AsyncHandler",
                    "handlers": ["out"],
                    "capacity": 100,
                    "overflow": "drop_oldest",
                },
            },
            "loggers": {"dc.async": {"handlers": ["queue"], "level": "INFO", "propagate": False}},
        }
    )
    logging.getLogger("dc.async").info("through the queue")
    queue = logging.getLogger("dc.async").handlers[0]
    assert isinstance(queue, AsyncHandler)
    queue.close()
    assert json.loads(stream.getvalue())["message"] == "through the queue"


def test_an_unknown_handler_name_is_reported_not_raised() -> None:
    handler = AsyncHandler(["no-such-handler"])
    handler.handle(_record("lost"))
    handler.close()
    assert handler.stats().emitted == 1  # handed on; nobody to write it (logged as an error)
    with pytest.raises(ConfigurationError):
        _ = handler.handlers


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        ({"handlers": []}, "handlers"),
        ({"handlers": logging.NullHandler()}, "handlers"),
        ({"capacity": 0}, "capacity"),
        ({"overflow": "spill"}, "overflow"),
        ({"block_timeout_seconds": -1}, "block_timeout_seconds"),
        ({"level": "LOUD"}, "level"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object], setting: str) -> None:
    arguments: dict[str, object] = {"handlers": [logging.NullHandler()], **kwargs}
    with pytest.raises(ConfigurationError) as info:
        AsyncHandler(**arguments)  # type: ignore[arg-type]
    assert info.value.setting == setting


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_fork_child_gets_its_own_queue_and_thread(tmp_path: Path) -> None:
    out = tmp_path / "child.log"
    sink = ListHandler()
    handler = AsyncHandler([sink])
    handler.handle(_record("parent before fork"))
    assert handler.flush(timeout_seconds=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads: intended here
        pid = os.fork()
    if pid == 0:  # the child: its own worker must start and write
        code = 1
        try:
            child_sink = logging.FileHandler(out)
            child_sink.setFormatter(logging.Formatter("%(message)s"))
            handler._targets = [child_sink]  # test-only: a file the parent can read
            handler.handle(_record("from child"))
            handler.close()
            child_sink.close()
            stats = handler.stats()
            code = 0 if (stats.enqueued, stats.emitted) == (1, 1) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert out.read_text() == "from child\n"
    handler.handle(_record("parent after fork"))
    handler.close()
    assert [r.getMessage() for r in sink.records] == ["parent before fork", "parent after fork"]


def test_interpreter_exit_flushes_queued_records(tmp_path: Path) -> None:
    import subprocess

    out = tmp_path / "exit.log"
    script = (
        "import logging\n"
        "from stunir.logging import AsyncHandler\n"
        f"sink = logging.FileHandler({str(out)!r})\n"
        "sink.setFormatter(logging.Formatter('%(message)s'))\n"
        "logger = logging.getLogger('exit')\n"
        "logger.addHandler(AsyncHandler([sink]))\n"
        "logger.setLevel(logging.INFO)\n"
        "for i in range(500):\n"
        "    logger.info('line %d', i)\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert out.read_text().splitlines() == [f"line {i}" for i in range(500)]
