"""What the report reads: the class's per-case results of one assignment (`dlmath_cases`,
purpose "grade") and, from nbgrader's own tables, the roster, the assignment's notebooks
and who submitted. Plain dataclasses: the statistics never see a database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from nbgrader.api import Gradebook, MissingEntry

from dlmath.gradebook import CASES
from dlmath.nbgrader.plan import course_directory, load_config


@dataclass(frozen=True)
class Course:
    """Where a course's gradebook and folders are, as its nbgrader_config.py says."""

    root: Path
    db_url: str
    course_id: str
    source: Path  # source/<assignment>/*.ipynb: the reference solutions
    release: Path  # release/<assignment>/*.ipynb: the student's template
    submitted: Path  # submitted/<student>/<assignment>/*.ipynb


def open_course(root: Path) -> Course:
    coursedir = course_directory(load_config(Path(root).resolve()))
    base = Path(coursedir.root)
    return Course(base, coursedir.db_url, coursedir.course_id,
                  base / coursedir.source_directory, base / coursedir.release_directory,
                  base / coursedir.submitted_directory)


@dataclass(frozen=True)
class CaseRow:
    """One case of one student's graded exercise."""

    student: str
    notebook: str  # without .ipynb
    exercise: str
    position: int
    case_title: str
    outcome: str  # passed, failed, error
    points: float
    possible: float
    diagnosis: str

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


@dataclass(frozen=True)
class ClassResults:
    assignment: str
    roster: tuple[str, ...]  # every student of the course
    notebooks: tuple[str, ...]  # the assignment's notebooks, without .ipynb
    submitted: tuple[str, ...]  # students with a submission in the gradebook
    rows: tuple[CaseRow, ...] = field(repr=False)

    @property
    def graded(self) -> tuple[str, ...]:
        """Students with at least one case result."""
        return tuple(sorted({r.student for r in self.rows}))

    @property
    def without_results(self) -> tuple[str, ...]:
        """Submissions that have no case result: they failed to run or are not graded yet."""
        return tuple(sorted(set(self.submitted) - set(self.graded)))

    @property
    def absent(self) -> tuple[str, ...]:
        """On the roster, no submission."""
        return tuple(sorted(set(self.roster) - set(self.submitted) - set(self.graded)))


def assignments(course: Course) -> list[str]:
    """Every assignment in the gradebook, by name."""
    with Gradebook(course.db_url, course.course_id) as gb:
        return sorted(a.name for a in gb.assignments)


def load_results(course: Course, assignment: str) -> ClassResults:
    """The assignment's final grading, case by case (ValueError: not in the gradebook)."""
    with Gradebook(course.db_url, course.course_id) as gb:
        try:
            found = gb.find_assignment(assignment)
        except MissingEntry:
            raise ValueError(f"the gradebook has no assignment {assignment!r}: run nbgrader "
                             "generate_assignment first") from None
        notebooks = tuple(sorted(n.name for n in found.notebooks))
        submitted = tuple(sorted(s.student.id for s in found.submissions))
        roster = tuple(sorted(s.id for s in gb.students))
    return ClassResults(assignment, roster, notebooks, submitted, read_cases(course.db_url,
                                                                             assignment))


def read_cases(db_url: str, assignment: str) -> tuple[CaseRow, ...]:
    """The "grade" rows of the assignment, in a fixed order (so sums agree on any database).
    A gradebook no grading path has written to yet has no table: no rows, nothing created."""
    engine = sa.create_engine(db_url)
    try:
        if not sa.inspect(engine).has_table(CASES.name):
            return ()
        query = (sa.select(CASES).where(CASES.c.assignment == assignment,
                                        CASES.c.purpose == "grade")
                 .order_by(CASES.c.student, CASES.c.notebook, CASES.c.exercise,
                           CASES.c.position, CASES.c.id))
        with engine.connect() as connection:
            return tuple(_row(r) for r in connection.execute(query).mappings())
    finally:
        engine.dispose()


def _row(r) -> CaseRow:
    return CaseRow(r["student"], r["notebook"].removesuffix(".ipynb"), r["exercise"],
                   int(r["position"]), r["case_title"], r["outcome"], float(r["points"]),
                   float(r["possible"]), r["diagnosis"] or "")
