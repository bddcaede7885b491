import importlib.metadata

import stunir.config


def test_version_is_the_installed_distribution_version() -> None:
    assert stunir.config.__version__ == importlib.metadata.version("stunir-config")
