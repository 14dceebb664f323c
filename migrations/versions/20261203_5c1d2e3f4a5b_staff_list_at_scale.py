"""selection: the staff list at scale (ADR 20)

Keyset indexes for each sort (with ``final`` first for the tabs), per-combination counts kept
by the projection, a search text narrowed to names, title and administration with a trigram
index on PostgreSQL. The counts and ``final`` are computed from the rows already there, and
each row's search text again from its application.

Revision ID: 5c1d2e3f4a5b
Revises: 22a88aa5435c
Create Date: 2026-12-03 08:30:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "5c1d2e3f4a5b"
down_revision: str | None = "22a88aa5435c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As at this revision (libs/messages/dossier_events.py, services/selection/read_model.py).
FINAL_STATUSES = ("withdrawn", "ineligible", "not_selected", "rejected")
SEARCHED_FIELDS = ("first_name", "last_name", "administration_name", "contact_name")
KEYSET_INDEXES = {
    "ix_staff_dossiers_updated": ["updated_at", "dossier_id"],
    "ix_staff_dossiers_final_updated": ["final", "updated_at", "dossier_id"],
    "ix_staff_dossiers_submitted": ["submitted_at", "dossier_id"],
    "ix_staff_dossiers_final_submitted": ["final", "submitted_at", "dossier_id"],
    "ix_staff_dossiers_title": ["title", "dossier_id"],
    "ix_staff_dossiers_final_title": ["final", "title", "dossier_id"],
    "ix_staff_dossiers_status_updated": ["status", "updated_at", "dossier_id"],
}
BATCH = 1000


def _search_text(title: str, application: dict[str, Any]) -> str:
    values = [title, *(str(application.get(name) or "") for name in SEARCHED_FIELDS)]
    return " ".join(value for value in values if value).lower()


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("staff_dossiers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("final", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.drop_index("ix_staff_dossiers_updated_at")
        batch_op.drop_index("ix_staff_dossiers_status")  # led by the status index below
    dossiers = sa.table(
        "staff_dossiers",
        sa.column("dossier_id", sa.Uuid()),
        sa.column("status", sa.String()),
        sa.column("final", sa.Boolean()),
        sa.column("title", sa.String()),
        sa.column("application", sa.JSON()),
        sa.column("search_text", sa.Text()),
    )
    op.execute(
        dossiers.update().where(dossiers.c.status.in_(FINAL_STATUSES)).values(final=sa.true())
    )
    _narrow_search_texts(dossiers)
    for name, columns in KEYSET_INDEXES.items():
        op.create_index(name, "staff_dossiers", columns, unique=False)
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_staff_dossiers_search_text",
            "staff_dossiers",
            ["search_text"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )
    else:
        op.create_index("ix_staff_dossiers_search_text", "staff_dossiers", ["search_text"])

    op.create_table(
        "staff_dossier_counts",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("roles", sa.String(length=100), nullable=False),
        sa.Column("administration_kind", sa.String(length=64), nullable=False),
        sa.Column("dossiers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "kind", "status", "final", "overdue", "roles", "administration_kind"
        ),
    )
    op.execute(
        "INSERT INTO staff_dossier_counts "
        "(kind, status, final, overdue, roles, administration_kind, dossiers) "
        "SELECT kind, status, final, overdue, roles, COALESCE(administration_kind, ''), "
        "count(*) FROM staff_dossiers "
        "GROUP BY kind, status, final, overdue, roles, COALESCE(administration_kind, '')"
    )


def _narrow_search_texts(dossiers: sa.TableClause) -> None:
    """Each row's search text again from its application, in batches by dossier id."""
    bind = op.get_bind()
    last = None
    while True:
        query = sa.select(dossiers.c.dossier_id, dossiers.c.title, dossiers.c.application).order_by(
            dossiers.c.dossier_id
        )
        if last is not None:
            query = query.where(dossiers.c.dossier_id > last)
        rows = bind.execute(query.limit(BATCH)).all()
        if not rows:
            return
        for dossier_id, title, application in rows:
            bind.execute(
                dossiers.update()
                .where(dossiers.c.dossier_id == dossier_id)
                .values(search_text=_search_text(title, application or {}))
            )
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_table("staff_dossier_counts")
    op.drop_index("ix_staff_dossiers_search_text", table_name="staff_dossiers")
    for name in KEYSET_INDEXES:
        op.drop_index(name, table_name="staff_dossiers")
    with op.batch_alter_table("staff_dossiers", schema=None) as batch_op:
        batch_op.create_index("ix_staff_dossiers_updated_at", ["updated_at"], unique=False)
        batch_op.create_index("ix_staff_dossiers_status", ["status"], unique=False)
        batch_op.drop_column("final")
    # The search texts stay narrow: the list before this revision searched them as well.
