"""dlmath_cases: each case of every graded exercise, for the class report

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dlmath_cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("student", sa.String(255), nullable=False),
        sa.Column("assignment", sa.String(255), nullable=False),
        sa.Column("notebook", sa.String(255), nullable=False),
        sa.Column("exercise", sa.String(255), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("case_title", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("points", sa.Float, nullable=False),
        sa.Column("possible", sa.Float, nullable=False),
        sa.Column("diagnosis", sa.Text, nullable=False),
        sa.Column("graded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("dlmath_cases_by_assignment", "dlmath_cases",
                    ["assignment", "purpose", "exercise"])
    op.create_index("dlmath_cases_by_student", "dlmath_cases",
                    ["student", "assignment", "purpose"])


def downgrade() -> None:
    op.drop_index("dlmath_cases_by_student", table_name="dlmath_cases")
    op.drop_index("dlmath_cases_by_assignment", table_name="dlmath_cases")
    op.drop_table("dlmath_cases")
