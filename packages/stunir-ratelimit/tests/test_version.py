import importlib.metadata

import stunir.ratelimit


def test_version_is_the_installed_distribution_version() -> None:
    assert stunir.ratelimit.__version__ == importlib.metadata.version("stunir-ratelimit")
