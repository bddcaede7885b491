"""Readable console lines: time, level, logger, message, then ``key=value`` fields."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping

from stunir.logging.canonical import canonical_dumps
from stunir.logging.escaping import escape_controls
from stunir.logging.records import exception_fields, message_of, record_fields
from stunir.logging.redact_option import RedactOption, make_redactor
from stunir.logging.redaction import REDACTED
from stunir.logging.terminal import ColorMode, should_color
from stunir.logging.timestamps import rfc3339_utc

__all__ = ["ColoredFormatter"]

_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_BOLD = "\x1b[1m"
_KEY = "\x1b[36m"
_LEVEL_COLORS = {
    logging.DEBUG: "\x1b[34m",
    logging.INFO: "\x1b[32m",
    logging.WARNING: "\x1b[33m",
    logging.ERROR: "\x1b[31m",
    logging.CRITICAL: "\x1b[1;41m",
}


def _level_color(levelno: int) -> str:
    for threshold in (logging.CRITICAL, logging.ERROR, logging.WARNING, logging.INFO):
        if levelno >= threshold:
            return _LEVEL_COLORS[threshold]
    return _LEVEL_COLORS[logging.DEBUG]


def _value_text(value: object) -> str:
    if isinstance(value, str):
        return value if value and " " not in value and '"' not in value else canonical_dumps(value)
    return canonical_dumps(value)


class ColoredFormatter(logging.Formatter):
    """``2026-12-03T13:02:37.123Z INFO     myapp: paid order_id=7 amount=12.5``, coloured on a TTY.

    Every control character in the message, the logger name and the fields is escaped
    (``\\n``, ``\\x1b``), so a message cannot forge a second line or a terminal escape. A
    traceback follows on its own lines, each prefixed with ``| `` so it cannot pass for a
    record. ``colors="auto"`` decides once, from ``stream`` (default ``sys.stderr``) and the
    ``NO_COLOR``/``FORCE_COLOR`` environment; see ``should_color``.
    """

    def __init__(
        self,
        *,
        colors: ColorMode = "auto",
        stream: object = None,
        redact: RedactOption = None,
        redact_replacement: str = REDACTED,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.colors_enabled = should_color(
            sys.stderr if stream is None else stream, colors, environ
        )
        self._redactor = make_redactor(redact, redact_replacement)

    def format(self, record: logging.LogRecord) -> str:
        message, format_error = message_of(record)
        fields = record_fields(record)
        if format_error is not None:
            fields["format_error"] = format_error
        if self._redactor is not None:
            fields = self._redactor.redact(fields)
        color = self.colors_enabled
        level = record.levelname
        parts = [rfc3339_utc(record.created)]
        if color:
            parts[0] = _DIM + parts[0] + _RESET
            parts.append(f"{_level_color(record.levelno)}{level:<8}{_RESET}")
            parts.append(f"{_BOLD}{escape_controls(record.name)}:{_RESET}")
        else:
            parts.append(f"{level:<8}")
            parts.append(escape_controls(record.name) + ":")
        parts.append(escape_controls(message))
        for key, value in fields.items():
            text = escape_controls(_value_text(value))
            name = escape_controls(key)
            parts.append(f"{_KEY}{name}{_RESET}={text}" if color else f"{name}={text}")
        line = " ".join(parts)
        exception = exception_fields(record) if (record.exc_info or record.exc_text) else None
        if exception is not None:
            line += _block(str(exception["traceback"]))
        if record.stack_info:
            line += _block(record.stack_info)
        return line


def _block(text: str) -> str:
    return "".join("\n  | " + escape_controls(line) for line in text.splitlines())
