# /// script
# dependencies = ["structlog", "python-json-logger", "loguru", "rfc8785", "orjson"]
# ///
"""stunir.logging against structlog, python-json-logger, loguru and the rfc8785 encoder.

Every JSON case renders the same record (message ``paid``, fields ``order_id=7`` and
``amount=12.5``, context field ``request_id="abc"``, plus time, level and logger name) to a
null sink, so the figures compare the logging path, not I/O.
"""

from __future__ import annotations

import logging
import logging.handlers
import queue
from collections.abc import Callable

import rfc8785
import structlog
from _harness import Bench
from loguru import logger as loguru_logger
from pythonjsonlogger.json import JsonFormatter

from stunir.logging import AsyncHandler, JSONFormatter, canonical_dumps, get_logger, log_context

FIELDS = {"order_id": 7, "amount": 12.5}
CONTEXT = {"request_id": "abc"}


class NullStream:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


class NullHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        pass


def _stdlib_logger(name: str, formatter: logging.Formatter) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.handlers.clear()
    handler = logging.StreamHandler(NullStream())
    handler.setFormatter(formatter)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def _structlog(
    serializer: Callable[..., str | bytes] | None,
) -> structlog.typing.FilteringBoundLogger:
    def add_logger_name(_: object, __: str, event: dict[str, object]) -> dict[str, object]:
        event["logger"] = "bench.structlog"
        return event

    renderer = structlog.processors.JSONRenderer(
        **({"serializer": serializer} if serializer else {})
    )
    factory: structlog.typing.WrappedLogger
    factory = structlog.BytesLoggerFactory if serializer else structlog.WriteLoggerFactory
    kwargs = {"file": open("/dev/null", "wb" if serializer else "w")}  # noqa: SIM115
    return structlog.wrap_logger(
        factory(**kwargs)(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        cache_logger_on_first_use=True,
    )


def _json_record(bench: Bench) -> None:
    import orjson

    ours = get_logger("bench.stunir")
    _stdlib_logger("bench.stunir", JSONFormatter())
    pjl = _stdlib_logger(
        "bench.pjl", JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    plain = _structlog(None)
    fast = _structlog(orjson.dumps)
    structlog.contextvars.bind_contextvars(**CONTEXT)
    loguru_logger.remove()
    loguru_logger.add(NullStream(), serialize=True, level="INFO")
    bound_loguru = loguru_logger.bind(**CONTEXT)
    pjl_extra = {**FIELDS, **CONTEXT}
    with log_context(**CONTEXT):
        bench.compare(
            "JSON record through the logger",
            lambda: ours.info("paid", order_id=7, amount=12.5),
            {
                "structlog (json)": lambda: plain.info("paid", order_id=7, amount=12.5),
                "structlog (orjson)": lambda: fast.info("paid", order_id=7, amount=12.5),
                "python-json-logger": lambda: pjl.info("paid", extra=pjl_extra),
                "loguru serialize": lambda: bound_loguru.info("paid", order_id=7, amount=12.5),
            },
        )
        bench.compare(
            "record below the level",
            lambda: ours.debug("skipped", order_id=7),
            {
                "structlog": lambda: plain.debug("skipped", order_id=7),
                "stdlib logging": lambda: pjl.debug("skipped", extra={"order_id": 7}),
                "loguru": lambda: bound_loguru.debug("skipped", order_id=7),
            },
            target_ns=300,
        )
    structlog.contextvars.clear_contextvars()
    loguru_logger.remove()


def _canonical(bench: Bench) -> None:
    document = {
        "id": 123456789,
        "name": "caf\u00e9 \U0001f600",
        "ratio": 0.1 + 0.2,
        "tiny": 1e-7,
        "big": 1e21,
        "tags": ["a", "b", "c"],
        "nested": {"z": None, "a": True, "m": [1, 2.5, -0.0]},
    }
    bench.compare(
        "canonical JSON document",
        lambda: canonical_dumps(document).encode(),
        {"rfc8785": lambda: rfc8785.dumps(document)},
    )


def _async_emit(bench: Bench) -> None:
    record = logging.LogRecord("bench.async", logging.INFO, __file__, 1, "paid", None, None)
    ours = AsyncHandler([NullHandler()], capacity=1_000_000, overflow="drop_oldest")
    stdlib_queue: queue.Queue[logging.LogRecord] = queue.Queue()
    peer = logging.handlers.QueueHandler(stdlib_queue)
    listener = logging.handlers.QueueListener(stdlib_queue, NullHandler())
    listener.start()
    bench.compare(
        "async handler emit",
        lambda: ours.emit(record),
        {"stdlib QueueHandler": lambda: peer.emit(record)},
        target_ns=3000,
    )
    ours.close()
    listener.stop()


def run(bench: Bench) -> None:
    _json_record(bench)
    _canonical(bench)
    _async_emit(bench)
