"""The console's use cases: what each screen needs from the staff APIs, asked with the user's
own token (no HTTP of the console's own, no templates)."""

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ValidationError

from libs.messages.common import DossierKind
from libs.messages.contract_events import ContractStatus
from libs.messages.dossier_events import FINAL_STATUSES, DossierStatus
from libs.operations.dead_letters import MessageRef
from libs.operations.models import DeadLetterDecision
from libs.operations.report import DeadLetter, StatusReport
from libs.wording import PARIS
from services.console.action_forms import BulkOperation
from services.console.schemas import PAGE_SIZE, CommentForm, DossierListFilters, Tab
from services.console.sessions import ConsoleSession
from services.console.staff_api import ApiRefused, DossierQuery, FieldProblem, StaffApi
from services.contracts.schemas import ActionOutcome as ContractOutcome
from services.contracts.schemas import ContractPage
from services.selection.api.rounds import (
    DecisionPublic,
    PromotionPublic,
    RoundDetailPublic,
    RoundPublic,
)
from services.selection.schemas import (
    ActionOutcome,
    CommentPublic,
    DeadLetterActionPublic,
    DossierCounts,
    DossierDetail,
    DossierPage,
    DossierSummary,
    EvaluationPublic,
)
from services.selection.scorecards import CRITERIA
from workflows.contract.models import CONTRACT_ACTION_BODIES
from workflows.dossier.models import ACTION_BODIES, JuryDecision
from workflows.promotion.models import RoundState

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
    open_rounds: list[RoundPublic]
    """Rounds still taking dossiers, the nearest cut-off first."""
    promotions: list[PromotionPublic]
    """Each promotion's seats used out of its cap."""
    offers_awaiting: int | None
    """Contract offers sent and not answered yet; None when the role may not read contracts."""

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
    counts, rounds, promotions, offers = await asyncio.gather(
        api.count_dossiers(token),
        api.list_rounds(token),
        api.list_promotions(token),
        _offers_awaiting(api, token),
    )
    open_rounds = sorted(
        (item for item in rounds if item.state == RoundState.OPEN), key=lambda item: item.cutoff_at
    )
    return Dashboard(counts, open_rounds, sorted(promotions, key=lambda p: p.number), offers)


async def _offers_awaiting(api: StaffApi, token: str) -> int | None:
    try:
        page = await api.list_contracts(token, status=ContractStatus.OFFER_SENT, limit=1)
    except ApiRefused as refusal:
        if refusal.status_code != 403:
            raise
        return None  # evaluators and the jury do not read contracts (least privilege)
    return page.total


def dossier_query(
    filters: DossierListFilters,
    tab: Tab,
    *,
    limit: int = PAGE_SIZE,
    cursor: str | None = None,
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
        cursor=cursor,
    )


@dataclass(frozen=True)
class Count:
    """A total as the API gives it: exact, or a lower bound ("1 000+")."""

    value: int
    exact: bool = True


@dataclass(frozen=True)
class DossierList:
    items: list[DossierSummary]
    total: Count
    tab_counts: dict[Tab, Count]
    next_cursor: str | None
    previous_cursor: str | None


LISTED_TABS = (Tab.TO_HANDLE, Tab.FOLLOWED, Tab.HANDLED, Tab.ALL)


async def dossier_list(api: StaffApi, token: str, filters: DossierListFilters) -> DossierList:
    """The tab's page of dossiers (keyset: ``filters.curseur``) and each tab's count under the
    same filters (the other tabs ask for the total alone: ``limit=0``)."""
    current = api.list_dossiers(token, dossier_query(filters, filters.tab, cursor=filters.curseur))
    other_tabs = [tab for tab in LISTED_TABS if tab != filters.tab]
    others = [api.list_dossiers(token, dossier_query(filters, tab, limit=0)) for tab in other_tabs]
    page, *counted = await asyncio.gather(current, *others)
    tab_counts = {filters.tab: Count(page.total, page.total_exact)}
    for tab, other in zip(other_tabs, counted, strict=True):
        tab_counts[tab] = Count(other.total, other.total_exact)
    return DossierList(
        page.items, tab_counts[filters.tab], tab_counts, page.next_cursor, page.previous_cursor
    )


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


async def dossiers_csv(
    api: StaffApi, token: str, filters: DossierListFilters
) -> AsyncIterator[str]:
    """Every dossier the filters select (up to :data:`CSV_MAX_ROWS`), one CSV row each,
    written page by page as the API's cursor walks on (nothing held but one page)."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(CSV_COLUMNS)
    written, cursor = 0, None
    while written < CSV_MAX_ROWS:
        query = dossier_query(filters, filters.tab, limit=API_PAGE, cursor=cursor)
        page = await api.list_dossiers(token, query)
        for item in page.items[: CSV_MAX_ROWS - written]:
            row = item.model_dump(mode="json")
            writer.writerow(["" if row[column] is None else row[column] for column in CSV_COLUMNS])
        written += len(page.items)
        yield output.getvalue()
        output.seek(0)
        output.truncate()
        cursor = page.next_cursor
        if cursor is None:
            break


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


ERASURE_REASON_MAX = 500
"""As the API's ``ErasureBody.reason``."""


async def erase_personal_data(
    api: StaffApi, token: str, dossier_id: UUID, form: Mapping[str, str]
) -> None:
    """Erase the applicant's personal data (admins); a blank reason is refused naming it."""
    reason = form.get("reason", "").strip()
    if not reason or len(reason) > ERASURE_REASON_MAX:
        raise ApiRefused(
            422,
            "Indiquez pourquoi / Say why.",
            errors=[
                FieldProblem(
                    "reason",
                    "Écrivez la raison de l’effacement, 500 caractères au plus / "
                    "Write the reason for the erasure, 500 characters at most.",
                )
            ],
        )
    await api.erase_personal_data(token, dossier_id, reason)


class UnknownAction(ApiRefused):
    """No staff action has this name: a 404, as the API would answer."""

    def __init__(self, action: str) -> None:
        super().__init__(404, f"Action inconnue / Unknown action: {action}.")


def form_body(model: type[BaseModel], form: Mapping[str, str]) -> dict[str, Any]:
    """An action's JSON body from its form: the body model's fields that were filled in
    (the API checks them and names the field at fault). A required field left empty is
    refused here, naming it (the API would say so in a JSON client's words)."""
    missing = [
        FieldProblem(field=name, message="Ce champ est obligatoire / This field is required.")
        for name, info in model.model_fields.items()
        if info.is_required() and not form.get(name, "").strip()
    ]
    if missing:
        raise ApiRefused(
            422, "Le formulaire est incomplet / The form is incomplete.", errors=missing
        )
    body: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        value = form.get(name, "").strip()
        if value:
            # A radio's "true"/"false" is the JSON boolean the model takes.
            is_bool = info.annotation is bool and value in ("true", "false")
            body[name] = value == "true" if is_bool else value
    return body


async def apply_action(
    api: StaffApi, token: str, dossier_id: UUID, action: str, form: Mapping[str, str]
) -> ActionOutcome:
    """Apply the action through its workflow; :class:`ApiRefused` says why not."""
    model = ACTION_BODIES.get(action)
    if model is None or action == "withdraw":
        raise UnknownAction(action)
    return await api.apply_action(token, dossier_id, action, form_body(model, form))


# --- Evaluations ---------------------------------------------------------------------------


async def awaiting_my_evaluation(api: StaffApi, token: str) -> DossierPage:
    """The dossiers waiting for the caller's scorecard, those waiting longest first."""
    query = DossierQuery(awaiting_my_evaluation=True, sort="updated_asc", limit=API_PAGE)
    return await api.list_dossiers(token, query)


@dataclass(frozen=True)
class ScorecardView:
    dossier: DossierDetail
    own: EvaluationPublic | None
    """The caller's scorecard, to edit."""
    conflicted: bool
    """The caller declared a conflict of interest: no scorecard form."""


async def scorecard_page(api: StaffApi, session: ConsoleSession, dossier_id: UUID) -> ScorecardView:
    dossier = await api.get_dossier(session.token, dossier_id)
    try:
        listing = await api.list_evaluations(session.token, dossier_id)
    except ApiRefused as refusal:
        if refusal.status_code != 403:
            raise
        return ScorecardView(dossier, None, conflicted=True)  # the API says: conflict declared
    own = next((item for item in listing.items if item.author == session.subject), None)
    return ScorecardView(dossier, own, conflicted=False)


SCORE_REQUIRED = "Choisissez une note de 0 à 3 / Choose a score from 0 to 3."
COMMENT_REQUIRED = "Écrivez un commentaire / Write a comment."


def scorecard_body(kind: DossierKind, form: Mapping[str, str]) -> dict[str, Any]:
    """The API's scorecard from the form (``score-<criterion>`` radios and ``comment``);
    :class:`ApiRefused` names each criterion left unscored."""
    errors: list[FieldProblem] = []
    scores: dict[str, int] = {}
    for criterion in CRITERIA[kind]:
        raw = form.get(f"score-{criterion}", "")
        if raw not in ("0", "1", "2", "3"):
            errors.append(FieldProblem(f"score-{criterion}", SCORE_REQUIRED))
        else:
            scores[criterion] = int(raw)
    comment = form.get("comment", "").strip()
    if not comment:
        errors.append(FieldProblem("comment", COMMENT_REQUIRED))
    if errors:
        raise ApiRefused(
            422, "La grille est incomplète / The scorecard is incomplete.", errors=errors
        )
    return {"scores": scores, "comment": comment}


async def save_scorecard(
    api: StaffApi, session: ConsoleSession, dossier_id: UUID, form: Mapping[str, str]
) -> EvaluationPublic:
    """Create the caller's scorecard or change it (the form's ``evaluation_id``)."""
    try:
        kind = DossierKind(form.get("kind", ""))
    except ValueError:
        raise ApiRefused(422, "Type de dossier inconnu / Unknown dossier kind.") from None
    body = scorecard_body(kind, form)
    raw_id = form.get("evaluation_id", "")
    evaluation_id = int(raw_id) if raw_id.isdigit() else None
    try:
        return await api.save_evaluation(
            session.token, dossier_id, body, evaluation_id=evaluation_id
        )
    except ApiRefused as refusal:
        # The API names a criterion "scores.<name>"; the form's radios are "score-<name>".
        for problem in refusal.errors:
            if problem.field.startswith("scores."):
                object.__setattr__(problem, "field", "score-" + problem.field.split(".", 1)[1])
        raise


# --- Rounds --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundView:
    round: RoundDetailPublic
    dossiers: list[DossierDetail]

    @property
    def decisions_open(self) -> bool:
        """The jury decides once the cut-off has passed (the API refuses before)."""
        return self.round.state != RoundState.OPEN


async def round_page(api: StaffApi, token: str, round_id: str) -> RoundView:
    detail = await api.get_round(token, round_id)
    dossiers = await asyncio.gather(
        *(api.get_dossier(token, dossier_id) for dossier_id in detail.dossier_ids[:ROUND_MAX])
    )
    return RoundView(detail, list(dossiers))


ROUND_MAX = 100
"""A round's page shows this many dossiers at most (rounds hold a few dozen)."""
DATETIME_REQUIRED = "Indiquez une date et une heure / Enter a date and a time."


def paris_datetime(text: str) -> datetime | None:
    """A ``datetime-local`` field's value (Paris time) as an aware datetime."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=PARIS) if moment.tzinfo is None else moment


def round_body(form: Mapping[str, str]) -> dict[str, Any]:
    errors: list[FieldProblem] = []
    number = form.get("promotion_number", "").strip()
    if not number.isdigit():
        errors.append(FieldProblem("promotion_number", "Indiquez un numéro / Enter a number."))
    kind = form.get("kind", "")
    if kind not in DossierKind._value2member_map_:
        errors.append(FieldProblem("kind", "Choisissez un type / Choose a kind."))
    moments = {
        name: paris_datetime(form.get(name, "")) for name in ("cutoff_at", "deliberation_at")
    }
    errors += [
        FieldProblem(name, DATETIME_REQUIRED) for name, value in moments.items() if value is None
    ]
    if errors:
        raise ApiRefused(
            422, "Le formulaire est incomplet / The form is incomplete.", errors=errors
        )
    body: dict[str, Any] = {
        "promotion_number": int(number),
        "kind": kind,
        **{name: value.isoformat() for name, value in moments.items() if value is not None},
    }
    if form.get("round_id", "").strip():
        body["round_id"] = form["round_id"].strip()
    return body


async def create_round(api: StaffApi, token: str, form: Mapping[str, str]) -> RoundPublic:
    return await api.create_round(token, round_body(form))


async def record_round_decision(
    api: StaffApi, token: str, round_id: str, form: Mapping[str, str]
) -> DecisionPublic:
    decision = form.get("decision", "")
    if decision not in JuryDecision._value2member_map_:
        raise ApiRefused(
            422,
            "Choisissez une décision / Choose a decision.",
            errors=[FieldProblem("decision", "Choisissez une décision / Choose a decision.")],
        )
    body = {"dossier_id": form.get("dossier_id", ""), "decision": decision}
    if form.get("note", "").strip():
        body["note"] = form["note"].strip()
    return await api.record_round_decision(token, round_id, body)


# --- Bulk actions --------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkResult:
    dossier_id: UUID
    applied: bool
    status: str | None
    reason: str


BULK_MAX = 100
"""Dossiers in one bulk action (each goes through its own workflow, one after the other)."""


async def bulk_apply(
    api: StaffApi, token: str, dossier_ids: list[UUID], operation: BulkOperation, note: str
) -> list[BulkResult]:
    """Apply ``operation`` to each dossier in turn; each result says applied or why not."""
    results: list[BulkResult] = []
    body = {**operation.body, **({"note": note.strip()} if note.strip() else {})}
    for dossier_id in dossier_ids[:BULK_MAX]:
        try:
            outcome = await api.apply_action(token, dossier_id, operation.action, body)
        except ApiRefused as refusal:
            if refusal.status_code == 401:
                raise
            results.append(BulkResult(dossier_id, False, refusal.current_status, refusal.detail))
        else:
            results.append(BulkResult(dossier_id, True, outcome.status.value, ""))
    return results


async def dossier_titles(api: StaffApi, token: str, dossier_ids: list[UUID]) -> dict[UUID, str]:
    """Each dossier's title, for a results page (one the caller cannot read is left out)."""

    async def title(dossier_id: UUID) -> tuple[UUID, str] | None:
        try:
            return dossier_id, (await api.get_dossier(token, dossier_id)).title
        except ApiRefused:
            return None

    found = await asyncio.gather(*(title(dossier_id) for dossier_id in dossier_ids))
    return dict(item for item in found if item is not None)


# --- Matching ------------------------------------------------------------------------------

MATCHING_MAX = 100
"""Projects and candidates shown on the matching page (a promotion holds a few dozen)."""


@dataclass(frozen=True)
class MatchingProject:
    summary: DossierSummary
    profiles_wanted: list[str]
    administration: str


@dataclass(frozen=True)
class MatchingView:
    projects: list[MatchingProject]
    """Signed partnerships, open for matches (wanting ``role`` when filtered)."""
    pool: list[DossierDetail]
    """Candidates in the pool, to propose to a project."""
    matched: list[DossierDetail]
    """Candidates matched, waiting for their joint interview."""

    def projects_for(self, candidate: DossierDetail) -> list[MatchingProject]:
        """The projects that want the candidate's role."""
        role = str(candidate.application.get("role", ""))
        return [project for project in self.projects if role in project.profiles_wanted]


async def matching_page(api: StaffApi, token: str, role: str | None) -> MatchingView:
    """Projects with a signed partnership beside the candidate pool, both filtered by role
    (the list API's ``role``: candidates of it, projects that want it)."""

    def query(kind: DossierKind, status: DossierStatus) -> DossierQuery:
        return DossierQuery(
            kind=kind.value, status=status.value, role=role, sort="updated_asc", limit=MATCHING_MAX
        )

    projects, pool, matched = await asyncio.gather(
        api.list_dossiers(token, query(DossierKind.PROJECT, DossierStatus.PARTNERSHIP_SIGNED)),
        api.list_dossiers(token, query(DossierKind.CANDIDATE, DossierStatus.IN_POOL)),
        api.list_dossiers(token, query(DossierKind.CANDIDATE, DossierStatus.MATCHED)),
    )

    async def details(page: DossierPage) -> list[DossierDetail]:
        return list(
            await asyncio.gather(*(api.get_dossier(token, i.dossier_id) for i in page.items))
        )

    project_details, pool_details, matched_details = await asyncio.gather(
        details(projects), details(pool), details(matched)
    )
    return MatchingView(
        projects=[
            MatchingProject(
                summary=detail,
                profiles_wanted=[
                    str(p) for p in _as_list(detail.application.get("profiles_wanted"))
                ],
                administration=str(detail.application.get("administration_name", "")),
            )
            for detail in project_details
        ],
        pool=pool_details,
        matched=matched_details,
    )


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


# --- Contracts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractList:
    page: ContractPage
    status: ContractStatus | None
    status_counts: dict[ContractStatus, int]


async def contract_list(
    api: StaffApi, token: str, status: ContractStatus | None, page: int = 1
) -> ContractList:
    """One page of contracts (of ``status`` if given) and the count in each status (the API's
    totals of one-row pages)."""
    listing = api.list_contracts(
        token, status=status, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    counted = [api.list_contracts(token, status=each, limit=1) for each in ContractStatus]
    current, *totals = await asyncio.gather(listing, *counted)
    counts = {each: total.total for each, total in zip(ContractStatus, totals, strict=True)}
    return ContractList(current, status, counts)


async def apply_contract_action(
    api: StaffApi, token: str, contract_id: UUID, action: str, form: Mapping[str, str]
) -> ContractOutcome:
    """Apply a staff action to the contract through its workflow (``accept``/``decline``
    are the EIG's: the API answers 403 for them)."""
    model = CONTRACT_ACTION_BODIES.get(action)
    if model is None:
        raise UnknownAction(action)
    return await api.apply_contract_action(token, contract_id, action, form_body(model, form))


# --- operations (admins) ---


@dataclass(frozen=True)
class OpsView:
    report: StatusReport
    history: list[DeadLetterActionPublic]

    def failed_again(self, action: DeadLetterActionPublic) -> DeadLetter | None:
        """The replay's outcome when the fix did not hold: the replayed copy of ``action``'s
        message, waiting in a dead-letter topic again (among the letters the report shows)."""
        if action.decision != DeadLetterDecision.REPLAY:
            return None
        origin = f"{action.topic}:{action.partition}:{action.offset}"
        waiting = (letter for topic in self.report.dead_letters.topics for letter in topic.newest)
        return next((letter for letter in waiting if letter.replayed_from == origin), None)


async def ops_view(api: StaffApi, token: str) -> OpsView:
    report, history = await asyncio.gather(
        api.operations_status(token), api.dead_letter_history(token)
    )
    return OpsView(report=report, history=history.items)


class UnknownDecision(Exception):
    """Neither replay nor discard (a forged URL)."""


async def handle_dead_letter(
    api: StaffApi, token: str, ref: MessageRef, decision: str, form: Mapping[str, str]
) -> DeadLetterActionPublic:
    try:
        chosen = DeadLetterDecision(decision)
    except ValueError:
        raise UnknownDecision(decision) from None
    return await api.handle_dead_letter(token, ref, chosen, form.get("reason", "").strip())
