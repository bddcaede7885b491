"""mypy --strict over tests/typing/: the decorators keep the signatures users type-check."""

import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
# tests/typing/ today; tests/typecheck/ once the shared typecheck session can check it too.
TYPING_TESTS = sorted([*HERE.glob("typing/check_*.py"), *HERE.glob("typecheck/check_*.py")])


def test_there_are_typing_examples() -> None:
    assert TYPING_TESTS


@pytest.mark.parametrize("path", TYPING_TESTS, ids=lambda p: p.name)
def test_typing_examples_pass_mypy_strict(path: Path, tmp_path: Path) -> None:
    # Against the installed wheel (its py.typed), as a user's type checker would see it.
    command = [sys.executable, "-m", "mypy", "--config-file=", "--strict"]
    command += ["--python-version=3.10", "--warn-unreachable", "--warn-unused-ignores"]
    command += ["--enable-error-code=ignore-without-code", f"--cache-dir={tmp_path}", str(path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
