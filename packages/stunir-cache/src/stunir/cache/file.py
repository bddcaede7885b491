"""A cache in a private directory: shared by processes, atomic writes, bounded, tamper-aware."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import logging
import math
import os
import stat
import struct
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from stunir.cache._counters import Counters
from stunir.cache._validate import (
    NAMESPACE_SEPARATOR,
    check_callable,
    check_key,
    check_namespace,
    check_positive_int,
    check_ttl,
)
from stunir.cache.backend import Clock, LocalAsyncMixin
from stunir.cache.errors import CacheConfigError, SerializationError, UnsafeCacheDirectoryError
from stunir.cache.serializers import JsonSerializer, Serializer
from stunir.cache.stats import CacheStats

logger = logging.getLogger("stunir.cache")

# magic, expires_at (0.0: never), key length, payload length, crc32 of key + payload
_HEADER = struct.Struct("<4sdIII")
_MAGIC = b"STC1"
_SUFFIX = ".entry"
_TMP_MARK = ".tmp-"
_STALE_TMP_SECONDS = 3600.0  # a temporary file this old belongs to a writer that crashed
_CULL_TO = 0.9
_CULL_EVERY_SETS = 1000  # also cull this often, to remove expired entries nobody reads
_READ_CHUNK = 1 << 16
_TOUCH_EVERY_SECONDS = 60.0
_UTIME_TAKES_FD = os.utime in os.supports_fd  # not on Windows
_TOUCH_MEMORY = 10_000  # paths remembered for that; forgetting one only costs a utime
_READ_FLAGS = os.O_RDONLY | getattr(
    os, "O_BINARY", 0
)  # after a cull, the cache sits at 90 % of its bounds


@functools.lru_cache(maxsize=4096)
def _relative_path(key: str) -> str:
    """``/ab/cdef....entry`` for a key: a digest, so any string is a safe, fixed-length name."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=20).hexdigest()
    return f"/{digest[:2]}/{digest[2:]}{_SUFFIX}"


def _read_head(path: str, key_bytes: int) -> tuple[float, bytes] | None:
    """An entry's expiry (0.0: never) and the first ``key_bytes`` bytes of its key, read
    without its value; None for a file too short to hold a header. Raises ``OSError``."""
    with open(path, "rb") as file:
        data = file.read(_HEADER.size + key_bytes)
    if len(data) < _HEADER.size:
        return None
    expires_at, key_len = _HEADER.unpack_from(data)[1:3]
    return expires_at, data[_HEADER.size : _HEADER.size + min(key_len, key_bytes)]


def _secure_directory(path: Path) -> None:
    """Create ``path`` private (0700) or check that an existing one is private and ours."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700, parents=True)
    if os.name != "posix":  # no POSIX owners and modes to check (Windows ACLs are inherited)
        return
    me = os.geteuid()
    link = os.lstat(path)
    if stat.S_ISLNK(link.st_mode) and link.st_uid not in (me, 0):
        raise UnsafeCacheDirectoryError(path, f"it is a symbolic link owned by uid {link.st_uid}")
    info = os.stat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise CacheConfigError("cache_dir", str(path), "a directory (it is another kind of file)")
    if info.st_uid != me:
        raise UnsafeCacheDirectoryError(
            path, f"it is owned by uid {info.st_uid}, not by you ({me})"
        )
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        mode = stat.S_IMODE(info.st_mode)
        raise UnsafeCacheDirectoryError(path, f"it is group- or world-writable (mode {mode:04o})")
    # Whoever may write the parent may swap the whole directory for theirs, unless the parent
    # is sticky (like /tmp): then only the directory's owner may rename it. (Group-writable
    # parents are allowed: with per-user groups, the usual umask 002 makes them.)
    parent = os.stat(path.parent)
    if parent.st_mode & stat.S_IWOTH and not parent.st_mode & stat.S_ISVTX:
        mode = stat.S_IMODE(parent.st_mode)
        raise UnsafeCacheDirectoryError(
            path,
            f"its parent {str(path.parent)!r} is world-writable without the sticky bit "
            f"(mode {mode:04o}), so others could replace it",
        )


class FileBackend(LocalAsyncMixin):
    """One file per entry under ``cache_dir``, safe for many processes and threads at once.

    Writes go to a temporary file renamed over the entry, so a reader (or a crash) sees the old
    value or the new, never a torn file; every entry carries a checksum, so a truncated or
    corrupt file is a miss, and is removed. Values go through ``serializer`` (``JsonSerializer``
    by default, which cannot run code on load). ``max_bytes`` and ``max_entries`` bound the
    directory: past a bound the least recently used entries go first (a hit refreshes the
    file's mtime, at most once a minute per process). Expired entries are removed when read
    and by every cull. ``ttl`` is the default lifetime in seconds; ``clock`` must be wall time
    (``time.time``), since processes share the expiry times. ``durable=True`` fsyncs each
    write (survives power loss, slower).

    The directory must be private: it is created with mode 0700, and an existing directory
    that another user owns or that is group- or world-writable raises
    ``UnsafeCacheDirectoryError``.
    """

    def __init__(
        self,
        cache_dir: str | os.PathLike[str],
        *,
        ttl: float | None = None,
        serializer: Serializer | None = None,
        max_bytes: int | None = 1 << 30,
        max_entries: int | None = None,
        durable: bool = False,
        clock: Clock = time.time,
    ) -> None:
        if not isinstance(cache_dir, str | os.PathLike):
            raise CacheConfigError("cache_dir", cache_dir, "a path (str or os.PathLike)")
        self.directory = Path(cache_dir).absolute()
        self.ttl = check_ttl(ttl)
        self.max_bytes = check_positive_int(max_bytes, "max_bytes")
        self.max_entries = check_positive_int(max_entries, "max_entries")
        self.serializer: Serializer = JsonSerializer() if serializer is None else serializer
        if not isinstance(self.serializer, Serializer):
            raise CacheConfigError("serializer", serializer, "an object with dumps() and loads()")
        self.durable = durable
        check_callable(clock, "clock", "a function returning wall-clock seconds")
        self._clock = clock
        _secure_directory(self.directory)
        self._root = str(self.directory)
        self._lock = threading.Lock()
        self._tmp_names = itertools.count()
        self._counters = Counters()
        self._approx_bytes: int | None = None  # unknown until the first cull
        self._approx_entries = 0
        self._sets_since_cull = 0
        self._touched: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"FileBackend(cache_dir={self._root!r}, ttl={self.ttl}, max_bytes={self.max_bytes})"

    # -- reading --------------------------------------------------------------------------

    def get(self, key: str, default: Any = None) -> Any:
        found = self._read(key, touch=True)
        return default if found is None else found[0]

    def get_with_ttl(self, key: str) -> tuple[Any, float | None] | None:
        return self._read(key, touch=True)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._read(key, touch=False, count=False) is not None

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        found = {}
        for key in keys:
            entry = self._read(key, touch=True)
            if entry is not None:
                found[key] = entry[0]
        return found

    def _read(
        self, key: str, *, touch: bool, count: bool = True
    ) -> tuple[Any, float | None] | None:
        path = self._path(check_key(key))
        try:
            data = self._slurp(path, touch and self._touch_due(path))
        except (FileNotFoundError, NotADirectoryError):
            self._count_miss(count)
            return None
        except PermissionError:
            logger.warning("stunir.cache: cannot read cache entry %s", path)
            self._count_miss(count, error=True)
            return None
        entry = self._decode(key, path, data)
        if entry is None:
            self._count_miss(count)
            return None
        value, expires_at = entry
        left = None
        if expires_at:
            left = expires_at - self._clock()
            if left <= 0:
                self._unlink(path)
                self._counters.add(expirations=1)
                self._count_miss(count)
                return None
        if count:
            self._counters.hit()
        return value, left

    def _touch_due(self, path: str) -> bool:
        """Refresh an entry's mtime (its LRU clock) at most once a minute per process: a hot
        key then costs no extra system call per hit, and eviction order stays right to the
        minute."""
        now = time.monotonic()
        last = self._touched.get(path)
        if last is not None and now - last < _TOUCH_EVERY_SECONDS:
            return False
        if len(self._touched) >= _TOUCH_MEMORY:
            self._touched.clear()
        self._touched[path] = now
        return True

    @staticmethod
    def _slurp(path: str, touch: bool) -> bytes:
        fd = os.open(path, _READ_FLAGS)
        try:
            chunks = [os.read(fd, _READ_CHUNK)]
            while len(chunks[-1]) == _READ_CHUNK:
                chunks.append(os.read(fd, _READ_CHUNK))
            if touch:  # the mtime is the LRU clock of eviction
                os.utime(fd if _UTIME_TAKES_FD else path)
        finally:
            os.close(fd)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _decode(self, key: str, path: str, data: bytes) -> tuple[Any, float] | None:
        """The value and expiry in ``data``, or None after removing a corrupt or foreign file."""
        problem = None
        if len(data) < _HEADER.size:
            problem = "truncated header"
        else:
            magic, expires_at, key_len, payload_len, checksum = _HEADER.unpack_from(data)
            body = data[_HEADER.size :]
            if magic != _MAGIC:
                problem = "not a stunir cache entry"
            elif len(body) != key_len + payload_len or zlib.crc32(body) != checksum:
                problem = "truncated or corrupt"
            elif body[:key_len] != key.encode("utf-8"):
                return None  # another key with the same digest: astronomically unlikely
            else:
                try:
                    return self.serializer.loads(body[key_len:]), expires_at
                except SerializationError as exc:
                    problem = str(exc)
        logger.warning("stunir.cache: removing unreadable cache entry %s (%s)", path, problem)
        self._unlink(path)
        self._counters.add(errors=1)
        return None

    def _count_miss(self, count: bool, *, error: bool = False) -> None:
        if count:
            self._counters.add(misses=1, errors=int(error))
        return

    # -- writing --------------------------------------------------------------------------

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        lifetime = self.ttl if ttl is None else check_ttl(ttl)
        path = self._path(check_key(key))
        expires_at = 0.0 if lifetime is None or lifetime == math.inf else self._clock() + lifetime
        encoded_key = key.encode("utf-8")
        body = encoded_key + self.serializer.dumps(value)
        header = _HEADER.pack(
            _MAGIC, expires_at, len(encoded_key), len(body) - len(encoded_key), zlib.crc32(body)
        )
        if self._approx_bytes is None:
            self._measure()
        self._write_atomically(path, header + body)
        self._counters.add(sets=1)
        with self._lock:
            self._sets_since_cull += 1
            self._approx_entries += 1
            self._approx_bytes = (self._approx_bytes or 0) + _HEADER.size + len(body)
            due = self._cull_due()
        if due:
            self.cull()

    def set_many(self, items: Mapping[str, Any], ttl: float | None = None) -> None:
        for key, value in items.items():
            self.set(key, value, ttl)

    def _write_atomically(self, path: str, data: bytes) -> None:
        tmp = f"{path}{_TMP_MARK}{os.getpid()}-{threading.get_ident()}-{next(self._tmp_names)}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(tmp, flags, 0o600)
        except FileNotFoundError:  # first entry in this fan-out folder
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            fd = os.open(tmp, flags, 0o600)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                if self.durable:
                    file.flush()
                    os.fsync(file.fileno())
            os.replace(tmp, path)
        except BaseException:
            self._unlink(tmp)
            raise

    def delete(self, key: str) -> bool:
        removed = self._unlink(self._path(check_key(key)))
        if removed:
            self._counters.add(deletes=1)
        return removed

    def delete_many(self, keys: Iterable[str]) -> int:
        return sum(self.delete(key) for key in keys)

    def delete_namespace(self, namespace: str) -> int:
        """Remove the entries whose key starts with ``namespace:``, written by any process.

        File names are digests, so this reads the header and key of every entry (O(n), never
        a value). Returns the live entries removed (counted as deletes; expired ones found on
        the way are removed too and count as expirations).
        """
        prefix = (check_namespace(namespace) + NAMESPACE_SEPARATOR).encode("utf-8")
        now = self._clock()
        removed = expired = 0
        for path in self._files():
            if not path.endswith(_SUFFIX):
                continue
            try:
                head = _read_head(path, len(prefix))
            except OSError:
                continue  # removed meanwhile by another process
            if head is None or head[1] != prefix:
                continue
            if 0 < head[0] <= now:
                expired += self._unlink(path)
            else:
                removed += self._unlink(path)
        self._counters.add(deletes=removed, expirations=expired)
        return removed

    def clear(self) -> None:
        """Remove every entry (and leftover temporary file) in the directory."""
        for path in self._files():
            self._unlink(path)
        with self._lock:
            self._approx_bytes, self._approx_entries = 0, 0

    # -- bounds ---------------------------------------------------------------------------

    def _measure(self) -> None:
        """This process's first write: learn the directory's size from a listing (sizes only,
        no entry is opened), so the first cull waits until a bound is really passed."""
        sizes = []
        for path in self._files():
            if path.endswith(_SUFFIX):
                with contextlib.suppress(OSError):
                    sizes.append(os.stat(path).st_size)
        with self._lock:
            self._approx_bytes, self._approx_entries = sum(sizes), len(sizes)

    def _cull_due(self) -> bool:
        if self._sets_since_cull >= _CULL_EVERY_SETS:
            return True
        over_bytes = self.max_bytes is not None and (self._approx_bytes or 0) > self.max_bytes
        over_entries = self.max_entries is not None and self._approx_entries > self.max_entries
        return over_bytes or over_entries

    def cull(self) -> int:
        """Remove expired entries, stale temporary files, then the least recently used entries
        until the directory is within 90 % of its bounds. Returns how many files went."""
        now = self._clock()
        removed = expired = evicted = 0
        live: list[tuple[float, int, str]] = []
        for path in self._files():
            try:
                info = os.stat(path)
                if _TMP_MARK in os.path.basename(path):
                    if now - info.st_mtime > _STALE_TMP_SECONDS:
                        removed += self._unlink(path)
                    continue
                head = _read_head(path, 0)
            except OSError:
                continue  # removed meanwhile by another process
            if head is not None and 0 < head[0] <= now:
                expired += self._unlink(path)
                continue
            live.append((info.st_mtime, info.st_size, path))
        total_bytes = sum(size for _, size, _ in live)
        live.sort()
        byte_goal = None if self.max_bytes is None else self.max_bytes * _CULL_TO
        entry_goal = None if self.max_entries is None else self.max_entries * _CULL_TO
        count = len(live)
        over = (self.max_bytes is not None and total_bytes > self.max_bytes) or (
            self.max_entries is not None and count > self.max_entries
        )
        for _, size, path in live if over else ():
            if (byte_goal is None or total_bytes <= byte_goal) and (
                entry_goal is None or count <= entry_goal
            ):
                break
            evicted += self._unlink(path)
            total_bytes -= size
            count -= 1
        self._counters.add(expirations=expired, evictions=evicted)
        with self._lock:
            self._approx_bytes, self._approx_entries = total_bytes, count
            self._sets_since_cull = 0
        return removed + expired + evicted

    def stats(self) -> CacheStats:
        """Counters of this process; ``size`` counts the directory's entries (a scan)."""
        return self._counters.snapshot(sum(1 for path in self._files() if path.endswith(_SUFFIX)))

    # -- paths ----------------------------------------------------------------------------

    def _path(self, key: str) -> str:
        return self._root + _relative_path(key)

    def _files(self) -> Iterator[str]:
        try:
            folders = list(os.scandir(self._root))
        except FileNotFoundError:
            return
        for folder in folders:
            if not folder.is_dir(follow_symlinks=False):
                continue
            try:
                names = os.listdir(folder.path)
            except FileNotFoundError:
                continue
            for name in names:
                if name.endswith(_SUFFIX) or _TMP_MARK in name:
                    yield f"{folder.path}/{name}"

    @staticmethod
    def _unlink(path: str) -> bool:
        try:
            os.unlink(path)
        except FileNotFoundError:
            return False
        return True
