"""Where each part of a record goes in a JSON line: the field naming presets."""

from __future__ import annotations

from dataclasses import dataclass

from stunir.logging.errors import ConfigurationError

__all__ = ["ECS", "OTEL", "PLAIN", "FieldNames", "field_names"]


@dataclass(frozen=True, slots=True)
class FieldNames:
    """Output key for each part of a record.

    ``fields_key`` nests the structured fields under one key (OpenTelemetry's ``attributes``)
    instead of the top level. ``exception_key`` holds ``{"type", "message", "traceback"}``;
    when it is None the three go to ``error_type``/``error_message``/``error_stack`` instead.
    """

    timestamp: str = "timestamp"
    level: str = "level"
    logger: str = "logger"
    message: str = "message"
    exception_key: str | None = "exception"
    error_type: str = "error.type"
    error_message: str = "error.message"
    error_stack: str = "error.stack_trace"
    stack: str = "stack"
    level_number: str | None = None
    fields_key: str | None = None

    def top_level_keys(self) -> frozenset[str]:
        keys = {self.timestamp, self.level, self.logger, self.message, self.stack}
        keys |= {self.exception_key} if self.exception_key else set()
        if self.exception_key is None and self.fields_key is None:
            keys |= {self.error_type, self.error_message, self.error_stack}
        keys |= {key for key in (self.level_number, self.fields_key) if key}
        return frozenset(keys)


PLAIN = FieldNames()
ECS = FieldNames(timestamp="@timestamp", level="log.level", logger="log.logger", exception_key=None)
OTEL = FieldNames(
    level="severity_text",
    level_number="severity_number",
    logger="scope_name",
    message="body",
    exception_key=None,
    error_type="exception.type",
    error_message="exception.message",
    error_stack="exception.stacktrace",
    fields_key="attributes",
)
_PRESETS = {"plain": PLAIN, "ecs": ECS, "otel": OTEL}


def field_names(preset: str | FieldNames) -> FieldNames:
    """The FieldNames for a preset name (``plain``, ``ecs``, ``otel``) or a FieldNames itself."""
    if isinstance(preset, FieldNames):
        return preset
    try:
        return _PRESETS[preset]
    except (KeyError, TypeError):
        raise ConfigurationError(
            "fields", preset, "'plain', 'ecs', 'otel' or a FieldNames"
        ) from None


def otel_severity_number(levelno: int) -> int:
    """OpenTelemetry's SeverityNumber for a stdlib level (DEBUG 5, INFO 9, ... CRITICAL 21)."""
    return min(24, max(1, levelno * 4 // 10 + 1))
