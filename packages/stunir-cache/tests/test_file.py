import asyncio
import os
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stunir.cache import (
    MISSING,
    CacheConfigError,
    FileBackend,
    JsonSerializer,
    PickleSerializer,
    SerializationError,
    SignedSerializer,
    UnsafeCacheDirectoryError,
)

KEY = b"file-cache-signing-key-0123"


def entry_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*/*.entry"))


def test_values_survive_a_new_backend_on_the_same_directory(tmp_path) -> None:
    FileBackend(tmp_path / "c").set("user:1", {"name": "ada", "tags": ("x",)})
    again = FileBackend(tmp_path / "c")
    assert again.get("user:1") == {"name": "ada", "tags": ("x",)}
    assert again.get("user:2", MISSING) is MISSING


def test_a_cached_none_is_not_a_miss(tmp_path) -> None:
    cache = FileBackend(tmp_path)
    cache.set("none", None)
    assert cache.get("none", MISSING) is None
    assert cache.get_many(["none", "absent"]) == {"none": None}
    assert "none" in cache
    assert "absent" not in cache
    assert 5 not in cache


def test_directory_is_created_private(tmp_path) -> None:
    FileBackend(tmp_path / "new" / "cache")
    assert stat.S_IMODE(os.stat(tmp_path / "new" / "cache").st_mode) == 0o700


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("mode", [0o777, 0o770, 0o722, 0o702])
def test_a_group_or_world_writable_directory_is_refused(tmp_path, mode) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(mode)
    with pytest.raises(UnsafeCacheDirectoryError, match="writable") as info:
        FileBackend(shared)
    assert info.value.path == shared
    assert isinstance(info.value, PermissionError)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_directory_whose_parent_others_can_write_is_refused_unless_sticky(tmp_path) -> None:
    parent = tmp_path / "open"
    parent.mkdir()
    parent.chmod(0o777)
    with pytest.raises(UnsafeCacheDirectoryError, match="parent"):
        FileBackend(parent / "cache")
    parent.chmod(0o1777)  # sticky, like /tmp: only the owner may rename what it holds
    FileBackend(parent / "cache").set("k", 1)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="chown needs root")
def test_a_directory_owned_by_another_user_is_refused(tmp_path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir(mode=0o700)
    os.chown(foreign, 65534, 65534)
    with pytest.raises(UnsafeCacheDirectoryError, match="owned by uid 65534"):
        FileBackend(foreign)


def test_a_path_that_is_not_a_directory_is_refused(tmp_path) -> None:
    plain = tmp_path / "file"
    plain.write_text("x")
    plain.chmod(0o600)
    with pytest.raises((CacheConfigError, FileExistsError, NotADirectoryError)):
        FileBackend(plain)
    with pytest.raises(CacheConfigError, match="cache_dir"):
        FileBackend(42)  # type: ignore[arg-type]


def test_entries_expire_in_virtual_time(tmp_path, clock) -> None:
    cache = FileBackend(tmp_path, ttl=10, clock=clock)
    cache.set("a", 1)
    cache.set("b", 2, ttl=100)
    clock.advance(5)
    assert cache.get_with_ttl("a") == (1, 5)
    clock.advance(5)
    assert cache.get("a", MISSING) is MISSING
    assert cache.get("b") == 2
    assert len(entry_files(tmp_path)) == 1  # the expired file went with the read
    clock.advance(1000)
    assert cache.cull() == 1
    assert cache.stats().expirations == 2


def test_a_truncated_entry_is_a_miss_and_is_removed(tmp_path, caplog) -> None:
    cache = FileBackend(tmp_path)
    cache.set("k", "a value long enough to cut")
    (path,) = entry_files(tmp_path)
    path.write_bytes(path.read_bytes()[:-5])
    assert cache.get("k", MISSING) is MISSING
    assert not path.exists()
    assert "unreadable cache entry" in caplog.text
    assert cache.stats().errors == 1


@pytest.mark.parametrize("garbage", [b"", b"STC1", b"not an entry at all, just bytes....."])
def test_garbage_files_are_misses(tmp_path, garbage) -> None:
    cache = FileBackend(tmp_path)
    cache.set("k", 1)
    (path,) = entry_files(tmp_path)
    path.write_bytes(garbage)
    assert cache.get("k", MISSING) is MISSING
    cache.set("k", 2)
    assert cache.get("k") == 2


def test_a_flipped_byte_is_caught_by_the_checksum(tmp_path) -> None:
    cache = FileBackend(tmp_path)
    cache.set("k", 12345)
    (path,) = entry_files(tmp_path)
    data = bytearray(path.read_bytes())
    data[-2] ^= 0x01
    path.write_bytes(bytes(data))
    assert cache.get("k", MISSING) is MISSING


def test_a_tampered_signed_entry_is_refused(tmp_path, caplog) -> None:
    signed = SignedSerializer(JsonSerializer(), signing_key=KEY)
    cache = FileBackend(tmp_path, serializer=PickleSerializer(signing_key=KEY))
    cache.set("k", {"admin": False})
    # An attacker rewrites the entry with a valid checksum but without the key.
    forged = FileBackend(tmp_path, serializer=PickleSerializer(allow_unsigned=True))
    forged.set("k", {"admin": True})
    assert cache.get("k", MISSING) is MISSING
    assert "signature" in caplog.text
    json_cache = FileBackend(tmp_path / "j", serializer=signed)
    json_cache.set("k", [1])
    assert json_cache.get("k") == [1]


def test_unserializable_values_are_refused_and_nothing_is_written(tmp_path) -> None:
    cache = FileBackend(tmp_path)
    with pytest.raises(SerializationError, match="object"):
        cache.set("k", object())
    assert entry_files(tmp_path) == []


def test_keys_must_be_strings(tmp_path) -> None:
    cache = FileBackend(tmp_path)
    with pytest.raises(CacheConfigError, match="key"):
        cache.set(("a", 1), 1)  # type: ignore[arg-type]


def test_max_entries_evicts_the_least_recently_used(tmp_path, clock) -> None:
    cache = FileBackend(tmp_path, max_entries=10, clock=clock)
    for i in range(10):
        cache.set(f"k{i}", i)
        os.utime(entry_files_for(cache, f"k{i}"), (1000 + i, 1000 + i))
    cache.get("k0")  # a hit refreshes k0's mtime: k1 is now the oldest
    cache.set("k10", 10)  # 11 entries: cull down to 9
    assert "k0" in cache
    assert "k1" not in cache
    assert "k2" not in cache
    assert len(entry_files(tmp_path)) == 9
    assert cache.stats().evictions == 2


def entry_files_for(cache: FileBackend, key: str) -> str:
    return cache._path(key)


def test_a_new_process_over_the_bound_culls_on_its_first_write(tmp_path) -> None:
    unbounded = FileBackend(tmp_path, max_entries=None)
    unbounded.set_many({f"k{i}": i for i in range(20)})
    bounded = FileBackend(tmp_path, max_entries=10)
    bounded.set("one more", 1)
    assert len(entry_files(tmp_path)) <= 10


def test_max_bytes_bounds_the_directory(tmp_path) -> None:
    cache = FileBackend(tmp_path, max_bytes=2000)
    for i in range(40):
        cache.set(f"k{i}", "x" * 100)
    assert sum(p.stat().st_size for p in entry_files(tmp_path)) <= 2000


def test_crashed_writers_leave_no_torn_entry_and_stale_temp_files_are_culled(tmp_path) -> None:
    cache = FileBackend(tmp_path)
    cache.set("k", "old")
    (path,) = entry_files(tmp_path)
    leftover = Path(str(path) + ".tmp-999-1-0")
    leftover.write_bytes(b"half a new val")
    os.utime(leftover, (0, 0))
    assert cache.get("k") == "old"
    assert cache.cull() == 1
    assert not leftover.exists()


def test_many_calls_clear_and_stats(tmp_path) -> None:
    cache = FileBackend(tmp_path)
    cache.set_many({"a": 1, "b": 2, "c": 3})
    assert cache.get_many(["a", "b", "x"]) == {"a": 1, "b": 2}
    assert cache.delete("a") is True
    assert cache.delete("a") is False
    assert cache.delete_many(["b", "x"]) == 1
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.sets, stats.deletes, stats.size) == (2, 1, 3, 2, 1)
    cache.clear()
    assert cache.stats().size == 0


def test_async_methods(tmp_path) -> None:
    async def scenario() -> None:
        cache = FileBackend(tmp_path)
        await cache.aset("a", [1, 2])
        assert await cache.aget("a") == [1, 2]
        assert await cache.acontains("a")
        assert await cache.adelete("a")

    asyncio.run(scenario())


WRITER = textwrap.dedent(
    """
    import sys
    from stunir.cache import FileBackend

    directory, worker = sys.argv[1], int(sys.argv[2])
    cache = FileBackend(directory)
    for i in range(200):
        cache.set("shared", {"worker": worker, "i": i, "pad": "x" * 2000})
        cache.set(f"own-{worker}-{i}", i)
        value = cache.get("shared")
        assert value is None or value["pad"] == "x" * 2000, value  # never a torn value
    """
)


def test_two_processes_share_one_directory(tmp_path) -> None:
    workers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(n)]) for n in range(2)
    ]
    assert [worker.wait(timeout=60) for worker in workers] == [0, 0]
    cache = FileBackend(tmp_path)
    assert cache.get("shared")["i"] == 199
    assert cache.get("own-0-150") == 150
    assert cache.get("own-1-199") == 199
    assert not list(tmp_path.glob("*/*.tmp-*"))


def test_eight_threads_on_one_backend_never_see_a_torn_value(tmp_path) -> None:
    import threading

    cache = FileBackend(tmp_path, max_entries=50)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def hammer(worker: int) -> None:
        start.wait()
        try:
            for i in range(60):
                cache.set(f"k{i % 60}", {"worker": worker, "pad": "y" * 500})
                value = cache.get(f"k{(i + worker) % 60}")
                assert value is None or value["pad"] == "y" * 500
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert cache.stats().sets == 8 * 60
    assert cache.stats().size <= 60


@settings(max_examples=40)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["set", "get", "delete", "contains"]),
            st.sampled_from(["a", "b", "ключ", "a/../b", ""]),
            st.one_of(st.none(), st.integers(), st.text(max_size=5), st.tuples(st.integers())),
        ),
        max_size=25,
    )
)
def test_behaves_like_a_dict(operations) -> None:
    with tempfile.TemporaryDirectory() as directory:
        cache = FileBackend(directory)
        model: dict[str, object] = {}
        for op, key, value in operations:
            if op == "set":
                cache.set(key, value)
                model[key] = value
            elif op == "get":
                assert cache.get(key, MISSING) == model.get(key, MISSING)
            elif op == "delete":
                assert cache.delete(key) == (key in model)
                model.pop(key, None)
            else:
                assert (key in cache) == (key in model)
        assert FileBackend(directory).get_many(list(model)) == model


def test_delete_namespace_removes_that_namespace_only_whoever_wrote_it(tmp_path, clock) -> None:
    cache = FileBackend(tmp_path, clock=clock)
    other_process = FileBackend(tmp_path, clock=clock)
    other_process.set_many({"users:1": "a", "users2:1": "b", "users": "c", "posts:(1)": "d"})
    cache.set("users:" + "x" * 500, "long key")
    cache.set("users:old", "e", ttl=5)
    clock.advance(5)
    (tmp_path / "ab").mkdir(exist_ok=True)
    (tmp_path / "ab" / "short.entry").write_bytes(b"junk")  # shorter than a header: skipped
    assert cache.delete_namespace("users") == 2
    assert cache.get_many(["users:1", "users2:1", "users", "posts:(1)"]) == {
        "users2:1": "b",
        "users": "c",
        "posts:(1)": "d",
    }
    stats = cache.stats()
    assert (stats.deletes, stats.expirations) == (2, 1)
    assert asyncio.run(cache.adelete_namespace("posts")) == 1
    with pytest.raises(CacheConfigError, match="namespace"):
        cache.delete_namespace("users:1")
