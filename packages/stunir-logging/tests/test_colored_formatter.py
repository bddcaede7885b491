"""ColoredFormatter: readable lines, colour only where wanted, no forged lines or escapes."""

from __future__ import annotations

import io
import logging

import pytest

from stunir.logging import ColoredFormatter, ConfigurationError, escape_controls, should_color


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


class BrokenTTY(io.StringIO):
    def isatty(self) -> bool:
        raise ValueError("closed")


def _record(msg: str = "hello", level: int = logging.INFO, **fields: object) -> logging.LogRecord:
    record = logging.LogRecord("app", level, __file__, 1, msg, None, None)
    record.__dict__.update(fields)
    return record


@pytest.mark.parametrize(
    ("environ", "stream", "colors", "expected"),
    [
        ({}, FakeTTY(), "auto", True),
        ({}, io.StringIO(), "auto", False),
        ({"NO_COLOR": "1"}, FakeTTY(), "auto", False),
        ({"NO_COLOR": ""}, FakeTTY(), "auto", True),  # empty NO_COLOR does not count
        ({"FORCE_COLOR": "1"}, io.StringIO(), "auto", True),
        ({"FORCE_COLOR": "0"}, FakeTTY(), "auto", True),  # "0" does not force; the TTY decides
        ({"FORCE_COLOR": "0"}, io.StringIO(), "auto", False),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, FakeTTY(), "auto", False),
        ({"TERM": "dumb"}, FakeTTY(), "auto", False),
        ({"NO_COLOR": "1"}, io.StringIO(), True, True),
        ({"FORCE_COLOR": "1"}, FakeTTY(), "never", False),
        ({}, BrokenTTY(), "auto", False),
        ({}, object(), "auto", False),
    ],
)
def test_colour_decision(
    environ: dict[str, str], stream: object, colors: object, expected: bool
) -> None:
    assert should_color(stream, colors, environ) is expected  # type: ignore[arg-type]


def test_environment_is_read_from_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    assert ColoredFormatter(stream=FakeTTY()).colors_enabled is False
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert ColoredFormatter(stream=io.StringIO()).colors_enabled is True


def test_bad_colour_mode_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="colors='sometimes'"):
        ColoredFormatter(colors="sometimes")  # type: ignore[arg-type]


def test_plain_line_layout() -> None:
    record = _record("paid", order_id=7, note="two words", amount=12.5)
    record.created = 1796302957.5
    line = ColoredFormatter(colors=False).format(record)
    assert line == (
        '2026-12-03T13:02:37.500Z INFO     app: paid amount=12.5 note="two words" order_id=7'
    )


def test_coloured_line_has_ansi_codes_and_the_same_text() -> None:
    record = _record("paid", level=logging.ERROR, order_id=7)
    coloured = ColoredFormatter(colors=True).format(record)
    assert "\x1b[31m" in coloured
    stripped = coloured
    for code in ("\x1b[0m", "\x1b[2m", "\x1b[31m", "\x1b[1m", "\x1b[36m"):
        stripped = stripped.replace(code, "")
    assert stripped == ColoredFormatter(colors=False).format(record)


@pytest.mark.parametrize(
    "hostile",
    [
        "ok\n2026-12-03T00:00:00.000Z CRITICAL app: forged",
        "ok\r\x1b[2Kforged",
        "bell\x07 and \x1b]0;title\x07",
        "rtl \u202e override",
        "line\u2028separator",
        "c1 \x85 next line",
    ],
)
def test_control_characters_cannot_forge_a_line_or_an_escape(hostile: str) -> None:
    record = _record(hostile, field=hostile)
    line = ColoredFormatter(colors=False).format(record)
    assert "\n" not in line
    assert "\r" not in line
    assert "\x1b" not in line
    assert "\u202e" not in line
    assert "\u2028" not in line
    assert "\x85" not in line


def test_escape_controls_is_visible_and_leaves_printable_text_alone() -> None:
    assert escape_controls("a\nb\tc\x1b[0m\u202e") == "a\\nb\\tc\\x1b[0m\\u202e"
    assert escape_controls("café ✓ 😀") == "café ✓ 😀"


def test_traceback_lines_are_prefixed_so_they_cannot_pass_for_records() -> None:
    try:
        raise ValueError("bad\nINFO forged")
    except ValueError:
        record = _record("failed", level=logging.ERROR)
        import sys

        record.exc_info = sys.exc_info()
    text = ColoredFormatter(colors=False).format(record)
    first, *rest = text.split("\n")
    assert first.endswith("app: failed")
    assert rest
    assert all(line.startswith("  | ") for line in rest)
    assert "  | Traceback (most recent call last):" in rest


def test_redaction_is_shown() -> None:
    record = _record("login", password="hunter2")
    line = ColoredFormatter(colors=False, redact=True).format(record)
    assert line.endswith("app: login password=[REDACTED]")


def test_bad_format_args_are_reported_in_the_line() -> None:
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "n=%d", ("x",), None)
    line = ColoredFormatter(colors=False).format(record)
    assert "n=%d" in line
    assert "format_error=" in line


def test_constructible_from_dictconfig_with_an_ext_stream() -> None:
    import logging.config

    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "console": {
                    "()": "stunir.logging.ColoredFormatter",
                    "colors": "auto",
                    "stream": "ext://sys.stderr",
                    "environ": {"FORCE_COLOR": "1"},
                }
            },
            "handlers": {"h": {"class": "logging.NullHandler", "formatter": "console"}},
            "loggers": {"dc.colored": {"handlers": ["h"], "propagate": False}},
        }
    )
    formatter = logging.getLogger("dc.colored").handlers[0].formatter
    assert isinstance(formatter, ColoredFormatter)
    assert formatter.colors_enabled is True
