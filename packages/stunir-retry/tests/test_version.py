import importlib.metadata

import stunir.retry


def test_version_is_the_installed_distribution_version() -> None:
    assert stunir.retry.__version__ == importlib.metadata.version("stunir-retry")
