"""Inspect built artifacts: each wheel ships only its own stunir/<name>/ tree, and never
stunir/__init__.py.

Usage: python scripts/check_dist.py DIST_DIR NAME...   (stunir-all is checked as metadata-only)
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from pathlib import Path


def wheel_problems(wheel: Path, name: str | None) -> list[str]:
    files = zipfile.ZipFile(wheel).namelist()
    code = [f for f in files if ".dist-info/" not in f]
    if name is None:
        return [f"{wheel.name}: a meta-package wheel ships code: {code}"] if code else []
    problems = [
        f"{wheel.name}: ships {f} outside stunir/{name}/"
        for f in code
        if not f.startswith(f"stunir/{name}/")
    ]
    problems += [
        f"{wheel.name}: stunir/{name}/{required} is missing"
        for required in ("__init__.py", "py.typed")
        if f"stunir/{name}/{required}" not in files
    ]
    return problems


def sdist_problems(sdist: Path) -> list[str]:
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    return [
        f"{sdist.name}: ships {n}, which would shadow the namespace"
        for n in names
        if n.endswith("src/stunir/__init__.py")
    ]


def main(dist: Path, names: list[str]) -> int:
    problems: list[str] = []
    for name in [*names, None]:
        stem = f"stunir_{name or 'all'}-"
        wheels = sorted(dist.glob(f"{stem}*.whl"))
        sdists = sorted(dist.glob(f"{stem}*.tar.gz"))
        if len(wheels) != 1 or len(sdists) != 1:
            problems.append(f"expected one wheel and one sdist {stem}*, found {wheels + sdists}")
            continue
        problems += wheel_problems(wheels[0], name) + sdist_problems(sdists[0])
    for problem in problems:
        print(f"FAIL {problem}")
    if not problems:
        print(f"ok: {len(names) + 1} wheels and sdists in {dist} ship only their own trees")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2:]))
