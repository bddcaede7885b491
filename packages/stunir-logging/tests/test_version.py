import importlib.metadata

import stunir.logging


def test_version_is_the_installed_distribution_version() -> None:
    assert stunir.logging.__version__ == importlib.metadata.version("stunir-logging")
