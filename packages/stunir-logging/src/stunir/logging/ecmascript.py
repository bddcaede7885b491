"""Numbers as ECMAScript's ``Number.prototype.toString`` writes them, which RFC 8785 requires."""

from __future__ import annotations

import math

__all__ = ["format_number"]


def format_number(value: float) -> str:
    """A finite float as ECMAScript writes it (``1e-7``, ``1e+21``, ``0.000001``, ``-0`` -> ``0``).

    Raises ValueError for NaN and infinities, which JSON has no number for.
    """
    if not math.isfinite(value):
        raise ValueError(f"{value!r} has no JSON number form")
    if value == 0:
        return "0"
    text = repr(value)
    if "e" not in text:  # repr is positional for 1e-4 <= |x| < 1e16, a subset of ECMAScript's
        return text[:-2] if text.endswith(".0") else text
    mantissa, _, exponent_text = text.partition("e")
    sign = ""
    if mantissa[0] == "-":
        sign, mantissa = "-", mantissa[1:]
    digits = mantissa.replace(".", "")
    count = len(digits)
    point = int(exponent_text) + 1  # value = 0.<digits> x 10**point
    if count <= point <= 21:
        return sign + digits + "0" * (point - count)
    if 0 < point <= 21:
        return f"{sign}{digits[:point]}.{digits[point:]}"
    if -6 < point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    exponent = point - 1
    exponent_part = f"e+{exponent}" if exponent >= 0 else f"e-{-exponent}"
    if count == 1:
        return sign + digits + exponent_part
    return f"{sign}{digits[0]}.{digits[1:]}{exponent_part}"
