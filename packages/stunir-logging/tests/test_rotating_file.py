"""RotatingFileHandler: size and time rotation, gzip, every record accounted for under threads."""

from __future__ import annotations

import gzip
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from stunir.logging import ConfigurationError, RotatingFileHandler

RunThreads = Callable[[Callable[[int], object], int], None]


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("file", logging.INFO, __file__, 1, message, None, None)


def _read_all(path: Path) -> list[str]:
    """Every line in the log and its rotated files, oldest first."""
    rotated = sorted(path.parent.glob(path.name + ".*"), key=lambda p: -int(p.name.split(".")[2]))
    text = ""
    for file in [*rotated, path]:
        data = file.read_bytes()
        text += (gzip.decompress(data) if file.suffix == ".gz" else data).decode()
    return text.splitlines()


def _handler(path: Path, **kwargs: object) -> RotatingFileHandler:
    handler = RotatingFileHandler(path, **kwargs)  # type: ignore[arg-type]
    handler.setFormatter(logging.Formatter("%(message)s"))
    return handler


def test_rotates_by_size_without_losing_or_splitting_records(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    handler = _handler(path, max_bytes=100, backup_count=50)
    messages = [f"record {i:03d} " + "x" * 20 for i in range(40)]
    for message in messages:
        handler.handle(_record(message))
    handler.close()
    assert _read_all(path) == messages
    assert all(f.stat().st_size <= 100 for f in tmp_path.iterdir())
    assert handler.stats().rotations == len(list(tmp_path.glob("app.log.*")))


def test_a_record_larger_than_max_bytes_gets_a_file_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    handler = _handler(path, max_bytes=10, backup_count=5)
    for message in ("a", "b" * 50, "c"):
        handler.handle(_record(message))
    handler.close()
    assert _read_all(path) == ["a", "b" * 50, "c"]


def test_backup_count_prunes_the_oldest(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    handler = _handler(path, max_bytes=5, backup_count=2)
    for index in range(6):
        handler.handle(_record(f"rec{index}"))
    handler.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.log", "app.log.1", "app.log.2"]
    assert _read_all(path) == ["rec3", "rec4", "rec5"]


def test_backup_count_zero_discards_rotated_content(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    handler = _handler(path, max_bytes=5, backup_count=0)
    for index in range(3):
        handler.handle(_record(f"rec{index}"))
    handler.close()
    assert [p.name for p in tmp_path.iterdir()] == ["app.log"]
    assert path.read_text() == "rec2\n"


def test_gzip_compresses_rotated_files_and_leaves_no_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    handler = _handler(path, max_bytes=30, backup_count=10, compress=True)
    messages = [f"compressed line {i}" for i in range(8)]
    for message in messages:
        handler.handle(_record(message))
    handler.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert all(name == "app.log" or name.endswith(".gz") for name in names)
    assert not list(tmp_path.glob("*.tmp"))
    assert _read_all(path) == messages


def test_rotates_when_the_clock_crosses_an_interval_boundary(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    clock = Clock(7200.0 + 3590)
    handler = _handler(path, interval_seconds=3600, backup_count=5, clock=clock)
    handler.handle(_record("hour 2"))
    clock.now += 9  # still 02:59:59
    handler.handle(_record("hour 2 again"))
    clock.now += 1  # 03:00:00
    handler.handle(_record("hour 3"))
    clock.now += 7200
    handler.handle(_record("hour 5"))
    handler.close()
    assert (tmp_path / "app.log.2").read_text() == "hour 2\nhour 2 again\n"
    assert (tmp_path / "app.log.1").read_text() == "hour 3\n"
    assert path.read_text() == "hour 5\n"


def test_manual_rotate_and_appending_to_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text("old\n")
    handler = _handler(path, max_bytes=1000)
    assert handler.stats().current_size == 4
    handler.handle(_record("new"))
    handler.rotate()
    handler.handle(_record("after"))
    handler.close()
    assert (tmp_path / "app.log.1").read_text() == "old\nnew\n"
    assert path.read_text() == "after\n"


def test_concurrent_writers_every_record_accounted_for(
    tmp_path: Path, run_threads: RunThreads
) -> None:
    path = tmp_path / "app.log"
    handler = _handler(path, max_bytes=2_000, backup_count=10_000)
    logger = logging.getLogger("rotation.threads")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)

    def writer(thread: int) -> None:
        for index in range(250):
            logger.info("thread=%d index=%03d payload=%s", thread, index, "y" * 30)

    run_threads(writer, 8)
    handler.close()
    lines = _read_all(path)
    expected = {
        f"thread={t} index={i:03d} payload={'y' * 30}" for t in range(8) for i in range(250)
    }
    assert len(lines) == 2000
    assert set(lines) == expected
    for thread in range(8):  # each writer's records stay in its order across files
        own = [line for line in lines if line.startswith(f"thread={thread} ")]
        assert own == sorted(own)
    assert handler.stats().rotations > 10


def test_an_unwritable_path_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as info:
        RotatingFileHandler(tmp_path)  # a directory
    assert info.value.setting == "filename"
    assert str(tmp_path) in str(info.value)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigurationError, match="opened for appending"):
        RotatingFileHandler(blocker / "app.log")


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        ({"max_bytes": -1}, "max_bytes"),
        ({"max_bytes": 1.5}, "max_bytes"),
        ({"interval_seconds": 0}, "interval_seconds"),
        ({"backup_count": -1}, "backup_count"),
        ({"encoding": "no-such-codec"}, "encoding"),
        ({"level": "LOUD"}, "level"),
    ],
)
def test_bad_settings_are_refused(tmp_path: Path, kwargs: dict[str, object], setting: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        RotatingFileHandler(tmp_path / "x.log", **kwargs)  # type: ignore[arg-type]
    assert info.value.setting == setting
    registered = [ref() for ref in vars(logging)["_handlerList"]]  # what shutdown() will close
    assert not [
        h for h in registered if isinstance(h, RotatingFileHandler) and h.path.name == "x.log"
    ]


def test_unencodable_text_is_written_escaped(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    handler = _handler(path, encoding="ascii")
    handler.handle(_record("caf\u00e9 \ud800"))
    handler.close()
    assert path.read_text() == "caf\\xe9 \\ud800\n"
    assert "app.log" in repr(handler)


def test_a_failed_rotation_keeps_writing_to_the_current_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "app.log"
    handler = _handler(path, max_bytes=10, backup_count=1)
    (tmp_path / "app.log.1").mkdir()  # the oldest backup cannot be deleted: rotation fails
    (tmp_path / "app.log.1" / "keep").write_text("")
    with caplog.at_level(logging.ERROR, logger="stunir.logging"):
        for index in range(4):
            handler.handle(_record(f"line {index:02d}"))
    handler.close()
    assert path.read_text().splitlines() == [f"line {i:02d}" for i in range(4)]
    assert "rotation of" in caplog.text
    assert handler.stats().rotations == 0


def test_constructible_from_dictconfig(tmp_path: Path) -> None:
    import logging.config

    path = tmp_path / "dc.log"
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {
                "file": {
                    "class": "stunir.logging.RotatingFileHandler",
                    "filename": str(path),
                    "max_bytes": 20,
                    "backup_count": 3,
                    "compress": True,
                    "level": "INFO",
                }
            },
            "loggers": {"dc.file": {"handlers": ["file"], "level": "INFO", "propagate": False}},
        }
    )
    logger = logging.getLogger("dc.file")
    for index in range(5):
        logger.info("message %d", index)
    handler = logger.handlers[0]
    assert isinstance(handler, RotatingFileHandler)
    handler.close()
    assert _read_all(path) == [f"message {i}" for i in range(5)]
