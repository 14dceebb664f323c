"""contracts: the actor's display name in the contract timeline

Contract events carry the staff member's display name from schema version 2; rows read before
this revision keep it empty (the subject still says who acted).

Revision ID: 2ee63087de32
Revises: 0643aab5d6df
Create Date: 2026-12-03 08:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "2ee63087de32"
down_revision: str | None = "0643aab5d6df"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contract_timeline_entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "actor_name",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("contract_timeline_entries", schema=None) as batch_op:
        batch_op.drop_column("actor_name")
