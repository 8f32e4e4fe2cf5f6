"""The demo's nbgrader commands, run in its own process (dlmath/nbgrader/inprocess.py): real
nbgrader steps, failing as clearly as a subprocess, leaving the process as they found it and
the home directory untouched."""

import io
import os

import pytest
from rich.console import Console

from dlmath.nbgrader.course import NbgraderFailed
from dlmath.nbgrader.inprocess import InProcessCourse
from dlmath.sim.demo import CLASS, notebooks_of, run_demo

ASSIGNMENT = "01_linear_algebra"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty home directory, which nothing may write to."""
    home = tmp_path / "user"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def course(tmp_path):
    return InProcessCourse.create(tmp_path / "demo", [ASSIGNMENT])


def test_a_failed_step_names_the_command_and_its_last_log_lines(course, home):
    cwd, environ = os.getcwd(), dict(os.environ)
    with pytest.raises(NbgraderFailed) as failed:
        course.fetch(ASSIGNMENT, "ada")  # never released
    message = str(failed.value)
    assert message.startswith(f"nbgrader fetch_assignment {ASSIGNMENT} --course=dlmath failed "
                              "(1):\n")
    assert "Assignment not found" in message and "fetch_assignment failed" in message
    assert os.getcwd() == cwd and dict(os.environ) == environ
    assert list(home.iterdir()) == []


def test_a_crash_ends_the_message_with_its_traceback(course):
    """A course configuration naming a step that does not exist: the command crashes, as
    `nbgrader` would, and the message ends with the traceback it would print."""
    config = course.root / "nbgrader_config.py"
    config.write_text(config.read_text() +
                      '\nc.GenerateAssignment.preprocessors = ["dlmath.no_such.Step"]\n')
    with pytest.raises(NbgraderFailed, match=r"(?s)^nbgrader generate_assignment "
                       rf"{ASSIGNMENT} --force failed \(1\):\n.*"
                       r"ModuleNotFoundError: No module named 'dlmath.no_such'$"):
        course.generate(ASSIGNMENT)
    done = course.nbgrader("generate_assignment", ASSIGNMENT, "--force", check=False)
    assert done.returncode == 1 and "Traceback" in done.stderr


def test_each_student_fetches_and_submits_as_themselves(course, home):
    course.generate(ASSIGNMENT)
    course.release(ASSIGNMENT)
    for student in ("ada", "ben"):
        folder = course.fetch(ASSIGNMENT, student)
        assert sorted(p.name for p in folder.glob("*.ipynb")) == notebooks_of(ASSIGNMENT)
        course.submit(ASSIGNMENT, student)
    course.collect(ASSIGNMENT)
    submitted = course.root / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["ada", "ben"]
    assert (submitted / "ada" / ASSIGNMENT / "timestamp.txt").exists()
    assert list(home.iterdir()) == []


@pytest.mark.e2e
@pytest.mark.slow
def test_the_demo_grades_in_process_with_a_short_call_limit(tmp_path, home):
    """The reference keeps full marks under the demo's 1 s call limit; the looping student
    is stopped by it; every step prints its line; nothing lands in the home directory."""
    out = io.StringIO()
    students = tuple(s for s in CLASS if s.id in ("ada", "gus"))
    course = run_demo(tmp_path / "demo", [ASSIGNMENT], students,
                      console=Console(file=out, width=200))
    for notebook in notebooks_of(ASSIGNMENT):
        assert course.cell_scores("ada", ASSIGNMENT, notebook) == course.cell_maxima(
            ASSIGNMENT, notebook)
    assert course.cell_scores("gus", ASSIGNMENT, "linear_algebra.ipynb")["transpose_tests"] == 0
    looped = course.autograded("gus", ASSIGNMENT, "linear_algebra.ipynb").read_text()
    assert "did not finish within 1 s" in looped  # a public check cell: the demo's limits
    assert "did not finish within 0.5 s" in looped  # a grader's call
    printed = out.getvalue()
    for step in ("import the roster: 1", "generate and release: 1", "fetch, answer, submit: 2",
                 "collect: 1", "autograde (sealed): 1", "feedback: 1", "class reports: 1"):
        assert f"{step} done in" in printed
    assert "Demo finished in" in printed
    assert list(home.iterdir()) == []


def test_a_grader_fixed_between_two_autogrades_of_one_process_grades_the_second(
        tmp_path, monkeypatch):
    """The formgrader's Autograde button runs nbgrader in the notebook server's process,
    which lives on: after the instructor fixes a grader, the next click grades with it."""
    from course_support import (
        STUDENTS,
        copy_graders,
        edit_matmul_grader,
        gradebook_state,
        make_course,
    )

    graders = copy_graders(tmp_path / "autograders")
    monkeypatch.setenv("DLMATH_AUTOGRADERS", str(graders))
    ada = next(s for s in STUDENTS if s.id == "ada")
    course = InProcessCourse(make_course(tmp_path / "course", students=[ada]).base)

    def matmul_score() -> float:
        course.autograde(ASSIGNMENT, "--student", "ada")
        return next(value[0] for (student, _, name), value in gradebook_state(course).items()
                    if "matmul" in name)

    before = matmul_score()
    edit_matmul_grader(graders, "a grader fixed since the last click")
    assert matmul_score() < before
