"""applications, staff_dossiers, contracts: when their personal data was erased (RGPD)

Revision ID: b5d2e9a41c07
Revises: 5e7d1c9a2b40
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import libs.database

revision: str = "b5d2e9a41c07"
down_revision: str | None = "5e7d1c9a2b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("applications", "staff_dossiers", "contracts")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "personal_data_erased_at",
                    libs.database.UtcDateTime(timezone=True),
                    nullable=True,
                )
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("personal_data_erased_at")
