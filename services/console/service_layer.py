"""The console's use cases: what each screen needs from the staff APIs, asked with the user's
own token (no HTTP of the console's own, no templates)."""

import asyncio
import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from libs.messages.common import DossierKind
from libs.messages.dossier_events import FINAL_STATUSES, DossierStatus
from services.console.schemas import PAGE_SIZE, CommentForm, DossierListFilters, Tab
from services.console.staff_api import ApiRefused, DossierQuery, FieldProblem, StaffApi
from services.selection.schemas import (
    ActionOutcome,
    CommentPublic,
    DossierCounts,
    DossierDetail,
    DossierSummary,
)
from workflows.dossier.models import ACTION_BODIES

CSV_MAX_ROWS = 10_000
"""An export stops there (100 pages of the API); the page says to filter further."""
API_PAGE = 100

TAB_FINAL: Mapping[Tab, bool | None] = {
    Tab.TO_HANDLE: False,
    Tab.FOLLOWED: None,
    Tab.HANDLED: True,
    Tab.ALL: None,
}


@dataclass(frozen=True)
class Dashboard:
    counts: DossierCounts

    def stage_counts(self, kind: DossierKind) -> list[tuple[DossierStatus, int]]:
        by_status = self.counts.by_kind.get(kind, {})
        return [(status, count) for status, count in by_status.items() if count]

    def total(self, kind: DossierKind) -> int:
        return sum(self.counts.by_kind.get(kind, {}).values())

    @property
    def to_handle(self) -> int:
        return sum(
            count
            for by_status in self.counts.by_kind.values()
            for status, count in by_status.items()
            if status not in FINAL_STATUSES
        )


async def dashboard(api: StaffApi, token: str) -> Dashboard:
    return Dashboard(await api.count_dossiers(token))


def dossier_query(
    filters: DossierListFilters, tab: Tab, *, limit: int = PAGE_SIZE, offset: int = 0
) -> DossierQuery:
    return DossierQuery(
        kind=filters.kind.value if filters.kind else None,
        status=filters.status.value if filters.status else None,
        round_id=filters.round_id or None,
        overdue=filters.overdue,
        q=filters.q or None,
        final=TAB_FINAL[tab],
        followed=True if tab == Tab.FOLLOWED else None,
        role=filters.role.value if filters.role else None,
        administration_kind=filters.administration_kind.value
        if filters.administration_kind
        else None,
        sort=filters.sort.value,
        limit=limit,
        offset=offset,
    )


@dataclass(frozen=True)
class DossierList:
    items: list[DossierSummary]
    total: int
    page: int
    tab_counts: dict[Tab, int]

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / PAGE_SIZE))


LISTED_TABS = (Tab.TO_HANDLE, Tab.FOLLOWED, Tab.HANDLED, Tab.ALL)


async def dossier_list(api: StaffApi, token: str, filters: DossierListFilters) -> DossierList:
    """The tab's page of dossiers and each tab's count under the same filters (the counts
    are the API's totals of one-row pages: it counts on its indexes)."""
    offset = (filters.page - 1) * PAGE_SIZE
    current = api.list_dossiers(token, dossier_query(filters, filters.tab, offset=offset))
    other_tabs = [tab for tab in LISTED_TABS if tab != filters.tab]
    others = [api.list_dossiers(token, dossier_query(filters, tab, limit=1)) for tab in other_tabs]
    page, *counted = await asyncio.gather(current, *others)
    tab_counts = {filters.tab: page.total}
    tab_counts.update({tab: other.total for tab, other in zip(other_tabs, counted, strict=True)})
    return DossierList(page.items, page.total, filters.page, tab_counts)


CSV_COLUMNS = (
    "dossier_id",
    "kind",
    "title",
    "status",
    "round_id",
    "overdue",
    "submitted_at",
    "updated_at",
)


async def dossiers_csv(api: StaffApi, token: str, filters: DossierListFilters) -> str:
    """Every dossier the filters select (up to :data:`CSV_MAX_ROWS`), one CSV row each."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(CSV_COLUMNS)
    offset = 0
    while offset < CSV_MAX_ROWS:
        page = await api.list_dossiers(
            token, dossier_query(filters, filters.tab, limit=API_PAGE, offset=offset)
        )
        for item in page.items:
            row = item.model_dump(mode="json")
            writer.writerow(["" if row[column] is None else row[column] for column in CSV_COLUMNS])
        offset += API_PAGE
        if offset >= page.total or not page.items:
            break
    return output.getvalue()


@dataclass(frozen=True)
class DossierView:
    dossier: DossierDetail
    comments: list[CommentPublic]


async def dossier_page(api: StaffApi, token: str, dossier_id: UUID) -> DossierView:
    dossier, comments = await asyncio.gather(
        api.get_dossier(token, dossier_id), api.list_comments(token, dossier_id)
    )
    return DossierView(dossier, comments.items)


async def add_comment(
    api: StaffApi, token: str, dossier_id: UUID, form: Mapping[str, str]
) -> CommentPublic:
    """Add the form's internal comment; a blank or too long one is refused naming ``body``."""
    try:
        comment = CommentForm.model_validate({"body": form.get("body", "")})
    except ValidationError:
        raise ApiRefused(
            422,
            "Le commentaire est vide ou trop long / The comment is empty or too long.",
            errors=[
                FieldProblem(
                    "body",
                    "Écrivez un commentaire de 5 000 caractères au plus / "
                    "Write a comment of 5,000 characters at most.",
                )
            ],
        ) from None
    return await api.add_comment(token, dossier_id, comment.body)


class UnknownAction(Exception):
    """No staff action has this name."""


def action_body(action: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The action's JSON body from its form: the body model's fields that were filled in
    (the API checks them and names the field at fault)."""
    model = ACTION_BODIES.get(action)
    if model is None or action == "withdraw":
        raise UnknownAction(action)
    return {
        name: form[name].strip()
        for name in model.model_fields
        if name in form and form[name].strip() != ""
    }


def body_errors(action: str, form: Mapping[str, str]) -> list[FieldProblem]:
    """The required fields the form left empty (the API would refuse them anyway, but with
    the whole-body message of a JSON client)."""
    model = ACTION_BODIES[action]
    return [
        FieldProblem(field=name, message="Ce champ est obligatoire / This field is required.")
        for name, info in model.model_fields.items()
        if info.is_required() and not form.get(name, "").strip()
    ]


async def apply_action(
    api: StaffApi, token: str, dossier_id: UUID, action: str, form: Mapping[str, str]
) -> ActionOutcome:
    """Apply the action through its workflow; :class:`ApiRefused` says why not."""
    body = action_body(action, form)
    missing = body_errors(action, form)
    if missing:
        raise ApiRefused(
            422, "Le formulaire est incomplet / The form is incomplete.", errors=missing
        )
    return await api.apply_action(token, dossier_id, action, body)
