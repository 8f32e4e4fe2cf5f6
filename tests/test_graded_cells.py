"""One reading of a graded cell for every path: a malformed cell, or points that disagree
with its `dlmath.grade(..., points=N)` call, is the same clear message naming the cell
whether `dlmath check`, `dlmath release` or sealed grading (`nbgrader autograde`, `dlmath
grade`: both run SealedExecute) meets it; sealed grading scores that cell zero and goes on."""

from __future__ import annotations

import pytest

from dlmath.engine.runner import grade_exercise
from dlmath.engine.student import LocalStudent
from dlmath.nbgrader.sealed_execute import grade_cell
from dlmath.notebooks import NotebookError, grade_calls, graded, new_notebook
from dlmath.sealed import open_sources

EXERCISE = "01_linear_algebra/dot"


def malformed(kind: str):
    cell = graded("dot_tests", EXERCISE, 2, "`dot`")
    if kind == "points disagree":
        cell.metadata["nbgrader"]["points"] = 3
    elif kind == "no call":
        cell.source = "assert dot([1], [1]) == 1"
    elif kind == "not literal":
        cell.source = "import dlmath\ndlmath.grade(name, points=2)"
    return cell


MESSAGES = {
    "points disagree": "grade(..., points=2) but the cell's nbgrader points are 3",
    "no call": "this graded cell has no dlmath.grade call, which sealed grading needs",
    "not literal": "write the call as dlmath.grade('<assignment>/<exercise>', points=N) "
                   "with literal values",
}


@pytest.mark.parametrize("kind", MESSAGES)
def test_every_path_says_the_same_about_a_malformed_graded_cell(kind):
    with pytest.raises(NotebookError) as raised:
        grade_calls(new_notebook([malformed(kind)]))
    assert str(raised.value) == f"notebook, cell 0: {MESSAGES[kind]}"
    cell = malformed(kind)
    with open_sources(["def dot(u, v):\n    return float(u @ v)"]) as submission:
        grade_cell(cell, submission, "notebook, cell 0", 1)
    report, score = cell.outputs
    assert score.data["text/plain"] == "0.0"
    assert f"notebook, cell 0: {MESSAGES[kind]}" in report.text


def test_a_grader_that_cannot_run_costs_its_exercise_in_one_wording():
    student = LocalStudent({"dot": lambda u, v: 0.0})
    result = grade_exercise("01_linear_algebra/no_such_exercise", student, 2)
    assert result.score == 0 and result.possible == 2
    (case,) = result.cases
    assert case.message == ("could not grade: FileNotFoundError: no grader for exercise "
                            "'01_linear_algebra/no_such_exercise'")
