import importlib.metadata

import stunir.telemetry


def test_version_is_the_installed_distribution_version() -> None:
    assert stunir.telemetry.__version__ == importlib.metadata.version("stunir-telemetry")
