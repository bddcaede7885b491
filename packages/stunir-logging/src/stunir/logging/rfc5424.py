"""Building RFC 5424 syslog messages: PRI, header fields, STRUCTURED-DATA, UTF-8 MSG."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from stunir.logging.canonical import canonical_dumps
from stunir.logging.errors import ConfigurationError

__all__ = ["FACILITIES", "build_message", "header_field", "severity"]

FACILITIES = {
    "kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
    "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
    **{f"local{number}": 16 + number for number in range(8)},
}  # fmt: skip
NILVALUE = "-"
BOM = "\ufeff"
_SD_NAME_FORBIDDEN = frozenset('= ]"')


def facility_code(facility: str | int) -> int:
    if isinstance(facility, int) and not isinstance(facility, bool) and 0 <= facility <= 23:
        return facility
    if isinstance(facility, str) and facility.lower() in FACILITIES:
        return FACILITIES[facility.lower()]
    raise ConfigurationError("facility", facility, f"one of {', '.join(FACILITIES)} or 0..23")


def severity(levelno: int) -> int:
    """Syslog severity: CRITICAL 2, ERROR 3, WARNING 4, INFO 6, DEBUG (and below) 7."""
    if levelno >= logging.CRITICAL:
        return 2
    if levelno >= logging.ERROR:
        return 3
    if levelno >= logging.WARNING:
        return 4
    if levelno >= logging.INFO:
        return 6
    return 7


def header_field(value: str | None, max_length: int) -> str:
    """A header field: printable US-ASCII without spaces, at most ``max_length``; ``-`` if empty."""
    if not value:
        return NILVALUE
    cleaned = "".join(char if "!" <= char <= "~" else "_" for char in value)
    return cleaned[:max_length]


def sd_name(value: str) -> str:
    """An SD-NAME (an SD-ID or a PARAM-NAME): up to 32 printable ASCII chars but ``= ]"``."""
    cleaned = "".join(
        char if "!" <= char <= "~" and char not in _SD_NAME_FORBIDDEN else "_" for char in value
    )
    return cleaned[:32] or "_"


def check_sd_id(sd_id: object) -> str:
    if not isinstance(sd_id, str) or sd_name(sd_id) != sd_id or "@" not in sd_id:
        raise ConfigurationError(
            "sd_id", sd_id, "name@enterprise-number, printable ASCII without '= ]\"', <= 32 chars"
        )
    return sd_id


def _param_value(value: object) -> str:
    text = value if isinstance(value, str) else canonical_dumps(value)
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def structured_data(sd_id: str, fields: Mapping[str, object]) -> str:
    """One SD-ELEMENT holding ``fields`` as SD-PARAMs, or ``-`` when there are none."""
    if not fields:
        return NILVALUE
    params = "".join(f' {sd_name(key)}="{_param_value(value)}"' for key, value in fields.items())
    return f"[{sd_id}{params}]"


def build_message(
    *,
    priority: int,
    timestamp: str,
    hostname: str,
    app_name: str,
    procid: str,
    msgid: str,
    structured: str,
    message: str,
) -> bytes:
    """The SYSLOG-MSG bytes: ``<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD [BOM MSG]``."""
    head = f"<{priority}>1 {timestamp} {hostname} {app_name} {procid} {msgid} {structured}"
    if not message:
        return head.encode("ascii", "replace")
    body = (BOM + message).encode("utf-8", "replace")
    return head.encode("utf-8", "replace") + b" " + body
