"""console: follows, internal comments, actor names, listing columns

Staff follow dossiers and leave internal comments; timeline entries keep the actor's display
name; the staff list filters on roles and administration kind (rows read before this
revision have them empty until their application is read again).

Revision ID: 630fa7731a04
Revises: 62dd05a2c665
Create Date: 2026-12-02 06:37:12.772281
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import libs.database

revision: str = "630fa7731a04"
down_revision: str | None = "62dd05a2c665"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dossier_follows",
        sa.Column("staff_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("dossier_id", sa.Uuid(), nullable=False),
        sa.Column("followed_at", libs.database.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("staff_id", "dossier_id"),
    )
    op.create_table(
        "internal_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Uuid(), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("author_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", libs.database.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("internal_comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_internal_comments_dossier_id"), ["dossier_id"], unique=False
        )

    with op.batch_alter_table("staff_dossiers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "roles",
                sqlmodel.sql.sqltypes.AutoString(length=100),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "administration_kind", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
            )
        )
        batch_op.create_index(
            batch_op.f("ix_staff_dossiers_administration_kind"),
            ["administration_kind"],
            unique=False,
        )

    with op.batch_alter_table("staff_timeline_entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "actor_name",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_timeline_entries", schema=None) as batch_op:
        batch_op.drop_column("actor_name")

    with op.batch_alter_table("staff_dossiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_dossiers_administration_kind"))
        batch_op.drop_column("administration_kind")
        batch_op.drop_column("roles")

    with op.batch_alter_table("internal_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_internal_comments_dossier_id"))

    op.drop_table("internal_comments")
    op.drop_table("dossier_follows")
