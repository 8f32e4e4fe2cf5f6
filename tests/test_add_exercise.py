"""Adding an exercise, as the README says: one source notebook, one grader file and the
assignment's corpus change, then `dlmath release`; nothing else is touched.

A throwaway exercise, `scale(x, c)` in 01_linear_algebra, is added that way to a temporary
copy of the course. `dlmath release` gives students its stub and no solution; `dlmath check`
gives the reference full marks; the corpus's right solution keeps them and its wrong one
loses points with its diagnosis.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dlmath.course import REPO_ROOT, corpus
from dlmath.engine.report import render
from dlmath.engine.runner import grade_exercise
from dlmath.engine.student import LocalStudent, exec_cells
from dlmath.notebooks import (
    fill_solutions,
    graded,
    markdown,
    public_check,
    read,
    reference_solutions,
    solution,
    student_sources,
)

pytestmark = pytest.mark.slow

ASSIGNMENT, NOTEBOOK = "01_linear_algebra", "linear_algebra.ipynb"
EXERCISE = f"{ASSIGNMENT}/scale"

CELLS = [  # 1. the source notebook: explanation, solution, public check, graded cell
    markdown("## Scaling\n\nWrite `scale(x, c)`: every entry of the array `x` times the "
             "number `c`."),
    solution("scale_solution", """
def scale(x, c):
    ### BEGIN SOLUTION
    return c * x
    ### END SOLUTION
"""),
    public_check("scale_public", """
np.testing.assert_allclose(scale(np.array([1.0, -2.0]), 3.0), [3.0, -6.0])
print("scale: public checks passed")
"""),
    graded("scale_tests", EXERCISE, 2, "scale"),
]

GRADER = '''\
"""scale(x, c): every entry of x times the number c."""

import pytest
import torch

from dlmath.kit import FLOAT64, SEEDS, expect_close, normal, reference


@reference
def torch_scale(x, c):
    return torch.mul(torch.from_numpy(x), c).numpy()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(3,), (2, 5)])
def test_matches_torch(student, shape, seed):
    """matches torch.mul for an array of shape {shape} (seed {seed})"""
    x = normal(seed, *shape)
    expect_close(student.scale(x, -2.5), torch_scale(x, -2.5), tol=FLOAT64,
                 what=f"scale of a {shape} array by -2.5")
'''

CORPUS = '''\
    S("scale", "multiplies in a loop", """
        def scale(x, c):
            out = np.empty_like(x)
            for i in np.ndindex(x.shape):
                out[i] = c * x[i]
            return out
    """),
    S("scale", "scales the input in place", """
        def scale(x, c):
            x *= c
            return x
    """, diagnosis="in place"),
'''


def add_exercise(root: Path) -> None:
    """What the newcomer writes: the three files of the README's steps, nothing else."""
    notebook = root / "source" / ASSIGNMENT / NOTEBOOK
    nb = read(notebook)
    nb.cells += CELLS
    nbformat.write(nb, str(notebook))
    (root / "autograders" / ASSIGNMENT / "test_scale.py").write_text(GRADER)
    corpus_file = root / "autograders" / ASSIGNMENT / "corpus.py"
    text = corpus_file.read_text()
    assert "LINEAR_ALGEBRA = (\n" in text
    corpus_file.write_text(text.replace("LINEAR_ALGEBRA = (\n", "LINEAR_ALGEBRA = (\n" + CORPUS))


def copy_course(root: Path) -> None:
    for folder in ("source", "release", "autograders"):
        shutil.copytree(REPO_ROOT / folder / ASSIGNMENT, root / folder / ASSIGNMENT)
    for name in ("autograders/conftest.py", "nbgrader_config.py"):
        shutil.copy(REPO_ROOT / name, root / name)


def files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


def dlmath(root: Path, *args: str) -> subprocess.CompletedProcess:
    """`dlmath ARGS` run in the course directory, which it finds from DLMATH_COURSE_ROOT."""
    env = {k: v for k, v in os.environ.items() if k != "DLMATH_AUTOGRADERS"}
    env["DLMATH_COURSE_ROOT"] = str(root)
    return subprocess.run([sys.executable, "-m", "dlmath.cli", *args], cwd=root, env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)


def test_an_exercise_is_one_notebook_one_grader_one_corpus_then_release(tmp_path, monkeypatch):
    root = tmp_path / "course"
    copy_course(root)
    before = files(root)
    add_exercise(root)
    touched = changed(before, files(root))
    assert touched == {f"source/{ASSIGNMENT}/{NOTEBOOK}", f"autograders/{ASSIGNMENT}/corpus.py",
                       f"autograders/{ASSIGNMENT}/test_scale.py"}

    # 2. `dlmath release`: the student version gets the stub, the leak check passes.
    done = dlmath(root, "release")
    assert done.returncode == 0, done.stdout + done.stderr
    assert changed(before, files(root)) - touched == {f"release/{ASSIGNMENT}/{NOTEBOOK}"}
    released = read(root / "release" / ASSIGNMENT / NOTEBOOK)
    stub = next((c.source for c in released.cells if c.source.startswith("def scale(")), "")
    assert "NotImplementedError" in stub and "c * x" not in stub, "no stub of scale released"

    # 3. `dlmath check` on the source notebook: the reference earns every point.
    done = dlmath(root, "check", f"source/{ASSIGNMENT}/{NOTEBOOK}", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    scale = next(e for e in report["exercises"] if e["exercise"] == EXERCISE)
    assert scale["score"] == scale["possible"] == 2 and report["score"] == report["possible"]

    # 4. The corpus, found through dlmath.course: right keeps full marks, wrong loses points.
    monkeypatch.delenv("DLMATH_AUTOGRADERS", raising=False)
    monkeypatch.setenv("DLMATH_COURSE_ROOT", str(root))
    solutions = [s for s in corpus(ASSIGNMENT, NOTEBOOK) if s.function == "scale"]
    assert sorted(s.correct for s in solutions) == [False, True]
    answers = reference_solutions(read(root / "source" / ASSIGNMENT / NOTEBOOK))
    for s in solutions:
        nb = fill_solutions(read(root / "release" / ASSIGNMENT / NOTEBOOK),
                            {**answers, "scale_solution": s.source})
        sources = student_sources(nb)
        namespace: dict = {"__name__": "__main__"}
        assert exec_cells(sources, namespace) == []
        result = grade_exercise(EXERCISE, LocalStudent(namespace, sources), 2)
        feedback = render(result)
        if s.correct:
            assert result.score == 2, feedback
        else:
            assert result.score < 2 and s.diagnosis in feedback, feedback
