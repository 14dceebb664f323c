"""The staff list of dossiers at scale (ADR 20): filters, keyset pages, counts.

* Pages are keyset pages: an opaque cursor holds the sort key and the dossier id of the row a
  page ends (or starts) with, and the next page reads on from there along the sort's index,
  the dossier id breaking ties in the same direction. Rows inserted between two pages never
  shift a page (no duplicate, no gap). ``offset`` still works, bounded by :data:`MAX_OFFSET`.
* Counts under the counted filters (kind, status, tab, overdue, role, administration kind)
  add up rows of ``staff_dossier_counts``, which the projection keeps in the same transaction
  as the dossiers. Other filters (round, followed, search, awaiting evaluation) count at most
  :data:`COUNT_CAP` + 1 rows: past it the total says "at least" (``exact`` is False).
* The search reads a short lower-cased text (names, title, administration) with ``LIKE``:
  a trigram index serves it on PostgreSQL; SQLite reads the text of each row, which is short.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final
from uuid import UUID

from sqlalchemy import ColumnElement, and_, func, literal, literal_column, or_, select, true
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.messages.common import DossierKind
from services.selection.models import (
    ConflictDeclaration,
    DossierFollow,
    Evaluation,
    StaffDossier,
    StaffDossierCount,
)
from services.selection.scorecards import SCORED_STATUSES

COUNT_CAP: Final = 1_000
"""Counts no counter serves stop there: a search matching more says "1 000+"."""
MAX_OFFSET: Final = 10_000
"""``offset`` reads and skips that many rows at most; cursors go anywhere."""
CURSOR_VERSION: Final = 1


class DossierSort(StrEnum):
    UPDATED_DESC = "updated_desc"
    """Latest change first (the default)."""
    UPDATED_ASC = "updated_asc"
    """Oldest change first: the dossiers waiting longest."""
    SUBMITTED_DESC = "submitted_desc"
    TITLE = "title"


@dataclass(frozen=True)
class _Order:
    column: str
    descending: bool


_ORDERS: Final = {
    DossierSort.UPDATED_DESC: _Order("updated_at", descending=True),
    DossierSort.UPDATED_ASC: _Order("updated_at", descending=False),
    DossierSort.SUBMITTED_DESC: _Order("submitted_at", descending=True),
    DossierSort.TITLE: _Order("title", descending=False),
}


@dataclass(frozen=True)
class DossierFilters:
    kind: DossierKind | None = None
    status: str | None = None
    round_id: str | None = None
    overdue: bool | None = None
    q: str | None = None
    final: bool | None = None
    """True: decided dossiers (a final status); False: those still to handle."""
    followed_by: str | None = None
    """Only the dossiers this staff member follows."""
    role: str | None = None
    """Candidates of this role, and projects that want it."""
    administration_kind: str | None = None
    awaiting_evaluation_by: str | None = None
    """Only dossiers in a scored stage this evaluator has neither scored nor declared a
    conflict of interest on."""

    @property
    def counted(self) -> bool:
        """Whether ``staff_dossier_counts`` answers the count under these filters."""
        return (
            self.round_id is None
            and not self.q
            and self.followed_by is None
            and self.awaiting_evaluation_by is None
        )


class InvalidCursor(ValueError):
    """The cursor was not made by this list for this sort order."""


@dataclass(frozen=True)
class Cursor:
    """Where a page ends (``after``: the next page reads on) or starts (``before``)."""

    sort: DossierSort
    key: str | datetime | None
    dossier_id: UUID
    before: bool = False

    def encode(self) -> str:
        key = self.key.isoformat() if isinstance(self.key, datetime) else self.key
        data = {
            "v": CURSOR_VERSION,
            "s": self.sort.value,
            "k": key,
            "id": str(self.dossier_id),
            "b": self.before,
        }
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, sort: DossierSort) -> "Cursor":
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("v") != CURSOR_VERSION:
                raise InvalidCursor("not a cursor of this list")
            dossier_id = UUID(str(data["id"]))
            before = data.get("b", False)
            key = data.get("k")
            if not isinstance(before, bool) or not (key is None or isinstance(key, str)):
                raise InvalidCursor("not a cursor of this list")
        except (binascii.Error, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
            if isinstance(error, InvalidCursor):
                raise
            raise InvalidCursor("not a cursor of this list") from None
        if data.get("s") != sort.value:
            raise InvalidCursor(f"made for another sort order than {sort.value}")
        if _ORDERS[sort].column == "title":
            if key is None:
                raise InvalidCursor("not a cursor of this list")
            return cls(sort, key, dossier_id, before)
        if key is None and _ORDERS[sort].column == "updated_at":
            raise InvalidCursor("not a cursor of this list")
        try:
            moment = None if key is None else datetime.fromisoformat(key)
        except ValueError:
            raise InvalidCursor("not a cursor of this list") from None
        if moment is not None and moment.tzinfo is None:
            raise InvalidCursor("not a cursor of this list")
        return cls(sort, moment, dossier_id, before)


@dataclass(frozen=True)
class ListedDossier:
    """One line of the list: the summary columns only (never the application)."""

    dossier_id: UUID
    kind: str
    title: str
    status: str
    round_id: str | None
    overdue: bool
    submitted_at: datetime | None
    updated_at: datetime


_LISTED: Final = (
    col(StaffDossier.dossier_id),
    col(StaffDossier.kind),
    col(StaffDossier.title),
    col(StaffDossier.status),
    col(StaffDossier.round_id),
    col(StaffDossier.overdue),
    col(StaffDossier.submitted_at),
    col(StaffDossier.updated_at),
)


@dataclass(frozen=True)
class DossierListing:
    items: list[ListedDossier]
    total: int
    exact: bool
    """False: there are more than ``total`` (:data:`COUNT_CAP`) dossiers."""
    next_cursor: str | None
    previous_cursor: str | None


@dataclass(frozen=True)
class DossierCounts:
    by_kind: dict[str, dict[str, int]]
    """Kind → status → dossiers."""
    overdue: int


def _escaped_like(text: str) -> str:
    """``%text%`` for LIKE, the wildcards in the text taken literally (escape ``\\``)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _counted_conditions(
    filters: DossierFilters, table: type[StaffDossier] | type[StaffDossierCount]
) -> list[ColumnElement[bool]]:
    """The filters both the dossiers and their counts have columns for."""
    conditions: list[ColumnElement[bool]] = []
    if filters.kind is not None:
        conditions.append(col(table.kind) == filters.kind.value)
    if filters.status is not None:
        conditions.append(col(table.status) == filters.status)
    if filters.final is not None:
        conditions.append(col(table.final) == filters.final)
    if filters.overdue is not None:
        conditions.append(col(table.overdue) == filters.overdue)
    if filters.role is not None:
        conditions.append(col(table.roles).contains(filters.role))
    if filters.administration_kind is not None:
        conditions.append(col(table.administration_kind) == filters.administration_kind)
    return conditions


def _search(q: str, *, sqlite: bool) -> ColumnElement[bool]:
    """The rows whose search text holds ``q``.

    PostgreSQL answers ``LIKE '%q%'`` from the trigram index. SQLite has no such index: it
    finds the matching rows by reading the search text's own index from end to end (a few
    megabytes: the text is short), instead of reading each wide row of the table.
    """
    pattern = _escaped_like(q)
    if not sqlite:
        # Inlined, not bound: a prepared statement's generic plan cannot know that the
        # pattern suits the trigram index, and falls back to reading every row.
        inlined = literal(pattern, literal_execute=True)
        return col(StaffDossier.search_text).like(inlined, escape="\\")
    inner = aliased(StaffDossier, name="searched")
    rowid: ColumnElement[int] = literal_column("searched.rowid")
    searched = col(inner.search_text).like(pattern, escape="\\")
    return literal_column("staff_dossiers.rowid").in_(
        select(rowid).select_from(inner).where(searched)
    )


def _conditions(filters: DossierFilters, *, sqlite: bool) -> list[ColumnElement[bool]]:
    conditions = _counted_conditions(filters, StaffDossier)
    if filters.round_id is not None:
        conditions.append(col(StaffDossier.round_id) == filters.round_id)
    if filters.followed_by is not None:
        followed = select(col(DossierFollow.dossier_id)).where(
            col(DossierFollow.staff_id) == filters.followed_by
        )
        conditions.append(col(StaffDossier.dossier_id).in_(followed))
    if filters.awaiting_evaluation_by is not None:
        evaluator = filters.awaiting_evaluation_by
        scored = select(col(Evaluation.dossier_id)).where(col(Evaluation.author) == evaluator)
        conflicted = select(col(ConflictDeclaration.dossier_id)).where(
            col(ConflictDeclaration.evaluator) == evaluator
        )
        conditions += [
            col(StaffDossier.status).in_(sorted(SCORED_STATUSES)),
            col(StaffDossier.dossier_id).not_in(scored),
            col(StaffDossier.dossier_id).not_in(conflicted),
        ]
    if filters.q:
        conditions.append(_search(filters.q, sqlite=sqlite))
    return conditions


def _after(cursor: Cursor, *, descending: bool, nulls_smallest: bool) -> ColumnElement[bool]:
    """The rows after the cursor's in a walk along the sort, ``descending`` or not.

    Written ``key <= x AND (key < x OR id < y)`` rather than a bare OR so that both databases
    read it as a range of the sort's index. A nullable key (``submitted_at``) sorts its NULLs
    where the database does: first in ascending order on SQLite, last on PostgreSQL.
    """
    column = getattr(StaffDossier, _ORDERS[cursor.sort].column)
    key = col(column)
    dossier_id = col(StaffDossier.dossier_id)
    id_after = dossier_id < cursor.dossier_id if descending else dossier_id > cursor.dossier_id
    nulls_at_end = descending == nulls_smallest
    if cursor.key is None:
        null_rows = and_(key.is_(None), id_after)
        return null_rows if nulls_at_end else or_(null_rows, key.is_not(None))
    if descending:
        ranged = and_(key <= cursor.key, or_(key < cursor.key, id_after))
    else:
        ranged = and_(key >= cursor.key, or_(key > cursor.key, id_after))
    if _ORDERS[cursor.sort].column != "submitted_at":
        return ranged
    return or_(ranged, key.is_(None)) if nulls_at_end else ranged


def _cursor_of(row: ListedDossier, sort: DossierSort, *, before: bool) -> str:
    key: str | datetime | None = getattr(row, _ORDERS[sort].column)
    return Cursor(sort, key, row.dossier_id, before=before).encode()


async def list_dossiers(
    sessions: async_sessionmaker[AsyncSession],
    filters: DossierFilters,
    *,
    limit: int,
    sort: DossierSort = DossierSort.UPDATED_DESC,
    cursor: str | None = None,
    offset: int = 0,
) -> DossierListing:
    """One page of the dossiers the filters select, in ``sort`` order, and their count.

    Raises :class:`InvalidCursor` for a cursor this list did not make for ``sort``.
    """
    position = Cursor.decode(cursor, sort) if cursor is not None else None
    backwards = position is not None and position.before
    order = _ORDERS[sort]
    descending = order.descending != backwards
    async with sessions() as session:
        connection = await session.connection()
        sqlite = connection.dialect.name == "sqlite"
        conditions = _conditions(filters, sqlite=sqlite)
        nulls_smallest = sqlite
        if position is not None:
            conditions.append(
                _after(position, descending=descending, nulls_smallest=nulls_smallest)
            )
        key = col(getattr(StaffDossier, order.column))
        dossier_id = col(StaffDossier.dossier_id)
        ordering = (key.desc(), dossier_id.desc()) if descending else (key.asc(), dossier_id.asc())
        statement = select(*_LISTED).where(*conditions).order_by(*ordering).limit(limit + 1)
        if offset:
            statement = statement.offset(offset)
        rows = []
        if limit:  # 0: the count alone (the console's other tabs)
            rows = [ListedDossier(*row) for row in (await connection.execute(statement)).all()]
        total, exact = await _count(session, filters)
    more = len(rows) > limit > 0
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    first_page = position is None and offset == 0
    has_previous = more if backwards else not first_page
    has_next = True if backwards else more
    return DossierListing(
        items=rows,
        total=total,
        exact=exact,
        next_cursor=_cursor_of(rows[-1], sort, before=False) if rows and has_next else None,
        previous_cursor=_cursor_of(rows[0], sort, before=True) if rows and has_previous else None,
    )


async def _count(session: AsyncSession, filters: DossierFilters) -> tuple[int, bool]:
    connection = await session.connection()
    if filters.counted:
        summed = select(func.coalesce(func.sum(col(StaffDossierCount.dossiers)), 0)).where(
            *_counted_conditions(filters, StaffDossierCount)
        )
        return int((await connection.execute(summed)).scalar_one()), True
    capped = (
        select(literal(1))
        .select_from(StaffDossier)
        .where(*_conditions(filters, sqlite=connection.dialect.name == "sqlite"))
        .limit(COUNT_CAP + 1)
    )
    found = int(
        (await connection.execute(select(func.count()).select_from(capped.subquery()))).scalar_one()
    )
    return (COUNT_CAP, False) if found > COUNT_CAP else (found, True)


async def count_dossiers(sessions: async_sessionmaker[AsyncSession]) -> DossierCounts:
    """Dossiers per kind and status, and how many are overdue (from the counts' rows)."""
    dossiers = func.sum(col(StaffDossierCount.dossiers))
    async with sessions() as session:
        connection = await session.connection()
        grouped = await connection.execute(
            select(col(StaffDossierCount.kind), col(StaffDossierCount.status), dossiers).group_by(
                col(StaffDossierCount.kind), col(StaffDossierCount.status)
            )
        )
        overdue = await connection.execute(
            select(func.coalesce(dossiers, 0)).where(col(StaffDossierCount.overdue) == true())
        )
        by_kind: dict[str, dict[str, int]] = {}
        for kind, status, count in grouped.all():
            if count:
                by_kind.setdefault(kind, {})[status] = int(count)
        return DossierCounts(by_kind=by_kind, overdue=int(overdue.scalar_one()))
