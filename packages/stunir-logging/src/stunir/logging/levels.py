"""Level names and numbers, checked: an unknown level is refused, never silently ignored."""

from __future__ import annotations

import logging

from stunir.logging.errors import ConfigurationError

_NAMES = ("CRITICAL", "FATAL", "ERROR", "WARN", "WARNING", "INFO", "DEBUG", "NOTSET")


def parse_level(value: int | str, *, setting: str = "level") -> int:
    """The numeric level for a level name (any case) or number; raises ConfigurationError."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigurationError(setting, value, "a level name such as 'INFO' or an int")
    if isinstance(value, int):
        if value < 0:
            raise ConfigurationError(setting, value, "a level number >= 0")
        return value
    number = logging.getLevelName(value.strip().upper())
    if isinstance(number, int):
        return number
    known = ", ".join(name for name in _NAMES if name not in ("FATAL", "WARN"))
    raise ConfigurationError(setting, value, f"one of {known} (any case) or an int")
