"""`dlmath check` reads like the feedback (issue 18): per exercise in notebook order, each
with the failures of its own cells (its solution, its public check) under it; a failing
setup cell once, under "notebook", before them; `--json` keeps `problems` and adds each
exercise's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import pytest

from dlmath.check import CellPlace, NotebookReport, cell_places, check_notebook, render_report
from dlmath.course import release_dir, source_dir
from dlmath.engine.results import CaseResult, ExerciseResult
from dlmath.notebooks import fill_solutions, read, reference_solutions

LINEAR = "01_linear_algebra"
NOTEBOOK = "linear_algebra.ipynb"
EXERCISES = ["transpose", "matmul", "dot", "vector_norm", "cosine_similarity",
             "linear_forward", "linear_forward_columns", "batch_matmul"]
WRONG_DOT = "def dot(u, v):\n    return float(u @ v) + 1"


def run(*args):
    """The real command; wide, so that only its own line breaks are in the text."""
    return subprocess.run([sys.executable, "-m", "dlmath.cli", *args], capture_output=True,
                          text=True, env={**os.environ, "COLUMNS": "400"})


def student_copy(tmp_path, answers, setup=None):
    """A student's copy of the linear algebra notebook: reference answers but `answers`."""
    folder = tmp_path / LINEAR
    folder.mkdir()
    nb = read(release_dir() / LINEAR / NOTEBOOK)
    solved = reference_solutions(read(source_dir() / LINEAR / NOTEBOOK)) | answers
    fill_solutions(nb, solved)
    if setup is not None:
        nb.cells[1].source = setup  # `import numpy as np`
    nbformat.write(nb, str(folder / NOTEBOOK))
    return folder / NOTEBOOK


def headings(text):
    """The unindented lines: exercise headings, "notebook", the total."""
    return [line.split(":")[0] for line in text.splitlines() if line and line[0] != " "]


def test_cells_are_placed_by_exercise():
    nb = read(release_dir() / LINEAR / NOTEBOOK)
    places = cell_places(nb, [f"{e}_tests" for e in EXERCISES])
    assert places[1] == CellPlace("", "", "cell")  # import numpy: above every exercise
    assert places[2] == CellPlace("transpose_tests", "", "solution")
    assert places[3] == CellPlace("transpose_tests", "", "public check")
    assert places[7] == CellPlace("dot_tests", "matmul_tests", "public check")
    assert len(places) == 17


def test_demo_cells_and_a_deleted_graded_cell():
    """A demo cell between exercises belongs to none; an exercise whose graded cell was
    deleted keeps its cells (by their nbgrader ids), and the next exercise does not get them."""
    nb = read(release_dir() / "04_probability" / "distributions.ipynb")
    ids = [c.metadata.nbgrader["grade_id"] for c in nb.cells
           if c.metadata.get("nbgrader", {}).get("grade")]
    places = cell_places(nb, ids)
    assert places[8] == CellPlace("", "sample_normal_tests", "cell")  # the histogram
    assert places[9].exercise == "mean_and_variance_tests"
    del nb.cells[next(i for i, c in enumerate(nb.cells)
                      if c.metadata.get("nbgrader", {}).get("grade_id") == "gaussian_pdf_tests")]
    places = cell_places(nb, ids)
    assert places[5] == CellPlace("gaussian_pdf_tests", "gaussian_log_pdf_tests",
                                  "public check")
    assert places[6].exercise == "sample_normal_tests"


def test_a_failing_public_check_is_shown_under_its_exercise(tmp_path):
    path = student_copy(tmp_path, {"dot_solution": WRONG_DOT})
    done = run("check", str(path))
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "problem running" not in text and "[yellow]" not in text
    assert headings(text) == [*EXERCISES, "total"]  # nothing before the first exercise
    dot = text[text.index("\ndot:"):text.index("\nvector_norm:")]
    assert "public check (cell 7) failed" in dot and "costs nothing" in dot
    assert "AssertionError: Not equal to tolerance" in dot
    assert text.count("public check") == 1
    assert "cell 7" not in text.replace(dot, "")


def test_a_failing_setup_cell_is_shown_once_first(tmp_path):
    path = student_copy(tmp_path, {"dot_solution": WRONG_DOT}, setup="import nump as np")
    text = run("check", str(path)).stdout
    assert headings(text) == ["notebook", *EXERCISES, "total"]
    assert text.count("No module named 'nump'") == 1
    setup = text[:text.index("\ntranspose:")]
    assert "cell 1 failed" in setup and "fix it first" in setup
    # Every public check then fails (no `np`): each under its own exercise, in order.
    publics = [text.index(f"public check (cell {n})") for n in (3, 5, 7, 9, 11, 13, 15, 17)]
    starts = [text.index(f"\n{e}:") for e in EXERCISES]
    assert publics == sorted(publics)
    assert all(s < p for s, p in zip(starts, publics, strict=True))
    assert all(p < s for p, s in zip(publics, starts[1:], strict=False))


def test_json_keeps_problems_and_adds_each_exercises(tmp_path):
    path = student_copy(tmp_path, {"dot_solution": WRONG_DOT}, setup="import nump as np")
    done = run("check", str(path), "--json")
    report = json.loads(done.stdout)
    assert len(report["problems"]) == 9 and report["problems"][0].startswith("cell 1: ")
    assert report["notebook_problems"] == [report["problems"][0]]
    by_id = {e["grade_id"]: e for e in report["exercises"]}
    assert [p.split(":")[0] for p in by_id["dot_tests"]["problems"]] == ["cell 7"]
    assert sum(len(e["problems"]) for e in report["exercises"]) == 8
    assert by_id["dot_tests"]["exercise"] == f"{LINEAR}/dot"  # the old fields stay


@pytest.mark.parametrize("answers, setup", [({"dot_solution": WRONG_DOT}, None),
                                            ({}, "import nump as np")])
def test_sealed_and_in_process_number_cells_alike(tmp_path, answers, setup):
    path = student_copy(tmp_path, answers, setup)
    sealed, local = check_notebook(path), check_notebook(path, sealed=False)
    assert sealed.cells == local.cells
    assert [p.split(":")[0] for p in sealed.problems] == \
        [p.split(":")[0] for p in local.problems]
    assert sealed.by_cell() == local.by_cell()


def test_long_messages_are_cut_and_places_phrased():
    """Without grading: a long assertion, a solution cell, a demo below an exercise."""
    result = ExerciseResult("a/f", (CaseResult("works", "failed", "wrong", 1.0),), 0.0, 2.0)
    passed = ExerciseResult("a/g", (CaseResult("works", "passed", "", 1.0),), 1.0, 1.0)
    long = "AssertionError: \n" + "\n".join(f"line {i}" for i in range(10))
    report = NotebookReport(
        "nb.ipynb", [result, passed],
        [f"cell 2: {long}", "cell 3: NameError: name 'x' is not defined",
         "cell 4: ValueError: boom", "cell 5: AssertionError: "],
        ["f_tests", "g_tests"],
        {1: CellPlace(), 2: CellPlace("f_tests", "", "public check"),
         3: CellPlace("g_tests", "f_tests", "solution"), 4: CellPlace("", "g_tests", "cell"),
         5: CellPlace("g_tests", "f_tests", "public check")})
    text = render_report(report)
    assert headings(text) == ["f", "g", "total"]
    assert "AssertionError: line 0" in text and "line 3" in text and "line 4" not in text
    assert "      …" in text
    assert "your solution (cell 3) failed" in text
    assert "cell 4, below g's graded cell, failed" in text.replace("\n    ", " ")
    assert "the graded checks above all passed" in text.replace("\n    ", " ")
    assert text.index("cell 3") < text.index("cell 4") < text.index("total")
    assert report.to_dict()["notebook_problems"] == ["cell 4: ValueError: boom"]
