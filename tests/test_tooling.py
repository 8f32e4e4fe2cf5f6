"""The project's own tooling runs clean: ruff on everything, mypy on the engine."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True)


def test_ruff():
    done = run(str(BIN / "ruff"), "check", "dlmath", "tests", "autograders", "deploy",
               "nbgrader_config.py")
    assert done.returncode == 0, done.stdout[-3000:]


def test_mypy_on_the_engine():
    done = run(str(BIN / "mypy"), "--ignore-missing-imports", "--no-error-summary",
               "--cache-dir", "/dev/null", "dlmath/engine", "dlmath/sealed", "dlmath/notebooks.py")
    assert done.returncode == 0, done.stdout[-3000:]
