"""personal_data_erasures: the audit of erasures on request (RGPD)

Revision ID: c7e1f0a2b3d4
Revises: b5d2e9a41c07
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import libs.database

revision: str = "c7e1f0a2b3d4"
down_revision: str | None = "b5d2e9a41c07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "personal_data_erasures",
        sa.Column("dossier_id", sa.Uuid(), nullable=False),
        sa.Column("erased_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("erased_at", libs.database.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dossier_id"),
    )


def downgrade() -> None:
    op.drop_table("personal_data_erasures")
