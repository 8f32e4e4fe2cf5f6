"""The project's tables, as SQLAlchemy Core, and the alembic upgrade that makes them."""

from __future__ import annotations

import contextlib
import fcntl
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "dlmath_alembic_version"  # nbgrader's is alembic_version: never shared
UPGRADE_LOCK = 0x646C6D617468  # "dlmath": PostgreSQL's advisory lock for upgrading

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

    with _one_upgrader_at_a_time(db_url):
        with Gradebook(db_url, course_id):
            pass
        command.upgrade(alembic_config(db_url), "head")


@contextlib.contextmanager
def _one_upgrader_at_a_time(db_url: str) -> Iterator[None]:
    """Hold a lock across processes while the tables are made: processes that start together
    (the check service's pool, autograde and its helper) would otherwise each create the same
    tables, and all but one fail. SQLite's DDL is not transactional, so its lock is an
    advisory flock on the database file (SQLite's own locks are fcntl's: they do not meet);
    PostgreSQL's is an advisory lock held by a session."""
    url = sa.engine.make_url(db_url)
    backend = url.get_backend_name()
    if backend == "sqlite" and url.database not in (None, "", ":memory:"):
        with _opened(Path(url.database)) as database:
            if database:
                fcntl.flock(database, fcntl.LOCK_EX)
            yield
    elif backend == "postgresql":
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as session:
                session.execute(sa.select(sa.func.pg_advisory_lock(UPGRADE_LOCK)))
                yield  # the lock ends with the session
        finally:
            engine.dispose()
    else:
        yield


def _opened(path: Path) -> BinaryIO | contextlib.nullcontext[None]:
    """The database file to lock, made if missing (SQLite reads an empty file as an empty
    database); read-only if that is all this user may; nothing if it cannot be opened at
    all, which SQLite will then report in its own words."""
    for mode in ("ab", "rb"):
        try:
            return open(path, mode)
        except PermissionError:
            continue
        except FileNotFoundError:  # no such folder
            break
    return contextlib.nullcontext()
