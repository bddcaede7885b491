"""The STUNIR matrix: every package built as a wheel, installed alone and tested on its own.

``nox`` runs what CI runs. ``nox -l`` lists the sessions, ``nox -t retry`` runs one package's
tests on every Python, ``nox -s bench`` compares us with the peer libraries.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv"
nox.options.sessions = [
    "lint",
    "typecheck",
    "tests",
    "build",
    "namespace",
    "integration",
    "release_check",
]

ROOT = Path(__file__).parent
PACKAGES = (
    "logging",
    "config",
    "retry",
    "cache",
    "telemetry",
    "resilience",
    "ratelimit",
    "resources",
)
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
DEFAULT_PYTHON = "3.12"
DIST = ROOT / "dist"
TEST_SUPPORT = ROOT / "tools" / "pytest-stunir"
UV_BUILD = ("uv", "build", "--quiet")
PYTEST_CONFIG = ("-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT))


def package_dir(name: str) -> Path:
    return ROOT / "packages" / f"stunir-{name}"


def pyproject(name: str) -> dict[str, Any]:
    return nox.project.load_toml(package_dir(name) / "pyproject.toml")


def requirement(name: str, wheel: Path) -> str:
    """A requirement for a local wheel with every extra it declares (so Redis code is tested)."""
    extras = sorted(pyproject(name)["project"].get("optional-dependencies", {}))
    suffix = f"[{','.join(extras)}]" if extras else ""
    return f"stunir-{name}{suffix} @ {wheel.as_uri()}"


def build_wheels(session: nox.Session, names: tuple[str, ...], out: Path) -> dict[str, Path]:
    """Build fresh wheels of the named packages into ``out``; returns name -> wheel path."""
    shutil.rmtree(out, ignore_errors=True)
    wheels = {}
    for name in names:
        target = out / name
        session.run(
            *UV_BUILD, "--wheel", "--out-dir", str(target), package_dir(name), external=True
        )
        (wheels[name],) = target.glob("*.whl")
    return wheels


def install_all_from_dist(session: nox.Session) -> None:
    """Install the nine wheels from dist/ (made by the build session) with their extras."""
    wheels = {name: next(DIST.glob(f"stunir_{name}-*.whl")) for name in (*PACKAGES, "all")}
    session.install(
        *(requirement(name, wheels[name]) for name in PACKAGES),
        f"stunir-all[redis] @ {wheels['all'].as_uri()}",
    )


@nox.session(python=PYTHONS)
@nox.parametrize("package", [nox.param(name, id=name, tags=[name]) for name in PACKAGES])
def tests(session: nox.Session, package: str) -> None:
    """Build one package's wheel, install it alone with its test dependencies, run its tests."""
    wheels = build_wheels(session, (package,), Path(session.create_tmp()).resolve() / "wheels")
    test_deps = nox.project.dependency_groups(pyproject(package), "test")
    session.install(requirement(package, wheels[package]), *test_deps, str(TEST_SUPPORT))
    session.run("pytest", *PYTEST_CONFIG, str(package_dir(package) / "tests"), *session.posargs)


@nox.session(python=DEFAULT_PYTHON)
def build(session: nox.Session) -> None:
    """Wheels and sdists of all nine distributions into dist/, every artifact inspected."""
    shutil.rmtree(DIST, ignore_errors=True)
    for name in (*PACKAGES, "all"):
        session.run(*UV_BUILD, "--out-dir", str(DIST), package_dir(name), external=True)
    session.install("twine>=6.1")
    artifacts = sorted([*DIST.glob("*.whl"), *DIST.glob("*.tar.gz")])
    session.run("twine", "check", "--strict", *map(str, artifacts))
    session.run("python", str(ROOT / "scripts" / "check_dist.py"), str(DIST), *PACKAGES)


@nox.session(python=PYTHONS, requires=["build"])
def namespace(session: nox.Session) -> None:
    """All nine wheels in one venv: every stunir.<name> imports from one PEP 420 namespace."""
    install_all_from_dist(session)
    session.run("python", str(ROOT / "scripts" / "check_namespace.py"), *PACKAGES)


@nox.session(python=DEFAULT_PYTHON, requires=["build"])
def integration(session: nox.Session) -> None:
    """stunir-all[redis] from the local wheels; the cross-package tests and the test support's."""
    install_all_from_dist(session)
    session.install("pytest>=8.3", "packaging>=24", str(TEST_SUPPORT))
    session.run(
        "pytest",
        *PYTEST_CONFIG,
        "tests/integration",
        str(TEST_SUPPORT / "tests"),
        *session.posargs,
    )


@nox.session(python=DEFAULT_PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole repository."""
    session.install("ruff==0.17.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=DEFAULT_PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on each package alone: only its own source is on the path."""
    runtime: set[str] = set()
    for name in PACKAGES:
        project = pyproject(name)["project"]
        runtime.update(project.get("dependencies", []))
        for extra in project.get("optional-dependencies", {}).values():
            runtime.update(extra)
    session.install("mypy==2.4.1", "types-PyYAML", "types-psutil", *sorted(runtime))
    for name in PACKAGES:
        # Optional typing tests: tests/typecheck/*.py, checked by mypy and never executed.
        typing_tests = package_dir(name) / "tests" / "typecheck"
        env = {"MYPYPATH": f"{package_dir(name) / 'src'}:{typing_tests}"}
        session.run("mypy", "-p", f"stunir.{name}", env=env)
        if typing_tests.is_dir():
            session.run("mypy", str(typing_tests), env=env)


@nox.session(python=DEFAULT_PYTHON)
def bench(session: nox.Session) -> None:
    """Each package against the peer library a user would otherwise pick, in one process.

    Peers are declared per benchmark file (PEP 723 ``dependencies``) and installed only here.
    ``nox -s bench -- retry`` runs one file. Results: a table on stdout and build/bench.json.
    """
    wheels = build_wheels(session, PACKAGES, Path(session.create_tmp()).resolve() / "wheels")
    peers: set[str] = set()
    for script in (ROOT / "benchmarks").glob("bench_*.py"):
        peers.update(nox.project.load_toml(script, missing_ok=True).get("dependencies", []))
    session.install(
        *(requirement(name, wheel) for name, wheel in wheels.items()),
        str(TEST_SUPPORT),
        *sorted(peer for peer in peers if not peer.startswith("stunir-")),
    )
    session.run(
        "python",
        str(ROOT / "benchmarks" / "run.py"),
        "--json",
        str(ROOT / "build" / "bench.json"),
        *session.posargs,
    )


@nox.session(python=DEFAULT_PYTHON)
def release_check(session: nox.Session) -> None:
    """Every current version has a CHANGELOG section; stunir-all's ranges admit every one."""
    session.install("packaging>=24")
    session.run("python", str(ROOT / "scripts" / "release_check.py"), *PACKAGES)
