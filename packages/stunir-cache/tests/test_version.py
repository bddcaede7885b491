import importlib.metadata

import stunir.cache


def test_version_is_the_installed_distribution_version() -> None:
    assert stunir.cache.__version__ == importlib.metadata.version("stunir-cache")
