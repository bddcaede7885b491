"""One call that routes every library's records through one stunir formatter, exactly once."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

from stunir.logging.async_handler import AsyncHandler
from stunir.logging.colored_formatter import ColoredFormatter
from stunir.logging.errors import ConfigurationError
from stunir.logging.json_formatter import JSONFormatter
from stunir.logging.levels import parse_level
from stunir.logging.redact_option import RedactOption
from stunir.logging.schema import FieldNames, field_names
from stunir.logging.terminal import ColorMode

__all__ = ["configure_logging"]

_installed: list[logging.Handler] = []  # the handlers the last call created (closed on re-call)


def configure_logging(
    level: int | str = "INFO",
    *,
    json_output: bool = False,
    stream: TextIO | None = None,
    console: bool = True,
    colors: ColorMode = "auto",
    handlers: Sequence[logging.Handler] = (),
    redact: RedactOption = None,
    capture_warnings: bool = True,
    fields: str | FieldNames = "plain",
    async_output: bool = False,
    levels: Mapping[str, int | str] | None = None,
) -> list[logging.Handler]:
    """Set up the root logger; returns the handlers now attached to it.

    Records from every logger that propagates (``logging.getLogger("urllib3")`` as much as
    ``get_logger("myapp")``) go through the same formatter: canonical JSON with
    ``json_output=True``, else coloured console lines (``colors``: ``"auto"`` honours a TTY,
    ``NO_COLOR`` and ``FORCE_COLOR``). The console handler writes to ``stream`` (default
    ``sys.stderr``); ``handlers`` are added beside it and get the same formatter unless they
    have their own. ``async_output=True`` puts them all behind one AsyncHandler.

    Idempotent: the root's previous handlers are removed first (those this function created
    are closed; yours are left open), so calling it again never doubles output. ``levels`` sets
    per-logger levels (``{"urllib3": "WARNING"}``). Raises ConfigurationError on a bad setting,
    before changing anything.
    """
    root_level = parse_level(level)
    logger_levels = {
        name: parse_level(value, setting=f"levels[{name!r}]")
        for name, value in (levels or {}).items()
    }
    if isinstance(handlers, logging.Handler) or not all(
        isinstance(handler, logging.Handler) for handler in handlers
    ):
        raise ConfigurationError("handlers", handlers, "a list of logging.Handler instances")
    field_names(fields)  # refused here even when the console output is not JSON
    target = sys.stderr if stream is None else stream
    if not callable(getattr(target, "write", None)):
        raise ConfigurationError("stream", stream, "a text stream with a write() method")
    formatter: logging.Formatter
    if json_output:
        formatter = JSONFormatter(fields=fields, redact=redact)
    else:
        formatter = ColoredFormatter(colors=colors, stream=target, redact=redact)

    created: list[logging.Handler] = []
    outputs: list[logging.Handler] = []
    if console:
        console_handler = logging.StreamHandler(target)
        created.append(console_handler)
        outputs.append(console_handler)
    outputs.extend(handlers)
    for handler in outputs:
        if handler.formatter is None:
            handler.setFormatter(formatter)
    attached = outputs
    if async_output and outputs:
        queue = AsyncHandler(outputs)
        created.append(queue)
        attached = [queue]

    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    for old in _installed:
        if old not in outputs:
            old.close()
    _installed[:] = created
    for handler in attached:
        root.addHandler(handler)
    root.setLevel(root_level)
    for name, value in logger_levels.items():
        logging.getLogger(name).setLevel(value)
    logging.captureWarnings(capture_warnings)
    return list(attached)
