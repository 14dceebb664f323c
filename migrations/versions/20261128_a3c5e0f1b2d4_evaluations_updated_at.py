"""evaluations: updated_at (an evaluation's author may edit it)

Revision ID: a3c5e0f1b2d4
Revises: d959e7394b90
Create Date: 2026-11-28 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import libs.database

revision: str = "a3c5e0f1b2d4"
down_revision: str | None = "d959e7394b90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("updated_at", libs.database.UtcDateTime(timezone=True), nullable=True)
        )
    # Evaluations written before edits existed were last changed when they were created.
    op.execute("UPDATE evaluations SET updated_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
