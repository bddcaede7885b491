"""get_logger: keyword fields, bind, reserved names, structured exceptions, stdlib alongside."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

import pytest

from stunir.logging import BoundLogger, get_logger, log_context

MakeLogger = Callable[..., tuple[logging.Logger, io.StringIO]]
ReadLines = Callable[[io.StringIO], list[dict[str, object]]]


def test_keyword_fields_and_context_land_in_one_canonical_line(
    json_logger: MakeLogger, read_lines: ReadLines
) -> None:
    _, stream = json_logger("shop")
    logger = get_logger("shop")
    with log_context(request_id="abc123", user="admin"):
        logger.info("paid", order_id=7, amount=12.5)
    (line,) = read_lines(stream)
    assert line["message"] == "paid"
    assert line["level"] == "INFO"
    assert line["logger"] == "shop"
    assert {k: line[k] for k in ("order_id", "amount", "request_id", "user")} == {
        "order_id": 7,
        "amount": 12.5,
        "request_id": "abc123",
        "user": "admin",
    }
    raw = stream.getvalue()
    assert raw.count("\n") == 1
    assert list(line) == sorted(line)  # keys sorted: canonical form


def test_bind_returns_a_child_and_leaves_the_parent_alone(
    json_logger: MakeLogger, read_lines: ReadLines
) -> None:
    _, stream = json_logger("svc")
    parent = get_logger("svc", component="api")
    child = parent.bind(user="ann", component="auth")
    child.info("child")
    parent.info("parent")
    child.unbind("user", "missing").info("unbound")
    child_line, parent_line, unbound_line = read_lines(stream)
    assert (child_line["user"], child_line["component"]) == ("ann", "auth")
    assert "user" not in parent_line
    assert parent_line["component"] == "api"
    assert "user" not in unbound_line
    assert dict(child.fields) == {"component": "auth", "user": "ann"}
    assert isinstance(child, BoundLogger)
    assert child.name == "svc"
    assert "svc" in repr(child)


def test_call_fields_win_over_bound_fields_which_win_over_context(
    json_logger: MakeLogger, read_lines: ReadLines
) -> None:
    _, stream = json_logger("prec")
    logger = get_logger("prec", source="bound")
    with log_context(source="context", only_context=1):
        logger.info("a")
        logger.info("b", source="call")
    first, second = read_lines(stream)
    assert (first["source"], second["source"]) == ("bound", "call")
    assert first["only_context"] == 1


RESERVED = ["name", "msg", "args", "levelname", "exc_info", "message", "asctime", "process",
            "lineno", "level", "timestamp", "logger"]  # fmt: skip


@pytest.mark.parametrize("field", RESERVED)
def test_reserved_field_names_are_renamed_never_a_key_error(
    json_logger: MakeLogger, read_lines: ReadLines, field: str
) -> None:
    _, stream = json_logger("reserved")
    logger = get_logger("reserved")
    if field == "exc_info":
        logger.bind(exc_info="bound").info("hello")
    else:
        logger.info("hello", **{field: "user value"})
    (line,) = read_lines(stream)
    assert line[f"field_{field}"] in ("user value", "bound")
    assert line["message"] == "hello"
    assert line["logger"] == "reserved"


def test_a_renamed_key_never_overwrites_a_real_field(
    json_logger: MakeLogger, read_lines: ReadLines
) -> None:
    _, stream = json_logger("clash")
    get_logger("clash").info("x", name="a", field_name="b")
    (line,) = read_lines(stream)
    assert (line["field_name"], line["field_field_name"]) == ("b", "a")


def test_exceptions_render_structured(json_logger: MakeLogger, read_lines: ReadLines) -> None:
    _, stream = json_logger("exc")
    logger = get_logger("exc")
    try:
        raise ValueError("bad order 7")
    except ValueError:
        logger.exception("failed", order_id=7)
    try:
        raise KeyError("k")
    except KeyError as exc:
        caught = exc
    logger.error("passed explicitly", exc_info=caught)
    logger.info("no exception", exc_info=False)
    first, second, third = read_lines(stream)
    exception = first["exception"]
    assert isinstance(exception, dict)
    assert exception["type"] == "ValueError"
    assert exception["message"] == "bad order 7"
    assert str(exception["traceback"]).startswith("Traceback (most recent call last):")
    assert str(exception["traceback"]).endswith("ValueError: bad order 7")
    assert first["level"] == "ERROR"
    assert second["exception"]["type"] == "KeyError"  # type: ignore[index]
    assert "exception" not in third


def test_exception_type_names_carry_their_module(
    json_logger: MakeLogger, read_lines: ReadLines
) -> None:
    _, stream = json_logger("exc2")

    class PaymentError(Exception):
        pass

    try:
        raise PaymentError("declined")
    except PaymentError:
        get_logger("exc2").exception("x")
    (line,) = read_lines(stream)
    assert line["exception"]["type"].endswith(  # type: ignore[index]
        "test_exception_type_names_carry_their_module.<locals>.PaymentError"
    )


def test_levels_and_threshold(json_logger: MakeLogger, read_lines: ReadLines) -> None:
    logger_std, stream = json_logger("lv", level=logging.WARNING)
    logger = get_logger("lv")
    logger.debug("d")
    logger.info("i")
    logger.warning("w")
    logger.error("e")
    logger.critical("c")
    logger.log(35, "custom")
    assert [line["level"] for line in read_lines(stream)] == [
        "WARNING",
        "ERROR",
        "CRITICAL",
        "Level 35",
    ]
    assert not logger.is_enabled_for(logging.INFO)
    logger_std.setLevel(logging.DEBUG)  # the cache is cleared by stdlib: the change is seen
    logger.debug("now visible")
    assert read_lines(stream)[-1]["message"] == "now visible"


def test_disabled_logger_logs_nothing(json_logger: MakeLogger) -> None:
    std, stream = json_logger("off")
    logger = get_logger("off")
    logger.info("warm the cache")
    std.disabled = True
    logger.info("hidden")
    assert "hidden" not in stream.getvalue()


def test_percent_args_are_formatted_and_bad_args_never_raise(
    json_logger: MakeLogger, read_lines: ReadLines
) -> None:
    _, stream = json_logger("fmt")
    logger = get_logger("fmt")
    logger.info("user %s paid %d", "ann", 7)
    logger.info("broken %d", "not a number")
    good, bad = read_lines(stream)
    assert good["message"] == "user ann paid 7"
    assert bad["message"] == "broken %d"
    assert "TypeError" in str(bad["format_error"])


def test_caller_info_is_opt_in(json_logger: MakeLogger) -> None:
    from stunir.logging import JSONFormatter

    _, stream = json_logger("caller", JSONFormatter(record_attrs=["funcName", "lineno"]))
    get_logger("caller").info("without")
    get_logger("caller", caller_info=True).info("with")
    get_logger("caller").warning("stack", stack_info=True)
    import json

    without, with_, stacked = (json.loads(x) for x in stream.getvalue().splitlines())
    assert (without["funcName"], without["lineno"]) == (None, 0)
    assert with_["funcName"] == "test_caller_info_is_opt_in"
    assert stacked["funcName"] == "test_caller_info_is_opt_in"
    assert "test_caller_info_is_opt_in" in stacked["stack"]


def test_stdlib_loggers_keep_working_beside_it(
    json_logger: MakeLogger, read_lines: ReadLines
) -> None:
    std, stream = json_logger("mixed")
    std.info("plain %s", "stdlib", extra={"order_id": 9})
    get_logger("mixed").info("ours", order_id=10)
    plain, ours = read_lines(stream)
    assert (plain["message"], plain["order_id"]) == ("plain stdlib", 9)
    assert (ours["message"], ours["order_id"]) == ("ours", 10)


def test_get_logger_without_a_name_is_the_root() -> None:
    assert get_logger().logger is logging.getLogger()
