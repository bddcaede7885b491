"""Structured canonical-JSON (RFC 8785) and coloured logging on top of stdlib logging."""

from stunir.logging.async_handler import AsyncHandler, AsyncHandlerStats, OverflowPolicy
from stunir.logging.canonical import canonical_dumps
from stunir.logging.colored_formatter import ColoredFormatter
from stunir.logging.configure import configure_logging
from stunir.logging.context import get_context, log_context, propagate_context
from stunir.logging.conversion import to_json_value
from stunir.logging.ecmascript import format_number
from stunir.logging.errors import ConfigurationError, LoggingError
from stunir.logging.escaping import escape_controls
from stunir.logging.filters import (
    ContextFilter,
    LevelRangeFilter,
    RedactionFilter,
    SamplingFilter,
    SamplingStats,
)
from stunir.logging.json_formatter import JSONFormatter
from stunir.logging.logger import BoundLogger, get_logger
from stunir.logging.rate_limit import RateLimitFilter, RateLimitStats
from stunir.logging.redaction import DEFAULT_SENSITIVE_KEYS, Redactor
from stunir.logging.rotating_file import RotatingFileHandler, RotationStats
from stunir.logging.schema import ECS, OTEL, PLAIN, FieldNames
from stunir.logging.syslog_handler import SyslogHandler
from stunir.logging.terminal import ColorMode, should_color

__version__ = "0.2.0"

__all__ = [
    "DEFAULT_SENSITIVE_KEYS",
    "ECS",
    "OTEL",
    "PLAIN",
    "AsyncHandler",
    "AsyncHandlerStats",
    "BoundLogger",
    "ColorMode",
    "ColoredFormatter",
    "ConfigurationError",
    "ContextFilter",
    "FieldNames",
    "JSONFormatter",
    "LevelRangeFilter",
    "LoggingError",
    "OverflowPolicy",
    "RateLimitFilter",
    "RateLimitStats",
    "RedactionFilter",
    "Redactor",
    "RotatingFileHandler",
    "RotationStats",
    "SamplingFilter",
    "SamplingStats",
    "SyslogHandler",
    "__version__",
    "canonical_dumps",
    "configure_logging",
    "escape_controls",
    "format_number",
    "get_context",
    "get_logger",
    "log_context",
    "propagate_context",
    "should_color",
    "to_json_value",
]
