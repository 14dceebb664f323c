"""applications email confirmed at

Revision ID: b5e2c7d9f104
Revises: c7e1f0a2b3d4
Create Date: 2026-12-03 15:00:00.000000

An application now starts its dossier only once its contact confirmed the e-mail address
(docs/adr/0024). Applications stored before had their dossier started at once: they count as
confirmed when they were received.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import libs.database

revision: str = "b5e2c7d9f104"
down_revision: str | None = "c7e1f0a2b3d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_confirmed_at", libs.database.UtcDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE applications SET email_confirmed_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_column("email_confirmed_at")
