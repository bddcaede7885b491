"""Level range, field match, deterministic keyed sampling, and redaction before any handler."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable

import pytest

from stunir.logging import (
    ConfigurationError,
    ContextFilter,
    LevelRangeFilter,
    RedactionFilter,
    SamplingFilter,
    get_logger,
    log_context,
)

MakeLogger = Callable[..., tuple[logging.Logger, io.StringIO]]
RunThreads = Callable[[Callable[[int], object], int], None]


def _messages(stream: io.StringIO) -> list[str]:
    return [str(json.loads(line)["message"]) for line in stream.getvalue().splitlines()]


def test_level_range_keeps_only_the_range(json_logger: MakeLogger) -> None:
    logger, stream = json_logger("range")
    logger.handlers[0].addFilter(LevelRangeFilter("INFO", "WARNING"))
    for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR):
        logger.log(level, logging.getLevelName(level))
    assert _messages(stream) == ["INFO", "WARNING"]


@pytest.mark.parametrize(
    ("args", "setting"),
    [(("LOUD",), "min_level"), (("INFO", "nope"), "max_level"), (("ERROR", "INFO"), "max_level")],
)
def test_level_range_refuses_bad_levels(args: tuple[str, ...], setting: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        LevelRangeFilter(*args)
    assert info.value.setting == setting


def test_context_filter_matches_context_extra_and_fields(json_logger: MakeLogger) -> None:
    logger, stream = json_logger("ctx")
    logger.addFilter(ContextFilter({"tenant": "acme"}))
    ours = get_logger("ctx")
    with log_context(tenant="acme"):
        ours.info("from context")
    with log_context(tenant="other"):
        ours.info("other tenant")
    ours.info("from field", tenant="acme")
    logger.info("from extra", extra={"tenant": "acme"})
    logger.info("no tenant")
    assert _messages(stream) == ["from context", "from field", "from extra"]


def test_context_filter_exclude(json_logger: MakeLogger) -> None:
    logger, stream = json_logger("ctx2")
    logger.addFilter(ContextFilter({"health_check": True}, exclude=True))
    get_logger("ctx2").info("probe", health_check=True)
    get_logger("ctx2").info("real")
    assert _messages(stream) == ["real"]


def test_context_filter_refuses_empty_match() -> None:
    with pytest.raises(ConfigurationError, match="fields"):
        ContextFilter({})


def test_sampling_keeps_or_drops_a_whole_request(json_logger: MakeLogger) -> None:
    logger, stream = json_logger("sample")
    sampler = SamplingFilter(0.3)
    logger.addFilter(sampler)
    ours = get_logger("sample")
    for request in range(200):
        with log_context(request_id=f"req-{request}"):
            for step in range(3):
                ours.info(f"req-{request} step {step}")
    kept = _messages(stream)
    requests = {message.split()[0] for message in kept}
    assert all(
        sum(m.startswith(f"{r} ") for m in kept) == 3 for r in requests
    )  # whole requests only
    assert 30 <= len(requests) <= 90  # about 30% of 200
    assert sampler.stats().kept == len(kept)
    assert sampler.stats().dropped == 600 - len(kept)


def test_sampling_is_deterministic_across_instances_and_salt_changes_the_draw() -> None:
    first, second, salted = SamplingFilter(0.5), SamplingFilter(0.5), SamplingFilter(0.5, salt="x")
    ids = [f"req-{i}" for i in range(100)]
    assert [first.keeps(i) for i in ids] == [second.keeps(i) for i in ids]
    assert [first.keeps(i) for i in ids] != [salted.keeps(i) for i in ids]


def test_sampling_always_keeps_warnings_and_unkeyed_records(json_logger: MakeLogger) -> None:
    logger, stream = json_logger("sample2")
    logger.addFilter(SamplingFilter(0.0))
    ours = get_logger("sample2")
    ours.info("dropped", request_id="r")
    ours.warning("kept: warning", request_id="r")
    ours.info("kept: no key")
    logger.addFilter(SamplingFilter(0.0, keep_unkeyed=False))
    ours.info("dropped: no key")
    assert _messages(stream) == ["kept: warning", "kept: no key"]


def test_sampling_edge_rates() -> None:
    assert all(SamplingFilter(1.0).keeps(i) for i in range(100))
    assert not any(SamplingFilter(0.0).keeps(i) for i in range(100))


@pytest.mark.parametrize("rate", [-0.1, 1.5, float("nan"), True, "0.5"])
def test_sampling_refuses_bad_rates(rate: object) -> None:
    with pytest.raises(ConfigurationError, match="rate="):
        SamplingFilter(rate)  # type: ignore[arg-type]


def test_sampling_counts_are_exact_under_threads(run_threads: RunThreads) -> None:
    sampler = SamplingFilter(0.5)
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "m", None, None)
    record.request_id = "fixed"

    def run(_: int) -> None:
        for _ in range(500):
            sampler.filter(record)

    run_threads(run, 8)
    stats = sampler.stats()
    assert stats.kept + stats.dropped == 4000
    assert stats.kept in (0, 4000)


def test_redaction_filter_masks_fields_extra_context_and_dict_args(json_logger: MakeLogger) -> None:
    logger, stream = json_logger("redact")
    logger.addFilter(RedactionFilter())
    with log_context(session_token="ctx-secret"):
        get_logger("redact").info("login", password="pw", user="ann")
    logger.info("extra", extra={"auth": {"Authorization": "Bearer x"}, "api_key": "k"})
    logger.info("args %(password)s", {"password": "in-args"})
    first, second, third = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (first["password"], first["user"], first["session_token"]) == (
        "[REDACTED]",
        "ann",
        "[REDACTED]",
    )
    assert second["auth"] == {"Authorization": "[REDACTED]"}
    assert second["api_key"] == "[REDACTED]"
    assert third["message"] == "args [REDACTED]"


def test_redaction_filter_refuses_nothing_to_redact() -> None:
    with pytest.raises(ConfigurationError):
        RedactionFilter(False)
