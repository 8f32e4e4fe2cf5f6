"""Run the graders under plain pytest, for authoring: `pytest autograders/01_linear_algebra`.

The `student` fixture is the reference solution from `source/` (or the notebook given with
`--notebook`), run in this process.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from dlmath.engine.student import LocalStudent, load_student

# The notebooks' plot cells run here: keep matplotlib's cache out of the home directory.
os.environ.setdefault("MPLCONFIGDIR", os.path.join(tempfile.gettempdir(), "dlmath-matplotlib"))
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--notebook", action="append", default=[],
                     help="grade this notebook instead of the reference solutions in source/")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "weight(w): the weight of a grader case")
    config.addinivalue_line("markers", "property: a check an answer doing no work may pass")


@pytest.fixture(scope="module")
def student(request: pytest.FixtureRequest) -> LocalStudent:
    assignment = Path(request.module.__file__).parent.name
    notebooks = [Path(p) for p in request.config.getoption("--notebook")]
    if not notebooks:
        notebooks = sorted((Path(request.config.rootpath) / "source" / assignment).glob("*.ipynb"))
    student = load_student(notebooks)
    student.trace(hasattr(request.module, "FORBIDDEN"))
    return student
