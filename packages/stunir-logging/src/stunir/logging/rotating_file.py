"""A file handler that rotates by size and/or by time, optionally gzipping what it rotated."""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from stunir.logging.errors import ConfigurationError
from stunir.logging.levels import parse_level
from stunir.logging.validation import require_int, require_number

__all__ = ["RotatingFileHandler", "RotationStats"]

_log = logging.getLogger("stunir.logging")


@dataclass(frozen=True, slots=True)
class RotationStats:
    rotations: int
    bytes_written: int
    current_size: int


class RotatingFileHandler(logging.Handler):
    """Appends lines to ``filename``; rotates when the next line would pass ``max_bytes``, and/or
    when the clock crosses a multiple of ``interval_seconds`` (UTC-aligned: 3600 = each hour,
    86400 = each UTC midnight).

    Rotation renames ``app.log`` to ``app.log.1`` (``app.log.1.gz`` with ``compress=True``),
    shifting older files up to ``backup_count`` and deleting the one beyond. It happens under the
    handler's lock between two writes, so no record is lost or split across files; compression
    writes a temporary file and renames it, so a crash leaves readable files. One process per
    file: writers in several processes need a syslog or queue in between. Raises
    ConfigurationError when the file cannot be opened for appending.
    """

    terminator = "\n"

    def __init__(
        self,
        filename: str | os.PathLike[str],
        *,
        max_bytes: int = 0,
        interval_seconds: float | None = None,
        backup_count: int = 5,
        compress: bool = False,
        encoding: str = "utf-8",
        clock: Callable[[], float] = time.time,
        level: int | str = logging.NOTSET,
    ) -> None:
        # Everything is checked (and the file opened) before Handler.__init__ registers this
        # handler with logging: a refused handler must not linger in logging.shutdown's list.
        handler_level = parse_level(level)
        self.max_bytes = require_int("max_bytes", max_bytes, 0)
        self.interval_seconds = (
            None
            if interval_seconds is None
            else require_number("interval_seconds", interval_seconds, above=0)
        )
        self.backup_count = require_int("backup_count", backup_count, 0)
        try:
            "".encode(encoding)
        except LookupError:
            raise ConfigurationError("encoding", encoding, "a codec name such as 'utf-8'") from None
        self.path = Path(filename).absolute()
        self.compress = compress
        self.encoding = encoding
        self._clock = clock
        self._rotations = 0
        self._written = 0
        self._stream = self._open()
        self._size = self._stream.tell()
        self._period = self._period_of(clock())
        super().__init__(handler_level)

    def _open(self) -> BinaryIO:
        try:
            return self.path.open("ab")
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise ConfigurationError(
                "filename", str(self.path), f"a file that can be opened for appending ({reason})"
            ) from exc

    def _period_of(self, now: float) -> int | None:
        if self.interval_seconds is None:
            return None
        return int(now // self.interval_seconds)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = (self.format(record) + self.terminator).encode(self.encoding, "backslashreplace")
            if self._due(len(data)):
                self._rotate()
            self._stream.write(data)
            self._stream.flush()
            self._size += len(data)
            self._written += len(data)
        except Exception:  # stdlib contract: a handler reports through handleError, never raises
            self.handleError(record)

    def _due(self, incoming: int) -> bool:
        if self.max_bytes and self._size and self._size + incoming > self.max_bytes:
            return True
        return self._period is not None and self._period_of(self._clock()) != self._period

    def rotate(self) -> None:
        """Rotate now (e.g. from a signal handler or a cron-like task)."""
        with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__
            self._rotate()

    def _rotated_name(self, index: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{index}")

    def _rotate(self) -> None:
        self._stream.close()
        failure: OSError | None = None
        try:
            if self.backup_count == 0:
                self.path.unlink(missing_ok=True)
            else:
                self._shift()
                first = self._rotated_name(1)
                os.replace(self.path, first)
                if self.compress:
                    self._gzip(first)
            self._rotations += 1
        except OSError as exc:  # keep writing to the current file rather than lose records
            failure = exc
        finally:
            self._stream = self._open()
            # After a failure the next attempt comes after another max_bytes (or interval):
            # never a rotation attempt, and an error record, per record written.
            self._size = 0 if failure else self._stream.tell()
            self._period = self._period_of(self._clock())
        if failure is not None:  # logged after the state is consistent: it may come back here
            _log.error("rotation of %s failed (%s); still writing to it", self.path, failure)

    def _rotated_files(self, index: int) -> list[Path]:
        plain = self._rotated_name(index)
        return [path for path in (plain, Path(f"{plain}.gz")) if path.exists()]

    def _shift(self) -> None:
        """Move ``.1`` .. ``.N`` up by one (only the unbroken run from ``.1``: cheap for big N)."""
        count = 0
        while count < self.backup_count and self._rotated_files(count + 1):
            count += 1
        if count == self.backup_count:
            for path in self._rotated_files(count):
                path.unlink()
            count -= 1
        for index in range(count, 0, -1):
            target = self._rotated_name(index + 1)
            for path in self._rotated_files(index):
                os.replace(path, f"{target}{path.name[len(self._rotated_name(index).name) :]}")

    @staticmethod
    def _gzip(source: Path) -> None:
        target = Path(f"{source}.gz")
        partial = Path(f"{source}.gz.tmp")
        with source.open("rb") as plain, partial.open("wb") as raw:
            with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as packed:
                shutil.copyfileobj(plain, packed)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, target)
        source.unlink()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            if not self._stream.closed:
                self._stream.flush()

    def close(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._stream.close()
        super().close()

    def stats(self) -> RotationStats:
        with self.lock:  # type: ignore[union-attr]
            return RotationStats(self._rotations, self._written, self._size)

    def __repr__(self) -> str:
        return f"<RotatingFileHandler {str(self.path)!r} ({logging.getLevelName(self.level)})>"
