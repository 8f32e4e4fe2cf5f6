"""A course on disk with a class's submissions collected, for tests of the grading paths,
and what its gradebook holds, as comparable data."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import sqlalchemy as sa
from nbgrader.api import Gradebook

from dlmath.course import autograders_dir
from dlmath.gradebook import CASES
from dlmath.nbgrader.course import Course
from dlmath.notebooks import fill_solutions, read
from dlmath.sim.demo import CLASS, notebooks_of

ASSIGNMENT = "01_linear_algebra"
STUDENTS = [s for s in CLASS if s.id in ("ada", "ben", "cleo", "dev", "eve", "finn", "hana")]
TIMESTAMP = "2026-11-20 10:00:00.000000 UTC"
IDENTITY = '"""multiplying by the identity changes nothing"""\n'  # a check of matmul's grader


def copy_graders(folder: Path) -> Path:
    """The course's graders, copied to edit (point DLMATH_AUTOGRADERS at the copy)."""
    shutil.copytree(autograders_dir(), folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def edit_matmul_grader(graders: Path, why: str) -> None:
    """Edit matmul's grader as an instructor fixing it would: its identity check now fails
    every answer, so each student who passed it loses its points."""
    grader = graders / ASSIGNMENT / "test_matmul.py"
    assert IDENTITY in grader.read_text()
    grader.write_text(grader.read_text().replace(
        IDENTITY, IDENTITY + f"    raise CheckFailed({why!r})\n"))


def make_course(base: Path, db_url: str | None = None, assignment: str = ASSIGNMENT,
                students=STUDENTS, roster: Path | None = None) -> Course:
    """A course with the class's submissions collected (written where collect puts them),
    then the roster imported if one is given."""
    course = Course.create(base, [assignment])
    if db_url:
        config = course.root / "nbgrader_config.py"
        config.write_text(config.read_text() + f"\nc.CourseDirectory.db_url = {db_url!r}\n")
    course.generate(assignment)
    release = course.root / "release" / assignment
    for student in students:
        folder = course.root / "submitted" / student.id / assignment
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text(TIMESTAMP)
        for name in notebooks_of(assignment):
            nb = read(release / name)
            answers = student.answer(assignment, name)
            nbformat.write(fill_solutions(nb, answers) if answers else nb, str(folder / name))
    if roster:
        course.import_roster(roster)
    return course


def gradebook_state(course: Course, db_url: str | None = None) -> dict:
    """Every grade and comment of every submission, as comparable data."""
    state = {}
    with Gradebook(db_url or f"sqlite:///{course.gradebook}", "dlmath") as gb:
        for submission in gb.assignment_submissions(ASSIGNMENT):
            for nb in submission.notebooks:
                for g in nb.grades:
                    state[(submission.student.id, nb.name, g.name)] = (
                        g.auto_score, g.needs_manual_grade)
                for c in nb.comments:
                    state[(submission.student.id, nb.name, c.name, "comment")] = c.auto_comment
    return state


def cases_state(course: Course, db_url: str | None = None) -> list[tuple]:
    """Every graded case the gradebook keeps (dlmath_cases), as comparable data."""
    engine = sa.create_engine(db_url or f"sqlite:///{course.gradebook}")
    with engine.connect() as db:
        rows = db.execute(sa.select(CASES).where(CASES.c.purpose == "grade")).mappings().all()
    engine.dispose()
    return sorted((r["student"], r["notebook"], r["exercise"], r["position"], r["case_title"],
                   r["outcome"], round(r["points"], 6), round(r["possible"], 6), r["diagnosis"])
                  for r in rows)


def cell_of(exercise: str) -> str:
    """The graded cell of an exercise: softmax_tests, q1_tests for quiz.q1."""
    return f"{exercise.partition('.')[2] or exercise}_tests"
