"""Whether to colour a stream: explicit choice, then NO_COLOR, then FORCE_COLOR, then isatty."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal, TypeAlias

from stunir.logging.errors import ConfigurationError

__all__ = ["ColorMode", "should_color"]

ColorMode: TypeAlias = bool | Literal["auto", "always", "never"]
_FALSY = {"", "0", "false", "no", "off"}


def should_color(
    stream: object, colors: ColorMode = "auto", environ: Mapping[str, str] | None = None
) -> bool:
    """Decide colour for ``stream``.

    ``True``/``"always"`` and ``False``/``"never"`` win. ``"auto"``: no colour when ``NO_COLOR``
    is set and non-empty (https://no-color.org); colour when ``FORCE_COLOR`` is set to anything
    but ``0``/``false``; otherwise colour only on a TTY whose ``TERM`` is not ``dumb``.
    """
    if colors is True or colors == "always":
        return True
    if colors is False or colors == "never":
        return False
    if colors != "auto":
        raise ConfigurationError("colors", colors, "'auto', 'always', 'never', True or False")
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR", ""):
        return False
    force = env.get("FORCE_COLOR")
    if force is not None and force.strip().lower() not in _FALSY:
        return True
    if env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):  # a closed or detached stream
        return False
