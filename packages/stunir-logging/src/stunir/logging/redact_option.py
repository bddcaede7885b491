"""The ``redact=`` option shared by formatters, filters and configure_logging."""

from __future__ import annotations

from collections.abc import Iterable

from stunir.logging.errors import ConfigurationError
from stunir.logging.redaction import DEFAULT_SENSITIVE_KEYS, REDACTED, Redactor

RedactOption = bool | Iterable[str] | Redactor | None


def make_redactor(redact: RedactOption, replacement: str = REDACTED) -> Redactor | None:
    """None/False: no redaction; True: the default keys; names: those keys; a Redactor: itself."""
    if redact is None or redact is False:
        return None
    if redact is True:
        return Redactor(DEFAULT_SENSITIVE_KEYS, replacement=replacement)
    if isinstance(redact, Redactor):
        return redact
    if isinstance(redact, str) or not isinstance(redact, Iterable):
        raise ConfigurationError("redact", redact, "True, False, or a list of key names")
    return Redactor(redact, replacement=replacement)
