"""applications: how often the reconciler republished each, and when it gave up

Revision ID: d4a7c2e9f1b5
Revises: b5e2c7d9f104
Create Date: 2026-12-03 16:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import libs.database

revision: str = "d4a7c2e9f1b5"
down_revision: str | None = "b5e2c7d9f104"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch_op:
        batch_op.add_column(
            sa.Column("republish_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "reconcile_given_up_at", libs.database.UtcDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch_op:
        batch_op.drop_column("reconcile_given_up_at")
        batch_op.drop_column("republish_count")
