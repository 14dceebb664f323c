"""outbox: the W3C trace context of the work that wrote a row, for the relay to publish under

Revision ID: 5e7d1c9a2b40
Revises: 5c1d2e3f4a5b
Create Date: 2026-12-03 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "5e7d1c9a2b40"
down_revision: str | None = "5c1d2e3f4a5b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: a row written before, or outside any trace, is published in a trace of its own.
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.add_column(
            sa.Column("traceparent", sqlmodel.sql.sqltypes.AutoString(length=55), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_column("traceparent")
