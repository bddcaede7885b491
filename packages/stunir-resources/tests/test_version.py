import importlib.metadata

import stunir.resources


def test_version_is_the_installed_distribution_version() -> None:
    assert stunir.resources.__version__ == importlib.metadata.version("stunir-resources")
