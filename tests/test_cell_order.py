"""A graded cell judges the notebook as it stands there, in every path.

Each `CellOrder` case of the corpora (a function redefined by a later cell, or defined only
below its graded cell) is graded by `dlmath check`, sealed and in this process; those of
05_initialization also go through the real `nbgrader autograde` and `dlmath grade`. Every
path gives the same score to every graded cell; a later redefinition, worse or better,
leaves the earlier exercise's score what it is without it; a function defined only below
its graded cell scores zero there, and the feedback says why.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from course_support import make_course

from dlmath.check import check_notebook
from dlmath.course import CellOrder, Corpus, corpora, source_dir
from dlmath.engine.report import render
from dlmath.nbgrader.batch import grade_assignment
from dlmath.nbgrader.course import Course
from dlmath.notebooks import fill_solutions, read
from dlmath.sim.demo import SimStudent, reference

CASES = [(c, o) for c in corpora() for o in c.cell_order]
E2E = "05_initialization"


def notebook(folder: Path, corpus: Corpus, answers: dict[str, str]) -> Path:
    """The source notebook (reference answers, hidden tests kept) with `answers` put in."""
    nb = fill_solutions(read(source_dir() / corpus.assignment / corpus.notebook), answers)
    path = folder / corpus.notebook
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def exercise(report, corpus: Corpus, order: CellOrder):
    return next(e for e in report.exercises if e.exercise == f"{corpus.assignment}/"
                                                             f"{order.function}")


@pytest.mark.parametrize("corpus, order", CASES, ids=[o.id for _, o in CASES])
def test_graded_where_the_cell_stands(tmp_path, corpus, order):
    path = notebook(tmp_path / "case", corpus, order.code())
    sealed, local = check_notebook(path), check_notebook(path, sealed=False)
    assert sealed.by_cell() == local.by_cell()
    result = exercise(local, corpus, order)
    if order.diagnosis:
        assert result.score == 0 and order.diagnosis in render(result), render(result)
        return
    baseline = check_notebook(notebook(tmp_path / "baseline", corpus, order.code(True)),
                              sealed=False)
    assert result.score == exercise(baseline, corpus, order).score, render(result)


def test_a_later_redefinition_would_have_changed_the_score(tmp_path):
    """The cases can fail: graded on the final namespace, a case's score would differ."""
    for corpus, order in CASES:
        if order.diagnosis is None:
            path = notebook(tmp_path / order.id, corpus, order.code())
            nb = read(path)
            whole = check_notebook(path, sealed=False)
            # the same notebook, every definition made first: the graded cells moved last
            graded = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get(
                "grade") and not c.metadata.nbgrader.get("solution")]
            nb.cells = [c for c in nb.cells if c not in graded] + graded
            nbformat.write(nb, str(path))
            final = check_notebook(path, sealed=False)
            assert exercise(final, corpus, order).score != exercise(whole, corpus, order).score


# --- through nbgrader autograde and dlmath grade -----------------------------------------

def _student(corpus: Corpus, sid: str, answers: dict[str, str]) -> SimStudent:
    def answer(assignment: str, name: str) -> dict[str, str] | None:
        return reference(assignment, name) | answers if name == corpus.notebook else None
    return SimStudent(sid, "cell order", answer)


@pytest.fixture(scope="module")
def courses(tmp_path_factory):
    students = []
    for n, (corpus, order) in enumerate(c for c in CASES if c[0].assignment == E2E):
        students.append(_student(corpus, f"order{n}", order.code()))
    base = tmp_path_factory.mktemp("order")
    stock = make_course(base / "autograde", assignment=E2E, students=students)
    shutil.copytree(stock.base, base / "grade", symlinks=True)
    stock.nbgrader("autograde", E2E, "--force")
    batch = Course(base / "grade")
    summary = grade_assignment(batch.root, E2E, workers=2)
    assert not summary.failed
    return stock, batch, students


@pytest.mark.e2e
@pytest.mark.slow
def test_every_path_gives_the_same_scores(courses):
    stock, batch, students = courses
    for student in students:
        notebook_name = next(c.notebook for c, _ in CASES if c.assignment == E2E)
        autograded = stock.cell_scores(student.id, E2E, notebook_name)
        assert autograded == batch.cell_scores(student.id, E2E, notebook_name)
        checked = check_notebook(stock.root / "submitted" / student.id / E2E / notebook_name)
        assert autograded == pytest.approx(checked.by_cell(), abs=1e-6)
