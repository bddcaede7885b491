import subprocess
import sys
import textwrap

import pytest

import stunir.cache


def test_every_public_name_resolves() -> None:
    for name in stunir.cache.__all__:
        assert getattr(stunir.cache, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        stunir.cache.Nope  # noqa: B018


def test_the_package_works_without_redis_py_and_says_how_to_get_it() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["redis"] = None  # as if the [redis] extra were not installed
        from stunir.cache import MemoryBackend, TieredCache, cached
        @cached(backend=MemoryBackend())
        def double(x): return 2 * x
        assert double(2) == 4
        try:
            from stunir.cache import RedisBackend
        except ImportError as exc:
            print(exc)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert "pip install 'stunir-cache[redis]'" in out


class DictBackend(stunir.cache.LocalAsyncMixin):
    """The smallest backend of one's own: no TTL, no bound."""

    def __init__(self) -> None:
        self.data: dict[str, object] = {}

    def get(self, key, default=None):
        return self.data.get(key, default)

    def get_with_ttl(self, key):
        return (self.data[key], None) if key in self.data else None

    def set(self, key, value, ttl=None) -> None:
        self.data[key] = value

    def delete(self, key) -> bool:
        return self.data.pop(key, stunir.cache.MISSING) is not stunir.cache.MISSING

    def delete_namespace(self, namespace) -> int:
        return self.delete_many([k for k in list(self.data) if k.startswith(namespace + ":")])

    def clear(self) -> None:
        self.data.clear()

    def __contains__(self, key) -> bool:
        return key in self.data

    def get_many(self, keys):
        return {k: self.data[k] for k in keys if k in self.data}

    def set_many(self, items, ttl=None) -> None:
        self.data.update(items)

    def delete_many(self, keys) -> int:
        return sum(self.delete(k) for k in keys)

    def stats(self):
        return stunir.cache.CacheStats(size=len(self.data))


def test_a_backend_of_ones_own_works_with_cached_sync_and_async() -> None:
    import asyncio

    backend = DictBackend()
    assert isinstance(backend, stunir.cache.Backend)

    @stunir.cache.cached(backend=backend, namespace="n")
    def double(x: int) -> int:
        return 2 * x

    @stunir.cache.cached(backend=backend, namespace="a")
    async def triple(x: int) -> int:
        return 3 * x

    assert double(2) == 4
    assert backend.data == {"n:(2)": 4}
    assert asyncio.run(triple(2)) == 6
    assert backend.data["a:(2)"] == 6
