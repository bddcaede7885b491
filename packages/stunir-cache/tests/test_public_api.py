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
