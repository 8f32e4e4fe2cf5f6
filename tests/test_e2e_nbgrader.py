"""End to end with the real nbgrader commands: the demo class on 01_linear_algebra.

One temporary course, exchange and gradebook: generate, release, fetch, submit, collect,
autograde, generate_feedback, export. Then every score is checked against `check`.
"""

import io
import re

import pytest
from rich.console import Console

from dlmath.check import check_notebook
from dlmath.course import PACKAGE_DIR, autograders_dir
from dlmath.sim.demo import CLASS, run_demo, summary_table

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ASSIGNMENT = "01_linear_algebra"
NOTEBOOKS = ("linear_algebra.ipynb", "quiz.ipynb")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    out = io.StringIO()
    course = run_demo(tmp_path_factory.mktemp("demo"), [ASSIGNMENT], CLASS,
                      console=Console(file=out, width=200))
    course.printed = out.getvalue()
    return course


def total(course, student):
    return sum(sum(course.cell_scores(student, ASSIGNMENT, nb).values()) for nb in NOTEBOOKS)


def possible(course):
    return sum(sum(course.cell_maxima(ASSIGNMENT, nb).values()) for nb in NOTEBOOKS)


def autograded_text(course, student, notebook="linear_algebra.ipynb"):
    return course.autograded(student, ASSIGNMENT, notebook).read_text()


def test_reference_scores_the_maximum(course):
    assert total(course, "ada") == possible(course) == 28


def test_alternative_solutions_keep_full_marks(course):
    assert total(course, "ben") == possible(course)


@pytest.mark.parametrize("student", ["cleo", "dev"])
def test_partial_credit_matches_check(course, student):
    for notebook in NOTEBOOKS:
        graded = course.cell_scores(student, ASSIGNMENT, notebook)
        report = check_notebook(course.root / "submitted" / student / ASSIGNMENT / notebook)
        assert graded == pytest.approx(report.by_cell(), abs=1e-6)
    assert 0 < total(course, student) < possible(course)


def test_runtime_warning_costs_nothing(course):
    assert total(course, "hana") == possible(course)
    assert "RuntimeWarning" in autograded_text(course, "hana")


def test_infinite_loop_gets_a_grade_and_reason(course):
    scores = course.cell_scores("gus", ASSIGNMENT, "linear_algebra.ipynb")
    assert scores["transpose_tests"] == 0 and scores["matmul_tests"] == 3
    assert "did not finish within" in autograded_text(course, "gus")


def test_syntax_error_gets_a_grade_and_reason(course):
    scores = course.cell_scores("finn", ASSIGNMENT, "linear_algebra.ipynb")
    assert scores["transpose_tests"] == 0 and scores["dot_tests"] == 2
    assert "SyntaxError" in autograded_text(course, "finn")


def test_blank_notebook_scores_zero_with_reason(course):
    assert total(course, "eve") == 0
    assert "NotImplementedError" in autograded_text(course, "eve")


def test_feedback_hides_grader_internals(course):
    pages = list((course.root / "feedback").rglob("*.html"))
    assert len(pages) == len(CLASS) * len(NOTEBOOKS)
    for page in pages:
        html = page.read_text()
        # (A hostile student's own code may spell out paths; that is their text, not ours.)
        for secret in ("HIDDEN TESTS", "dlmath.grade", str(autograders_dir()), str(PACKAGE_DIR),
                       "test_transpose.py", "expect_close", "<script", "cdnjs"):
            assert secret not in html, f"{page} shows {secret!r}"
    cleo = (course.feedback("cleo", ASSIGNMENT) / "linear_algebra.html").read_text()
    assert "checks passed" in cleo and "<math" in cleo  # the report; typeset math
    for name in ("transpose", "matmul"):  # the summary names each score
        assert f'<a href="#{name}_tests">{name}</a>' in cleo
    assert '<a href="#q1_tests">quiz q1</a>' in (course.feedback("cleo", ASSIGNMENT) /
                                                  "quiz.html").read_text()


def test_export_and_table(course):
    rows = course.grades()
    assert {r["student_id"] for r in rows} == {s.id for s in CLASS}
    assert "ada" in course.printed and "Grades CSV" in course.printed
    # not a terminal: a line a step as it ends, then the summary and the class report's path
    assert "autograde (sealed): 1 done in" in course.printed
    report = course.root / "reports" / f"{ASSIGNMENT}.html"
    assert f"class report: {report}" in course.printed and report.exists()


def test_the_summary_fits_80_columns(course):
    out = io.StringIO()
    Console(file=out, width=80).print(summary_table(course, ASSIGNMENT, CLASS))
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80 and "hardest:" in lines[-1]
    assert any("Ada Lovelace (ada)" in line and "28/28" in line for line in lines)


@pytest.mark.parametrize("student", ["mallory", "oscar"])
def test_hostile_students_earn_only_their_honest_functions(course, student):
    scores = course.cell_scores(student, ASSIGNMENT, "linear_algebra.ipynb")
    assert scores["transpose_tests"] == 0  # the function under attack returns None
    assert total(course, student) == possible(course) - 2


def test_hostile_students_harm_nobody(course):
    assert course.gradebook.exists()
    assert total(course, "ada") == possible(course)
    # refused, or not even found under the empty folder that covers the graders
    assert re.search(r"blocked: (PermissionError|FileNotFoundError)",
                     autograded_text(course, "oscar"))
    quiz = course.cell_scores("oscar", ASSIGNMENT, "quiz.ipynb")
    assert sum(quiz.values()) == 6  # the answer key was neither read nor changed
