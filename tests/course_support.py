"""A course on disk with a class's submissions collected, for tests of the grading paths."""

from __future__ import annotations

from pathlib import Path

import nbformat

from dlmath.nbgrader.course import Course
from dlmath.notebooks import fill_solutions, read
from dlmath.sim.demo import CLASS, notebooks_of

ASSIGNMENT = "01_linear_algebra"
STUDENTS = [s for s in CLASS if s.id in ("ada", "ben", "cleo", "dev", "eve", "finn", "hana")]
TIMESTAMP = "2026-11-20 10:00:00.000000 UTC"


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
