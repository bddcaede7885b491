"""With all nine wheels installed: stunir is a PEP 420 namespace and each version is its wheel's.

Usage: python scripts/check_namespace.py NAME...
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys


def main(names: list[str]) -> int:
    problems: list[str] = []
    import stunir

    if getattr(stunir, "__file__", None) is not None:
        problems.append(f"stunir is a regular package ({stunir.__file__}), not a namespace")
    for name in names:
        module = importlib.import_module(f"stunir.{name}")
        installed = importlib.metadata.version(f"stunir-{name}")
        if module.__version__ != installed:
            problems.append(f"stunir.{name}.__version__ is {module.__version__}, wheel {installed}")
        print(f"stunir.{name} {module.__version__} from {module.__file__}")
    print(f"stunir-all {importlib.metadata.version('stunir-all')}")
    for problem in problems:
        print(f"FAIL {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
