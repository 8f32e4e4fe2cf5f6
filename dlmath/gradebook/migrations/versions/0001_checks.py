"""dlmath_checks: each check a student asked for before submitting

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dlmath_checks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("student", sa.String(255), nullable=False),
        sa.Column("assignment", sa.String(255), nullable=False),
        sa.Column("exercise", sa.String(255), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("possible", sa.Float, nullable=True),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("diagnoses", sa.Text, nullable=False),
    )
    op.create_index("dlmath_checks_by_student", "dlmath_checks",
                    ["student", "exercise", "checked_at"])


def downgrade() -> None:
    op.drop_index("dlmath_checks_by_student", table_name="dlmath_checks")
    op.drop_table("dlmath_checks")
