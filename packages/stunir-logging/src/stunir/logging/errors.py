"""The exceptions of stunir.logging: one base class, and the configuration error it refuses with."""

from __future__ import annotations


class LoggingError(Exception):
    """Base class of every error raised by stunir.logging."""


class ConfigurationError(LoggingError, ValueError):
    """A setting refused at the boundary: names the setting, the bad value and what was expected.

    Logging itself never raises; only building loggers, formatters, filters and handlers does.
    """

    def __init__(self, setting: str, value: object, expected: str) -> None:
        self.setting = setting
        self.value = value
        self.expected = expected
        super().__init__(f"{setting}={value!r} is not valid: expected {expected}")
