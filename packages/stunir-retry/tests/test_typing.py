"""mypy --strict over tests/typing/: the decorators keep the signatures users type-check."""

import subprocess
import sys
from pathlib import Path

import pytest

TYPING_TESTS = Path(__file__).parent / "typing"


@pytest.mark.parametrize("path", sorted(TYPING_TESTS.glob("check_*.py")), ids=lambda p: p.name)
def test_typing_examples_pass_mypy_strict(path: Path, tmp_path: Path) -> None:
    # Against the installed wheel (its py.typed), as a user's type checker would see it.
    command = [sys.executable, "-m", "mypy", "--config-file=", "--strict"]
    command += ["--python-version=3.10", "--warn-unreachable", "--warn-unused-ignores"]
    command += ["--enable-error-code=ignore-without-code", f"--cache-dir={tmp_path}", str(path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
