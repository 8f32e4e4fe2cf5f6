"""The project's own tables in the course's gradebook, beside nbgrader's.

nbgrader keeps its grades in its own tables of the gradebook database (SQLite or
PostgreSQL) and migrates them with alembic. The project's tables live in the same database
under their own names (`dlmath_*`) and are created and upgraded by alembic too, with a
version table of their own (`dlmath_alembic_version`), so neither migration history touches
the other's tables. `upgrade(db_url)` brings them to the newest revision; every writer
calls it first.
"""

from __future__ import annotations

from dlmath.gradebook.cases import add_checked, replace_graded
from dlmath.gradebook.schema import CASES, CHECKS, METADATA, upgrade

__all__ = ["CASES", "CHECKS", "METADATA", "add_checked", "replace_graded", "upgrade"]
