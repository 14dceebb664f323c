"""outbox: the origin whose relay publishes a row, the broker epoch it was acknowledged under

Revision ID: 7b1e4c2a9d30
Revises: 630fa7731a04
Create Date: 2026-12-02 06:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "7b1e4c2a9d30"
down_revision: str | None = "630fa7731a04"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.add_column(
            sa.Column(
                "origin",
                sqlmodel.sql.sqltypes.AutoString(length=32),
                nullable=False,
                server_default="intake",
            )
        )
        batch_op.add_column(
            sa.Column("sent_epoch", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_column("sent_epoch")
        batch_op.drop_column("origin")
