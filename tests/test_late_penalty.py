"""Late submissions: nbgrader's late-submission plugin, configured in the course's
nbgrader_config.py, gives the same penalties through `nbgrader autograde` (SaveGrades) and
`dlmath grade` (record.late_penalties, record.write_submission).

One small assignment (01_linear_algebra's quiz alone), two students handing in the same
answers (5 of 6 points), one a day after the due date, one a day before; four copies of the
course: {"zero", the default "none"} x {nbgrader autograde, dlmath grade}.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from dlmath.course import source_dir
from dlmath.nbgrader.course import Course
from dlmath.notebooks import fill_solutions, read, reference_solutions

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ASSIGNMENT = "01_linear_algebra"
NOTEBOOK = "quiz"
DUEDATE = datetime(2026, 11, 20, 12, 0)  # naive UTC, as nbgrader stores it
STAMPS = {"late": "2026-11-21 12:00:00.000000 UTC", "ontime": "2026-11-19 12:00:00.000000 UTC"}
SCORE, POSSIBLE = 5.0, 6.0  # every answer the reference's but q1
PATHS = ("autograde", "grade")
METHODS = ("zero", "none")


def _base_course(base: Path) -> Course:
    """The quiz alone, generated, with its due date, and both submissions collected."""
    source = base / "source"
    (source / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(source_dir() / ASSIGNMENT / f"{NOTEBOOK}.ipynb", source / ASSIGNMENT)
    course = Course.create(base / "base", [ASSIGNMENT], source=source)
    course.generate(ASSIGNMENT)
    with Gradebook(f"sqlite:///{course.gradebook}", "dlmath") as gb:
        gb.update_or_create_assignment(ASSIGNMENT, duedate=DUEDATE)
    answers = reference_solutions(read(source / ASSIGNMENT / f"{NOTEBOOK}.ipynb"))
    answers["q1_answer"] = "q1 = (10, 4)"  # wrong: a score below the maximum
    released = course.root / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    for student, stamp in STAMPS.items():
        folder = course.root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text(stamp)
        nbformat.write(fill_solutions(read(released), answers), str(folder / released.name))
    return course


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    """(method, path) -> student -> (late seconds, notebook score, notebook penalty,
    submission score, submission penalty), read back from each course's gradebook."""
    tmp = tmp_path_factory.mktemp("late")
    base = _base_course(tmp)
    found = {}
    for method in METHODS:
        for path in PATHS:
            course = Course(tmp / f"{method}-{path}")
            shutil.copytree(base.base, course.base, symlinks=True)
            if method != "none":  # "none" stays nbgrader's default: nothing configured
                config = course.root / "nbgrader_config.py"
                config.write_text(config.read_text() +
                                  f"\nc.LateSubmissionPlugin.penalty_method = {method!r}\n")
            if path == "autograde":
                course.autograde(ASSIGNMENT)
            else:
                done = course.dlmath("grade", ASSIGNMENT, "--force", "--workers", "1")
                assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
            found[method, path] = _read(course)
    return found


def _read(course: Course) -> dict:
    rows = {}
    with Gradebook(f"sqlite:///{course.gradebook}", "dlmath") as gb:
        for student in STAMPS:
            submission = gb.find_submission(ASSIGNMENT, student)
            notebook = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student)
            rows[student] = (submission.total_seconds_late, notebook.score,
                             notebook.late_submission_penalty, submission.score,
                             submission.late_submission_penalty)
    return rows


def test_the_submissions_are_graded_as_intended(results):
    """The ground every other test stands on: one late by a day, one on time, both 5/6."""
    for rows in results.values():
        assert rows["late"][0] == 24 * 3600 and rows["ontime"][0] == 0
        assert rows["late"][1] == rows["ontime"][1] == SCORE < POSSIBLE


@pytest.mark.parametrize("path", PATHS)
def test_zero_penalises_a_late_submission_by_its_score(results, path):
    _, score, penalty, total, total_penalty = results["zero", path]["late"]
    assert score == SCORE and penalty == score  # non-zero: the score is 5
    assert total_penalty == penalty and max(0.0, total - total_penalty) == 0


def test_zero_gives_both_paths_the_same_penalties(results):
    assert results["zero", "grade"] == results["zero", "autograde"]


@pytest.mark.parametrize("path", PATHS)
def test_none_penalises_nothing(results, path):
    late, ontime = results["none", path]["late"], results["none", path]["ontime"]
    assert late[2] is None and late[4] == 0  # the notebook's None, the submission's 0
    assert late[1:] == ontime[1:] == (SCORE, None, SCORE, 0)
    assert results["none", path] == results["none", "autograde"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", PATHS)
def test_an_on_time_submission_has_no_penalty(results, method, path):
    _, score, penalty, total, total_penalty = results[method, path]["ontime"]
    assert score == total == SCORE and penalty is None and total_penalty == 0


def test_the_reused_gradebook_follows_the_file(tmp_path):
    """SaveGrades' gradebook, reused across notebooks, holds no connection between uses: a
    gradebook replaced at the same path is the one it reads next (the file, not a stale
    connection to the old one)."""
    from dlmath.nbgrader.record import reused_gradebook

    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    for student in ("first", "second"):
        (tmp_path / "gradebook.db").unlink(missing_ok=True)
        with Gradebook(url) as gb:
            gb.add_student(student)
        with reused_gradebook(url) as gb:
            assert [s.id for s in gb.students] == [student]
