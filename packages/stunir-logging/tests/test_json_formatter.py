"""JSONFormatter: canonical lines for every record, presets, redaction, dictConfig."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import re
from collections.abc import Callable

import pytest

from stunir.logging import ECS, OTEL, ConfigurationError, FieldNames, JSONFormatter, get_logger

MakeLogger = Callable[..., tuple[logging.Logger, io.StringIO]]
ReadLines = Callable[[io.StringIO], list[dict[str, object]]]
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def _record(msg: str = "hello", **attrs: object) -> logging.LogRecord:
    record = logging.LogRecord("app", logging.INFO, "/src/app.py", 12, msg, None, None)
    record.__dict__.update(attrs)
    return record


def test_timestamp_is_rfc3339_utc_from_the_record_time() -> None:
    record = _record()
    record.created = 1796302957.123456  # 2026-12-03T13:02:37.123456Z
    line = json.loads(JSONFormatter().format(record))
    assert line["timestamp"] == "2026-12-03T13:02:37.123Z"
    assert RFC3339_UTC.match(str(line["timestamp"]))
    six = json.loads(JSONFormatter(timestamp_digits=6).format(record))
    assert six["timestamp"] == "2026-12-03T13:02:37.123456Z"


def test_line_is_canonical_and_single_line_even_with_newlines_in_values() -> None:
    record = _record('first\nsecond\r\n{"forged": true}', note="a\u2028b")
    text = JSONFormatter().format(record)
    assert "\n" not in text
    assert "\r" not in text
    line = json.loads(text)
    assert line["message"] == 'first\nsecond\r\n{"forged": true}'
    assert text == json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_non_json_values_never_raise() -> None:
    record = _record(
        nan=float("nan"), blob=b"\x01", items={3, 1}, big=2**64, obj=object(), inf=float("inf")
    )
    line = json.loads(JSONFormatter().format(record))
    assert line["nan"] == "NaN"
    assert line["inf"] == "Infinity"
    assert line["blob"] == "AQ=="
    assert line["items"] == [1, 3]
    assert line["big"] == str(2**64)
    assert str(line["obj"]).startswith("<object object at")


def test_ecs_preset_names(json_logger: MakeLogger, read_lines: ReadLines) -> None:
    _, stream = json_logger(
        "ecs", JSONFormatter(fields="ecs", static_fields={"ecs.version": "8.11.0"})
    )
    try:
        raise RuntimeError("down")
    except RuntimeError:
        get_logger("ecs").exception("failed", order_id=1)
    (line,) = read_lines(stream)
    assert set(line) == {
        "@timestamp", "log.level", "log.logger", "message", "order_id", "ecs.version",
        "error.type", "error.message", "error.stack_trace",
    }  # fmt: skip
    assert line["error.type"] == "RuntimeError"
    assert JSONFormatter(fields=ECS).field_names is ECS


def test_otel_preset_nests_fields_under_attributes(
    json_logger: MakeLogger, read_lines: ReadLines
) -> None:
    _, stream = json_logger("otel", JSONFormatter(fields="otel"))
    logger = get_logger("otel")
    logger.warning("hot", temperature=81)
    try:
        raise OSError("disk")
    except OSError:
        logger.exception("io")
    logger.info("bare")
    first, second, third = read_lines(stream)
    assert first["body"] == "hot"
    assert first["severity_text"] == "WARNING"
    assert first["severity_number"] == 13
    assert first["scope_name"] == "otel"
    assert first["attributes"] == {"temperature": 81}
    attributes = second["attributes"]
    assert isinstance(attributes, dict)
    assert attributes["exception.type"] == "OSError"
    assert second["severity_number"] == 17
    assert "attributes" not in third
    assert JSONFormatter(fields=OTEL).field_names.fields_key == "attributes"


def test_custom_field_names() -> None:
    names = FieldNames(timestamp="ts", level="lvl", logger="src", message="msg")
    line = json.loads(JSONFormatter(fields=names).format(_record(ts="user ts")))
    assert set(line) == {"ts", "lvl", "src", "msg", "field_ts"}


def test_redaction_masks_sensitive_keys_anywhere(
    json_logger: MakeLogger, read_lines: ReadLines
) -> None:
    _, stream = json_logger("red", JSONFormatter(redact=True))
    payload = {"user": "ann", "Password": "hunter2", "nested": [{"api_key": "k"}]}
    get_logger("red").info("login", request=payload, authorization="Bearer x", note="ok")
    (line,) = read_lines(stream)
    assert line["authorization"] == "[REDACTED]"
    assert line["request"] == {
        "user": "ann",
        "Password": "[REDACTED]",
        "nested": [{"api_key": "[REDACTED]"}],
    }
    assert line["note"] == "ok"
    assert payload["Password"] == "hunter2"  # the caller's data is not mutated


def test_redaction_with_custom_keys_and_replacement() -> None:
    formatter = JSONFormatter(redact=["ssn"], redact_replacement="***")
    line = json.loads(formatter.format(_record(ssn="1", customer_ssn="2", token="t")))
    assert (line["ssn"], line["customer_ssn"], line["token"]) == ("***", "***", "t")


def test_record_attrs_are_included_on_request() -> None:
    line = json.loads(JSONFormatter(record_attrs=["lineno", "pathname"]).format(_record()))
    assert (line["lineno"], line["pathname"]) == (12, "/src/app.py")


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        ({"fields": "gelf"}, "fields"),
        ({"timestamp_digits": 9}, "timestamp_digits"),
        ({"record_attrs": ["nope"]}, "record_attrs"),
        ({"record_attrs": "lineno"}, "record_attrs"),
        ({"redact": "password"}, "redact"),
        ({"redact": []}, "redact"),
        ({"redact": 3}, "redact"),
    ],
)
def test_bad_options_are_refused_with_the_setting_named(
    kwargs: dict[str, object], setting: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        JSONFormatter(**kwargs)  # type: ignore[arg-type]
    assert info.value.setting == setting
    assert setting in str(info.value)


def test_constructible_from_dictconfig() -> None:
    stream = io.StringIO()
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "canonical": {
                    "()": "stunir.logging.JSONFormatter",
                    "fields": "ecs",
                    "redact": ["password"],
                }
            },
            "handlers": {
                "out": {
                    "class": "logging.StreamHandler",
                    "formatter": "canonical",
                    "stream": stream,
                }
            },
            "loggers": {"dc": {"handlers": ["out"], "level": "INFO", "propagate": False}},
        }
    )
    get_logger("dc").info("configured", password="x")
    line = json.loads(stream.getvalue())
    assert line["log.logger"] == "dc"
    assert line["password"] == "[REDACTED]"


def test_exc_text_without_exc_info_is_kept() -> None:
    record = _record()
    record.exc_text = "Traceback: cached elsewhere"
    line = json.loads(JSONFormatter().format(record))
    assert line["exception"] == {"traceback": "Traceback: cached elsewhere"}


def test_non_string_messages_are_rendered() -> None:
    record = _record()
    record.msg = {"event": "dict message"}  # type: ignore[assignment]
    line = json.loads(JSONFormatter().format(record))
    assert line["message"] == "{'event': 'dict message'}"


def test_an_internal_failure_still_produces_a_line(monkeypatch: pytest.MonkeyPatch) -> None:
    formatter = JSONFormatter()

    def broken(record: logging.LogRecord) -> str:
        raise RuntimeError("bug")

    monkeypatch.setattr(formatter, "_format", broken)
    line = json.loads(formatter.format(_record("kept")))
    assert line == {"logger": "app", "message": "'kept'", "formatter_error": "RuntimeError: bug"}
