"""The project's tables, as SQLAlchemy Core, and the alembic upgrade that makes them."""

from __future__ import annotations

import functools
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "dlmath_alembic_version"  # nbgrader's is alembic_version: never shared

METADATA = sa.MetaData()

# One row per check a student asked for before submitting (issue 19): who, which exercise,
# when, what it scored and which diagnoses it matched (first lines of the failed cases).
CHECKS = sa.Table(
    "dlmath_checks", METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("student", sa.String(255), nullable=False),
    sa.Column("assignment", sa.String(255), nullable=False),
    sa.Column("exercise", sa.String(255), nullable=False),
    sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("score", sa.Float, nullable=True),  # None: refused or not graded
    sa.Column("possible", sa.Float, nullable=True),
    sa.Column("outcome", sa.String(32), nullable=False),  # graded, refused, failed
    sa.Column("diagnoses", sa.Text, nullable=False, default=""),
    sa.Index("dlmath_checks_by_student", "student", "exercise", "checked_at"),
)

# One row per case of every graded exercise (issue 21), from every path that grades: `dlmath
# grade` and sealed `nbgrader autograde` (purpose "grade"), the checks before submitting
# ("check"). Regrading a submission replaces its "grade" rows; check rows accumulate.
CASES = sa.Table(
    "dlmath_cases", METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("purpose", sa.String(16), nullable=False),  # grade, check
    sa.Column("student", sa.String(255), nullable=False),
    sa.Column("assignment", sa.String(255), nullable=False),
    sa.Column("notebook", sa.String(255), nullable=False),  # "" for a check
    sa.Column("exercise", sa.String(255), nullable=False),  # the function, e.g. softmax
    sa.Column("position", sa.Integer, nullable=False),  # the case's place in its exercise
    sa.Column("case_title", sa.Text, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),  # passed, failed, error
    sa.Column("points", sa.Float, nullable=False),  # earned by this case
    sa.Column("possible", sa.Float, nullable=False),  # this case's share of the exercise
    sa.Column("diagnosis", sa.Text, nullable=False, default=""),  # the mistake it matched
    sa.Column("graded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("dlmath_cases_by_assignment", "assignment", "purpose", "exercise"),
    sa.Index("dlmath_cases_by_student", "student", "assignment", "purpose"),
)


def alembic_config(db_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    config.set_main_option("version_table", VERSION_TABLE)
    return config


@functools.cache
def upgrade(db_url: str, course_id: str = "dlmath") -> None:
    """Create or upgrade the project's tables in the gradebook at `db_url` (once per
    process and database). nbgrader's own tables come first, made by nbgrader: it stamps
    its migration history only on a database it finds empty."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url, course_id):
        pass
    command.upgrade(alembic_config(db_url), "head")
