"""A stdlib logger that takes structured fields as keywords, and binds them to children."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from types import MappingProxyType, TracebackType
from typing import TypeAlias

from stunir.logging.context import CURRENT
from stunir.logging.records import CONTEXT_ATTR, FIELDS_ATTR

__all__ = ["BoundLogger", "get_logger"]

SysExcInfo: TypeAlias = (
    tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
)

_DEBUG, _INFO, _WARNING, _ERROR, _CRITICAL = (
    logging.DEBUG,
    logging.INFO,
    logging.WARNING,
    logging.ERROR,
    logging.CRITICAL,
)
_NO_FIELDS: Mapping[str, object] = MappingProxyType({})
# Frames between the user's call and Logger._log: the level method and BoundLogger._log. Before
# 3.11, findCaller counted the frame that called Logger._log itself as the first level.
_STACKLEVEL = 3 if sys.version_info >= (3, 11) else 2


class BoundLogger:
    """Wraps a ``logging.Logger``: same levels, handlers and propagation, plus keyword fields.

    ``logger.info("paid", order_id=7)`` makes one ordinary LogRecord whose fields (and the
    current ``log_context``) every stunir formatter renders. ``bind(**fields)`` returns a child
    carrying them. Fields named like LogRecord attributes (``name``, ``msg``) are fine: they
    live in one record attribute and are renamed on output, never a KeyError. Thread-safe.

    ``exc_info=`` (True, an exception, or a ``sys.exc_info()`` tuple) and ``stack_info=True``
    keep their stdlib meaning and are not fields. The level methods take nothing else by
    keyword, so a call below the level threshold costs one dict lookup.

    Records carry no caller location (``pathname``, ``lineno``, ``funcName``) unless
    ``caller_info=True``: finding the caller is a large part of stdlib logging's cost per record.
    """

    __slots__ = ("_cache", "_caller_info", "_fields", "logger")

    def __init__(
        self,
        logger: logging.Logger,
        fields: Mapping[str, object] = _NO_FIELDS,
        *,
        caller_info: bool = False,
    ) -> None:
        self.logger = logger
        # stdlib's per-logger {level: enabled} cache, cleared in place on every level change: a
        # False there lets a disabled call return without a method call.
        self._cache: dict[int, bool] = getattr(logger, "_cache", {})
        self._fields = fields
        self._caller_info = caller_info

    @property
    def name(self) -> str:
        return self.logger.name

    @property
    def fields(self) -> Mapping[str, object]:
        """The fields bound to this logger (read-only)."""
        return MappingProxyType(dict(self._fields))

    def __repr__(self) -> str:
        return f"<BoundLogger {self.logger.name!r} fields={dict(self._fields)!r}>"

    def bind(self, **fields: object) -> BoundLogger:
        """A child logger carrying ``fields`` on every record, on top of this one's."""
        return BoundLogger(
            self.logger, MappingProxyType({**self._fields, **fields}), caller_info=self._caller_info
        )

    def unbind(self, *keys: str) -> BoundLogger:
        """A child logger without ``keys`` (missing keys are ignored)."""
        remaining = {key: value for key, value in self._fields.items() if key not in keys}
        return BoundLogger(self.logger, MappingProxyType(remaining), caller_info=self._caller_info)

    def is_enabled_for(self, level: int) -> bool:
        return self.logger.isEnabledFor(level)

    def debug(self, msg: object, /, *args: object, **fields: object) -> None:
        if self._cache.get(_DEBUG) is not False and self.logger.isEnabledFor(_DEBUG):
            self._log(_DEBUG, msg, args, fields)

    def info(self, msg: object, /, *args: object, **fields: object) -> None:
        if self._cache.get(_INFO) is not False and self.logger.isEnabledFor(_INFO):
            self._log(_INFO, msg, args, fields)

    def warning(self, msg: object, /, *args: object, **fields: object) -> None:
        if self._cache.get(_WARNING) is not False and self.logger.isEnabledFor(_WARNING):
            self._log(_WARNING, msg, args, fields)

    def error(self, msg: object, /, *args: object, **fields: object) -> None:
        if self._cache.get(_ERROR) is not False and self.logger.isEnabledFor(_ERROR):
            self._log(_ERROR, msg, args, fields)

    def exception(self, msg: object, /, *args: object, **fields: object) -> None:
        """Log at ERROR with the exception being handled (its type, message and traceback)."""
        if self._cache.get(_ERROR) is not False and self.logger.isEnabledFor(_ERROR):
            self._log(_ERROR, msg, args, fields, True)

    def critical(self, msg: object, /, *args: object, **fields: object) -> None:
        if self._cache.get(_CRITICAL) is not False and self.logger.isEnabledFor(_CRITICAL):
            self._log(_CRITICAL, msg, args, fields)

    def log(self, level: int, msg: object, /, *args: object, **fields: object) -> None:
        if self._cache.get(level) is not False and self.logger.isEnabledFor(level):
            self._log(level, msg, args, fields)

    def _log(
        self,
        level: int,
        msg: object,
        args: tuple[object, ...],
        fields: dict[str, object],
        exc_info: object = None,
    ) -> None:
        stack_info = False
        if fields and ("exc_info" in fields or "stack_info" in fields):
            exc_info = fields.pop("exc_info", exc_info)
            stack_info = bool(fields.pop("stack_info", False))
        logger = self.logger
        exception: SysExcInfo | None = None
        if isinstance(exc_info, BaseException):
            exception = (type(exc_info), exc_info, exc_info.__traceback__)
        elif isinstance(exc_info, tuple) and len(exc_info) == 3:
            exception = exc_info  # sys.exc_info()-shaped, by contract
        elif exc_info:
            exception = sys.exc_info()
        if self._fields:
            fields = {**self._fields, **fields} if fields else dict(self._fields)
        if self._caller_info or stack_info:
            extra = {FIELDS_ATTR: fields, CONTEXT_ATTR: CURRENT.get()}
            logger._log(level, msg, args, exception, extra, stack_info, stacklevel=_STACKLEVEL)
            return
        record = logger.makeRecord(logger.name, level, "(unknown file)", 0, msg, args, exception)
        attributes = record.__dict__
        attributes[FIELDS_ATTR] = fields
        attributes[CONTEXT_ATTR] = CURRENT.get()
        logger.handle(record)


def get_logger(
    name: str | None = None, *, caller_info: bool = False, **fields: object
) -> BoundLogger:
    """The BoundLogger over ``logging.getLogger(name)``, optionally with bound ``fields``.

    ``caller_info=True`` fills ``pathname``/``lineno``/``funcName`` on each record (slower).
    """
    fields_map = MappingProxyType(fields) if fields else _NO_FIELDS
    return BoundLogger(logging.getLogger(name), fields_map, caller_info=caller_info)
