"""configure_logging: idempotent, every library rendered once, bad settings refused up front."""

from __future__ import annotations

import io
import json
import logging
import warnings

import pytest

from stunir.logging import (
    AsyncHandler,
    ColoredFormatter,
    ConfigurationError,
    JSONFormatter,
    configure_logging,
    get_logger,
    log_context,
)


def test_the_contract_example_writes_one_canonical_line_with_both_fields() -> None:
    stream = io.StringIO()
    configure_logging(level="INFO", json_output=True, stream=stream)
    logger = get_logger("myapp")
    with log_context(request_id="abc123", user="admin"):
        logger.info("Processing request")
    (text,) = stream.getvalue().splitlines()
    line = json.loads(text)
    assert (line["request_id"], line["user"], line["message"]) == (
        "abc123",
        "admin",
        "Processing request",
    )


def test_third_party_stdlib_loggers_are_rendered_once_the_same_way() -> None:
    stream = io.StringIO()
    configure_logging(json_output=True, stream=stream)
    with log_context(request_id="r1"):
        logging.getLogger("urllib3.connectionpool").warning("retrying %s", "GET /")
        logging.getLogger("sqlalchemy").info("query", extra={"rows": 3})
    lines = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert [line["logger"] for line in lines] == ["urllib3.connectionpool", "sqlalchemy"]
    assert lines[0]["message"] == "retrying GET /"
    assert lines[1]["rows"] == 3
    assert all(line["request_id"] == "r1" for line in lines)


def test_calling_it_twice_never_doubles_output() -> None:
    stream = io.StringIO()
    configure_logging(json_output=True, stream=stream)
    first = logging.getLogger().handlers[0]
    configure_logging(json_output=True, stream=stream)
    configure_logging(json_output=True, stream=stream)
    logging.getLogger("lib").warning("once")
    assert stream.getvalue().count("once") == 1
    assert len(logging.getLogger().handlers) == 1
    assert first not in logging.getLogger().handlers


def test_existing_root_handlers_are_replaced_and_user_handlers_left_open() -> None:
    mine = logging.StreamHandler(io.StringIO())
    logging.getLogger().addHandler(mine)
    configure_logging(stream=io.StringIO())
    assert mine not in logging.getLogger().handlers
    assert mine.stream is not None
    mine.stream.write("still open")


def test_levels_and_per_logger_levels() -> None:
    stream = io.StringIO()
    configure_logging(level="warning", json_output=True, stream=stream, levels={"noisy": "ERROR"})
    assert logging.getLogger().level == logging.WARNING
    logging.getLogger("app").info("hidden")
    logging.getLogger("noisy").warning("hidden too")
    logging.getLogger("noisy").error("shown")
    assert [json.loads(t)["message"] for t in stream.getvalue().splitlines()] == ["shown"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"level": "VERBOSE"}, "level='VERBOSE' is not valid: expected one of CRITICAL"),
        ({"level": -1}, "level=-1"),
        ({"level": None}, "level=None"),
        ({"levels": {"x": "LOUD"}}, "levels['x']='LOUD'"),
        ({"colors": "maybe"}, "colors='maybe'"),
        ({"fields": "gelf"}, "fields='gelf'"),
        ({"stream": 42}, "stream=42"),
        ({"handlers": [object()]}, "handlers="),
        ({"redact": "password"}, "redact='password'"),
    ],
)
def test_bad_configuration_is_refused_before_anything_changes(
    kwargs: dict[str, object], message: str
) -> None:
    before = list(logging.getLogger().handlers)
    with pytest.raises(ConfigurationError) as info:
        configure_logging(**kwargs)  # type: ignore[arg-type]
    assert message in str(info.value)
    assert logging.getLogger().handlers == before


def test_console_output_uses_the_coloured_formatter_by_default() -> None:
    stream = io.StringIO()
    (handler,) = configure_logging(stream=stream, colors=False)
    assert isinstance(handler.formatter, ColoredFormatter)
    logging.getLogger("app").warning("plain text")
    assert stream.getvalue().rstrip().endswith("WARNING  app: plain text")


def test_extra_handlers_get_the_formatter_unless_they_have_one() -> None:
    bare = logging.StreamHandler(io.StringIO())
    styled = logging.StreamHandler(io.StringIO())
    styled.setFormatter(logging.Formatter("%(message)s"))
    handlers = configure_logging(json_output=True, console=False, handlers=[bare, styled])
    assert handlers == [bare, styled]
    assert isinstance(bare.formatter, JSONFormatter)
    assert not isinstance(styled.formatter, JSONFormatter)


def test_async_output_puts_handlers_behind_one_queue() -> None:
    stream = io.StringIO()
    (queue,) = configure_logging(json_output=True, stream=stream, async_output=True)
    assert isinstance(queue, AsyncHandler)
    logging.getLogger("app").warning("queued")
    assert queue.flush(timeout_seconds=5)
    assert json.loads(stream.getvalue())["message"] == "queued"
    configure_logging(stream=io.StringIO())  # the queue it created is closed
    assert queue.stats().pending == 0


def test_warnings_are_captured_into_logging() -> None:
    stream = io.StringIO()
    configure_logging(json_output=True, stream=stream, capture_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("old api", DeprecationWarning, stacklevel=1)
    (line,) = [json.loads(t) for t in stream.getvalue().splitlines()]
    assert line["logger"] == "py.warnings"
    assert "old api" in str(line["message"])
    configure_logging(stream=io.StringIO(), capture_warnings=False)


def test_what_it_builds_can_be_built_with_dictconfig_to_the_same_output() -> None:
    import logging.config

    ours = io.StringIO()
    configure_logging(level="INFO", json_output=True, stream=ours, redact=True, fields="ecs")
    with log_context(request_id="r1"):
        get_logger("same").info("hello", password="x", n=1)
    theirs = io.StringIO()
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "json": {"()": "stunir.logging.JSONFormatter", "fields": "ecs", "redact": True}
            },
            "handlers": {
                "console": {"class": "logging.StreamHandler", "stream": theirs, "formatter": "json"}
            },
            "root": {"handlers": ["console"], "level": "INFO"},
        }
    )
    with log_context(request_id="r1"):
        get_logger("same").info("hello", password="x", n=1)
    first, second = json.loads(ours.getvalue()), json.loads(theirs.getvalue())
    first.pop("@timestamp")
    second.pop("@timestamp")
    assert first == second
    assert first["password"] == "[REDACTED]"
