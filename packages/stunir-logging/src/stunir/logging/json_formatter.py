"""One RFC 8785 canonical JSON object per record, whichever library logged it."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from stunir.logging.canonical import encode_record
from stunir.logging.errors import ConfigurationError
from stunir.logging.records import RESERVED_ATTRS, exception_fields, message_of, record_fields
from stunir.logging.redact_option import RedactOption, make_redactor
from stunir.logging.redaction import REDACTED
from stunir.logging.schema import FieldNames, field_names, otel_severity_number
from stunir.logging.timestamps import rfc3339_utc

__all__ = ["JSONFormatter"]


class JSONFormatter(logging.Formatter):
    """Renders each record as one line of RFC 8785 canonical JSON; never raises.

    Keys (``plain`` preset): ``timestamp`` (RFC 3339, UTC), ``level``, ``logger``, ``message``,
    the record's fields (context, ``extra=``, logger fields) at the top level, ``exception``
    (``{"type", "message", "traceback"}``) and ``stack`` when present. ``fields="ecs"`` or
    ``"otel"`` switches the names (see FieldNames). Values JSON cannot carry are converted by
    the rules of ``to_json_value``. Constructible from ``logging.config.dictConfig`` with
    ``"()": "stunir.logging.JSONFormatter"`` and these keyword arguments.
    """

    def __init__(
        self,
        *,
        fields: str | FieldNames = "plain",
        redact: RedactOption = None,
        redact_replacement: str = REDACTED,
        static_fields: Mapping[str, object] | None = None,
        record_attrs: Sequence[str] = (),
        timestamp_digits: int = 3,
    ) -> None:
        super().__init__()
        if timestamp_digits not in (3, 6):
            raise ConfigurationError("timestamp_digits", timestamp_digits, "3 or 6")
        unknown = [name for name in record_attrs if name not in RESERVED_ATTRS]
        if isinstance(record_attrs, str) or unknown:
            raise ConfigurationError("record_attrs", record_attrs, "LogRecord attribute names")
        self.field_names = field_names(fields)
        self._redactor = make_redactor(redact, redact_replacement)
        self._static = dict(static_fields or {})
        self._record_attrs = tuple(record_attrs)
        self._digits = timestamp_digits
        names = self.field_names
        self._decorated = bool(
            self._record_attrs
            or self._redactor
            or self._static
            or names.fields_key
            or names.level_number
        )
        self._reserved = (
            RESERVED_ATTRS if names.fields_key else RESERVED_ATTRS | names.top_level_keys()
        )

    def format(self, record: logging.LogRecord) -> str:
        try:
            return self._format(record)
        except Exception as exc:  # the encoder is total: this guards a bug, not a user's value
            # Not logged: the report could come back to this formatter and fail again.
            return encode_record(
                {
                    "logger": str(record.name),
                    "message": repr(record.msg)[:1000],
                    "formatter_error": f"{type(exc).__name__}: {exc}"[:1000],
                }
            )

    def _format(self, record: logging.LogRecord) -> str:
        names = self.field_names
        msg = record.msg
        if type(msg) is str and not record.args:
            message, format_error = msg, None
        else:
            message, format_error = message_of(record)
        line = record_fields(record, self._reserved)
        if self._decorated or format_error is not None:
            line = self._decorate(line, record, format_error)
        line[names.timestamp] = rfc3339_utc(record.created, digits=self._digits)
        line[names.level] = record.levelname
        line[names.logger] = record.name
        line[names.message] = message
        if record.exc_info or record.exc_text:
            self._add_exception(line, record)
        if record.stack_info:
            line[names.stack] = record.stack_info
        return encode_record(line)

    def _decorate(
        self, fields: dict[str, object], record: logging.LogRecord, format_error: str | None
    ) -> dict[str, object]:
        """The optional parts: record attributes, redaction, nesting, static fields."""
        names = self.field_names
        for attr in self._record_attrs:
            fields[attr] = getattr(record, attr, None)
        if format_error is not None:
            fields["format_error"] = format_error
        if self._redactor is not None:
            fields = self._redactor.redact(fields)
        line = fields
        if names.fields_key is not None:
            line = {names.fields_key: fields} if fields else {}
        if self._static:
            line.update(self._static)
        if names.level_number:
            line[names.level_number] = otel_severity_number(record.levelno)
        return line

    def _add_exception(self, line: dict[str, object], record: logging.LogRecord) -> None:
        exception = exception_fields(record)
        if exception is None:
            return
        names = self.field_names
        if names.exception_key is not None:
            line[names.exception_key] = exception
            return
        target = line
        if names.fields_key is not None:
            target = line.setdefault(names.fields_key, {})  # type: ignore[assignment]
        for key, part in (
            (names.error_type, "type"),
            (names.error_message, "message"),
            (names.error_stack, "traceback"),
        ):
            if part in exception:
                target[key] = exception[part]
