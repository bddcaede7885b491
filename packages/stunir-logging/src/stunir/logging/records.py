"""What a LogRecord carries beyond stdlib's attributes: fields, context, and how to read them.

stunir stores structured fields in one record attribute, so a field called ``name`` or ``msg``
never collides with a LogRecord attribute (stdlib's ``extra=`` raises KeyError for those).
Formatters rename such keys on output (``name`` -> ``field_name``) so they cannot shadow the
line's own keys either.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Collection, Mapping

from stunir.logging.context import CURRENT

__all__ = [
    "CONTEXT_ATTR",
    "FIELDS_ATTR",
    "RESERVED_ATTRS",
    "TEMPLATE_ATTR",
    "exception_fields",
    "message_of",
    "record_fields",
]

FIELDS_ATTR = "stunir_fields"
CONTEXT_ATTR = "stunir_context"
TEMPLATE_ATTR = "stunir_template"
_OURS = frozenset({FIELDS_ATTR, CONTEXT_ATTR, TEMPLATE_ATTR})
RESERVED_ATTRS = frozenset(
    {*vars(logging.makeLogRecord({})), "message", "asctime", "taskName", "stack_info"}
)
_NOT_FIELDS = RESERVED_ATTRS | _OURS
_LEN_WITH_OURS = len(vars(logging.makeLogRecord({FIELDS_ATTR: None, CONTEXT_ATTR: None})))
RENAME_PREFIX = "field_"


def record_fields(
    record: logging.LogRecord, reserved: frozenset[str] = RESERVED_ATTRS
) -> dict[str, object]:
    """The record's fields: context, then stdlib ``extra=`` attributes, then logger fields.

    A later source wins a key. Keys in ``reserved`` are renamed with the ``field_`` prefix.
    The context is the one captured when the record was made, else the current one.
    """
    attributes = record.__dict__
    context = attributes.get(CONTEXT_ATTR)
    if context is None:
        context = CURRENT.get()
    fields: Mapping[str, object] | None = attributes.get(FIELDS_ATTR)
    if fields is not None and len(attributes) == _LEN_WITH_OURS:
        # A stunir logger's record with nothing else added: the common case, kept short.
        merged = {**context, **fields} if context else dict(fields)
        return merged if reserved.isdisjoint(merged) else _rename(merged, reserved)
    extra_keys = attributes.keys() - _NOT_FIELDS
    if not extra_keys:
        if not context:
            merged = dict(fields) if fields else {}
        elif fields:
            merged = {**context, **fields}
        else:
            merged = dict(context)
    else:
        merged = dict(context)
        for key in sorted(extra_keys):
            merged[key] = attributes[key]
        if fields:
            merged.update(fields)
    if not reserved.isdisjoint(merged):
        merged = _rename(merged, reserved)
    return merged


def _rename(fields: dict[str, object], reserved: Collection[str]) -> dict[str, object]:
    renamed: dict[str, object] = {}
    for key, value in fields.items():
        if key in reserved:
            new_key = RENAME_PREFIX + key
            while new_key in fields or new_key in renamed or new_key in reserved:
                new_key = RENAME_PREFIX + new_key
            renamed[new_key] = value
        else:
            renamed[key] = value
    return renamed


def message_of(record: logging.LogRecord) -> tuple[str, str | None]:
    """The rendered message, and the error text when ``msg % args`` failed (never raises)."""
    msg = record.msg
    if type(msg) is str and not record.args:
        return msg, None
    try:
        return record.getMessage(), None
    except Exception as exc:  # bad %-args from a caller must not lose the record
        try:
            template = str(record.msg)
        except Exception:  # a broken __str__ on the msg object
            template = f"<unprintable {type(record.msg).__qualname__}>"
        return template, f"{type(exc).__name__}: {exc} (args={record.args!r})"


def exception_fields(record: logging.LogRecord) -> dict[str, object] | None:
    """``{"type", "message", "traceback"}`` for the record's exception, or None."""
    exc_info = record.exc_info
    if not exc_info or exc_info[0] is None:
        if record.exc_text:
            return {"traceback": record.exc_text}
        return None
    kind, exc, tb = exc_info
    module = kind.__module__
    name = kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"
    try:
        message = str(exc)
    except Exception:  # a broken __str__ on the exception
        message = f"<unprintable {kind.__qualname__}>"
    try:
        text = "".join(traceback.format_exception(kind, exc, tb)).rstrip("\n")
    except Exception:  # formatting a hostile exception chain
        text = f"{name}: {message}"
    return {"type": name, "message": message, "traceback": text}
