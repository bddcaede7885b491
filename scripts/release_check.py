"""Before a release: every package's current version has a CHANGELOG.md section, and
stunir-all's ranges admit every package's current version.

Usage: python scripts/release_check.py NAME...
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
VERSION_LINE = re.compile(r'^__version__ = "([^"]+)"$', re.MULTILINE)


def current_version(name: str) -> str:
    init = ROOT / "packages" / f"stunir-{name}" / "src" / "stunir" / name / "__init__.py"
    match = VERSION_LINE.search(init.read_text(encoding="utf-8"))
    if match is None:
        raise SystemExit(f"{init}: no __version__ line")
    return match.group(1)


def changelog_versions() -> dict[str, set[str]]:
    """distribution -> versions with a '### [X.Y.Z]' heading under its '## <distribution>'."""
    sections: dict[str, set[str]] = {}
    package = None
    for line in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            package = line[3:].strip()
            sections[package] = set()
        elif package and (match := re.match(r"^### \[(\d[^\]]*)\]", line)):
            sections[package].add(match.group(1))
    return sections


def main(names: list[str]) -> int:
    meta = tomllib.loads((ROOT / "packages" / "stunir-all" / "pyproject.toml").read_text())
    versions = {f"stunir-{name}": current_version(name) for name in names}
    versions["stunir-all"] = meta["project"]["version"]
    documented = changelog_versions()
    problems = [
        f"{dist} {version} has no '### [{version}]' section under '## {dist}' in CHANGELOG.md"
        for dist, version in versions.items()
        if version not in documented.get(dist, set())
    ]
    required = [Requirement(r) for r in meta["project"]["dependencies"]]
    requirements = list(required)
    for extra in meta["project"]["optional-dependencies"].values():
        requirements += [Requirement(r) for r in extra]
    pinned = {r.name for r in required}
    problems += [
        f"stunir-all does not depend on {dist}"
        for dist in versions
        if dist != "stunir-all" and dist not in pinned
    ]
    for req in requirements:
        version = versions.get(req.name)
        if version is None:
            problems.append(f"stunir-all depends on unknown {req.name}")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"stunir-all's '{req}' does not admit {req.name} {version}")
    for problem in problems:
        print(f"FAIL {problem}")
    if not problems:
        print("ok: " + ", ".join(f"{dist} {version}" for dist, version in versions.items()))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
