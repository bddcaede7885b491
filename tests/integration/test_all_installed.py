"""stunir-all installed from the local wheels brings every library into one namespace."""

import importlib
import importlib.metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

NAMES = ("logging", "config", "retry", "cache", "telemetry", "resilience", "ratelimit", "resources")


@pytest.mark.parametrize("name", NAMES)
def test_each_library_imports_at_a_version_stunir_all_admits(name: str) -> None:
    module = importlib.import_module(f"stunir.{name}")
    requirements = [Requirement(r) for r in importlib.metadata.requires("stunir-all") or []]
    (pinned,) = [r for r in requirements if r.name == f"stunir-{name}" and r.marker is None]
    assert pinned.specifier.contains(module.__version__, prereleases=True)


def test_stunir_is_one_namespace_shared_by_all_eight() -> None:
    import stunir

    assert getattr(stunir, "__file__", None) is None
    namespace_dirs = {Path(entry).resolve() for entry in stunir.__path__}
    for name in NAMES:
        module = importlib.import_module(f"stunir.{name}")
        assert Path(module.__file__).resolve().parent.parent in namespace_dirs
