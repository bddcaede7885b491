"""Typing tests: mypy checks these signatures; never executed."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from typing_extensions import assert_type

from stunir.logging import (
    AsyncHandler,
    AsyncHandlerStats,
    BoundLogger,
    JSONFormatter,
    RateLimitFilter,
    RateLimitStats,
    RotatingFileHandler,
    RotationStats,
    SamplingFilter,
    SamplingStats,
    canonical_dumps,
    configure_logging,
    format_number,
    get_context,
    get_logger,
    log_context,
    propagate_context,
    to_json_value,
)

logger = get_logger("typed", order="x")
assert_type(logger, BoundLogger)
assert_type(logger.bind(user="ann"), BoundLogger)
assert_type(logger.info("paid", order_id=7, amount=12.5), None)
assert_type(logger.logger, logging.Logger)
assert_type(get_context(), Mapping[str, object])
assert_type(canonical_dumps({"a": 1}), str)
assert_type(format_number(1.5), str)
assert_type(to_json_value(b"x"), object)
assert_type(configure_logging(level="INFO", json_output=True), list[logging.Handler])


def work(item: int, *, scale: float = 1.0) -> str:
    return str(item * scale)


carried = propagate_context(work)
assert_type(carried(3, scale=2.0), str)
carried("not an int")  # type: ignore[arg-type]  # the wrapped signature is kept


@log_context(job="nightly")
def decorated(count: int) -> list[int]:
    return list(range(count))


assert_type(decorated(3), list[int])
decorated("three")  # type: ignore[arg-type]  # the decorated signature is kept

with log_context(request_id="r1") as fields:
    assert_type(fields, Mapping[str, object])

assert_type(AsyncHandler([logging.NullHandler()]).stats(), AsyncHandlerStats)
assert_type(RotatingFileHandler("app.log").stats(), RotationStats)
assert_type(SamplingFilter(0.5).stats(), SamplingStats)
assert_type(RateLimitFilter(5).stats(), RateLimitStats)
assert_type(RateLimitFilter(5, always_level="ERROR").flush(), None)
assert_type(RateLimitFilter(5).stats().summaries, int)
assert_type(JSONFormatter(fields="ecs").format(logging.makeLogRecord({})), str)
AsyncHandler([logging.NullHandler()], overflow="spill")  # type: ignore[arg-type]
