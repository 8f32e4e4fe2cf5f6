"""End to end through the real nbgrader autograde for every released assignment after 01:
the reference solutions score the maximum and a student with realistic mistakes scores
exactly what `check` reports, notebook by notebook."""

import base64
import io

import nbformat
import pytest
from rich.console import Console

from dlmath.check import check_notebook
from dlmath.course import source_dir
from dlmath.nbgrader import ahead
from dlmath.nbgrader.sealed_execute import _DRAWN
from dlmath.sim.demo import CLASS, notebooks_of, released_assignments, run_demo

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ASSIGNMENTS = [a for a in released_assignments() if a != "01_linear_algebra"]
STUDENTS = tuple(s for s in CLASS if s.id in ("ada", "cleo"))
NOTEBOOKS = [(a, nb) for a in ASSIGNMENTS for nb in notebooks_of(a)]
FIGURES = [(a, nb) for a, nb in NOTEBOOKS if "plt.show()" in (source_dir() / a / nb).read_text()]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    if not ASSIGNMENTS:
        pytest.skip("no assignment after 01 is released yet")
    # The figure tests read this process's table of drawn figures: grading ahead would draw
    # some in its helper's (tests/test_grade_ahead.py grades ahead; a CI run found ada's
    # gradient descent figure drawn there).
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ahead, "for_run", lambda *args, **kwargs: None)
        return run_demo(tmp_path_factory.mktemp("course"), ASSIGNMENTS, STUDENTS,
                        console=Console(file=io.StringIO()))


@pytest.mark.parametrize("assignment, notebook", NOTEBOOKS, ids=lambda v: str(v))
def test_reference_scores_the_maximum(course, assignment, notebook):
    scores = course.cell_scores("ada", assignment, notebook)
    assert scores == course.cell_maxima(assignment, notebook)


@pytest.mark.parametrize("assignment, notebook", NOTEBOOKS, ids=lambda v: str(v))
def test_mistakes_score_what_check_reports(course, assignment, notebook):
    graded = course.cell_scores("cleo", assignment, notebook)
    report = check_notebook(course.root / "submitted" / "cleo" / assignment / notebook)
    assert graded == pytest.approx(report.by_cell(), abs=1e-6)


def pngs(course, student: str, assignment: str, notebook: str) -> list[bytes]:
    nb = nbformat.read(course.autograded(student, assignment, notebook), as_version=4)
    return [base64.b64decode(o.data["image/png"]) for c in nb.cells
            for o in c.get("outputs", []) if "image/png" in o.get("data", {})]


@pytest.mark.parametrize("assignment, notebook", FIGURES, ids=lambda v: str(v))
def test_the_sealed_autograde_keeps_the_figures_it_draws(course, assignment, notebook):
    """The sealed autograde (run in this process by the demo) draws each figure after
    grading and keeps its PNG in the process's table of drawn figures."""
    ada = pngs(course, "ada", assignment, notebook)
    assert ada and set(ada) <= set(_DRAWN.pngs.values())


def test_a_figure_the_same_as_one_drawn_before_is_not_drawn_again(course):
    """cleo's figures that are the reference solution's to the last bit (where her mistakes
    do not reach them) are given the PNG drawn for ada, not drawn again."""
    shared = sum(png in pngs(course, "ada", a, nb) for a, nb in FIGURES
                 for png in pngs(course, "cleo", a, nb))
    assert shared and _DRAWN.reused >= shared
