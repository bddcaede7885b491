"""Exceptions that steer the program, not report a fault: never retried, never counted."""

from __future__ import annotations

import asyncio

CONTROL_FLOW: tuple[type[BaseException], ...] = (
    asyncio.CancelledError,
    KeyboardInterrupt,
    SystemExit,
    GeneratorExit,
)
