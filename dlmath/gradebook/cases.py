"""Writing the cases of graded exercises (dlmath_cases): what the class report reads.

A row is plain data, as `ExerciseResult.case_rows()` makes it; these functions add who,
what and when. A grading replaces every "grade" row of its notebook, so a regrade never
leaves an older case behind; checks before submitting accumulate.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from dlmath.gradebook.schema import CASES


def replace_graded(db, student: str, assignment: str, notebook: str, rows: list[dict],
                   when: datetime) -> None:
    """The notebook's graded cases, in place of those of its last grading. `db` is a
    connection or a session: the caller's transaction is the one that commits."""
    db.execute(CASES.delete().where(
        CASES.c.purpose == "grade", CASES.c.student == student,
        CASES.c.assignment == assignment, CASES.c.notebook == notebook))
    _insert(db, "grade", student, assignment, notebook, rows, when)


def add_checked(db, student: str, assignment: str, notebook: str, rows: list[dict],
                when: datetime) -> None:
    _insert(db, "check", student, assignment, notebook, rows, when)


def _insert(db, purpose: str, student: str, assignment: str, notebook: str, rows: list[dict],
            when: datetime) -> None:
    if rows:
        keys = {"purpose": purpose, "student": student, "assignment": assignment,
                "notebook": notebook, "graded_at": when}
        db.execute(sa.insert(CASES), [{**row, **keys} for row in rows])
