import importlib.metadata

import stunir.resilience


def test_version_is_the_installed_distribution_version() -> None:
    assert stunir.resilience.__version__ == importlib.metadata.version("stunir-resilience")
