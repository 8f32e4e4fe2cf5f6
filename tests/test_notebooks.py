"""Reading notebooks: graded cells, malformed notebooks and calls reported with their place."""

import nbformat
import pytest

from dlmath.notebooks import (
    NotebookError,
    code,
    grade_calls,
    graded,
    new_notebook,
    read,
    solution,
    solution_code,
    student_sources,
)


def notebook(*cells):
    return new_notebook(list(cells))


def test_grade_calls_and_student_sources():
    nb = notebook(code("import numpy as np"), solution("f_solution", "def f():\n    return 1"),
                  graded("f_tests", "01_linear_algebra/dot", 2, "`f`"))
    assert [(c.grade_id, c.exercise_id, c.points) for c in grade_calls(nb)] == [
        ("f_tests", "01_linear_algebra/dot", 2.0)]
    assert len(student_sources(nb)) == 2


def test_points_must_match_metadata():
    cell = graded("f_tests", "01_linear_algebra/dot", 2, "`f`")
    cell.metadata["nbgrader"]["points"] = 3
    with pytest.raises(NotebookError, match="nbgrader points are 3"):
        grade_calls(notebook(cell))


def test_non_literal_call_is_explained():
    cell = graded("f_tests", "01_linear_algebra/dot", 2, "`f`")
    cell.source = "import dlmath\ndlmath.grade(name, points=2)"
    with pytest.raises(NotebookError, match="cell 0: write the call as"):
        grade_calls(notebook(cell))


def test_unparsable_test_cell_is_located():
    cell = graded("f_tests", "01_linear_algebra/dot", 2, "`f`")
    cell.source = "dlmath.grade('x/y', points=2"
    with pytest.raises(NotebookError, match="cell 0: the test cell does not parse"):
        grade_calls(notebook(cell))


def test_unreadable_notebook(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    with pytest.raises(NotebookError, match="bad.ipynb: not a readable notebook"):
        read(bad)
    with pytest.raises(NotebookError, match="no such notebook"):
        read(tmp_path / "missing.ipynb")


def test_solution_code_drops_markers():
    src = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"
    assert solution_code(src) == "def f():\n    return 1"


def test_written_notebooks_validate(tmp_path):
    nb = notebook(solution("f_solution", "def f():\n    pass"))
    nbformat.validate(nb)


@pytest.mark.parametrize("points", [2, 2.0, "2", True, 1, 3, None, "2.0", -0.0,
                                    float("nan"), [2], {"a": 1}])
def test_a_graded_cell_parsed_before_gives_what_parsing_it_again_gives(points):
    from dlmath.notebooks import _parse_graded_cell, parse_graded_cell

    source = "dlmath.grade('01_linear_algebra/matmul', points=2)"

    def outcome(parse):
        try:
            return parse(source, points, "g", "cell 3")
        except NotebookError as exc:
            return str(exc)

    fresh = outcome(_parse_graded_cell)
    for _ in range(2):
        assert outcome(parse_graded_cell) == fresh
