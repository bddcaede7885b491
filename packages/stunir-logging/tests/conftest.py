"""Fixtures shared by the stunir.logging tests: restored global logging state, captured output."""

from __future__ import annotations

import io
import json
import logging
import threading
import warnings
from collections.abc import Callable, Iterator

import pytest

from stunir.logging import JSONFormatter


def _is_pytests(handler: logging.Handler) -> bool:
    """pytest attaches its own capture handlers to the root around each test phase."""
    return type(handler).__module__.startswith("_pytest")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Every test leaves the root logger, loggers (levels, handlers, filters) and warnings
    capture as it found them."""
    root = logging.getLogger()
    handlers = [handler for handler in root.handlers if not _is_pytests(handler)]
    level = root.level
    root_filters = list(root.filters)
    loggers = {
        name: (
            logger.level,
            list(logger.handlers),
            list(logger.filters),
            logger.propagate,
            logger.disabled,
        )
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    showwarning = warnings.showwarning
    yield
    logging.captureWarnings(False)  # undoes configure_logging(capture_warnings=True)
    for handler in list(root.handlers):
        if not _is_pytests(handler) and handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
    root.filters[:] = root_filters
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if not isinstance(logger, logging.Logger):
            continue
        saved = loggers.get(name)
        if saved is None:
            logger.setLevel(logging.NOTSET)
            logger.handlers.clear()
            logger.filters.clear()
            logger.propagate = True
            logger.disabled = False
        else:
            (
                logger.level,
                logger.handlers[:],
                logger.filters[:],
                logger.propagate,
                logger.disabled,
            ) = saved
    logging.root.manager._clear_cache()
    assert warnings.showwarning is showwarning


@pytest.fixture
def json_logger() -> Callable[..., tuple[logging.Logger, io.StringIO]]:
    """A fresh non-propagating stdlib logger writing canonical JSON lines to a StringIO."""

    def make(
        name: str = "test", formatter: logging.Formatter | None = None, level: int = logging.DEBUG
    ) -> tuple[logging.Logger, io.StringIO]:
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter or JSONFormatter())
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
        return logger, stream

    return make


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    """The JSON objects written to ``stream``, one per line."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


RunThreads = Callable[[Callable[[int], object], int], None]


@pytest.fixture
def run_threads() -> RunThreads:
    """Run ``target(index)`` in ``count`` real threads at once; re-raise the first failure."""

    def run(target: Callable[[int], object], count: int) -> None:
        errors: list[BaseException] = []
        barrier = threading.Barrier(count)

        def body(index: int) -> None:
            try:
                barrier.wait()
                target(index)
            except BaseException as exc:  # re-raised below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=body, args=(n,)) for n in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    return run


@pytest.fixture
def read_lines() -> Callable[[io.StringIO], list[dict[str, object]]]:
    return lines
