"""Use cases of the staff API over the read model, evaluations and the workflow ports (no
HTTP, no Temporal types)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.database import transaction
from libs.messages.common import DossierKind
from libs.messages.dossier_events import FINAL_STATUSES
from libs.personal_data import (
    ANONYMISED,
    DELETED,
    ERASED,
    PurgeReport,
    RetentionPolicy,
    anonymised_application,
    erase_final_records,
)
from services.selection.models import (
    ConflictDeclaration,
    DossierFollow,
    Evaluation,
    InternalComment,
    StaffDossier,
    StaffTimelineEntry,
)
from services.selection.read_model import search_text
from services.selection.scorecards import (
    CRITERIA,
    criterion_means,
    scorecard_errors,
)
from workflows.client_errors import ActionRefused
from workflows.dossier.client import DossierWorkflows
from workflows.dossier.models import Action, ActionRequest, ActionResult, RecordDecision
from workflows.promotion import rules as promotion_rules
from workflows.promotion.models import RoundRef, RoundState


class DossierUnknown(Exception):
    """No such dossier in the read model."""


class AlreadyEvaluated(Exception):
    """The evaluator already scored this dossier (one evaluation per evaluator)."""


class ConflictOfInterest(Exception):
    """The evaluator declared a conflict of interest on this dossier."""


class EvaluationUnknown(Exception):
    """No evaluation has this id."""


class NotTheAuthor(Exception):
    """Only an evaluation's author may change it."""


class InvalidScorecard(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


class RoundStillOpen(ActionRefused):
    """The round's cut-off has not passed: the jury does not decide on its dossiers yet."""

    def __init__(self, round: RoundRef) -> None:
        cutoff = round.cutoff_at.astimezone(UTC).isoformat(timespec="seconds")
        super().__init__(
            f"La session {round.round_id} est encore ouverte jusqu'à sa date limite {cutoff} : "
            f"le jury décide ensuite / Round {round.round_id} is still {round.state.value} "
            f"until its cut-off at {cutoff}: decisions are recorded once it is "
            f"{RoundState.DELIBERATING.value} or {RoundState.CLOSED.value}.",
            field="round_id",
        )


class NotInRound(ActionRefused):
    """The dossier is not enrolled in the round the decision is recorded in."""

    def __init__(self, dossier_id: UUID, round_id: str) -> None:
        super().__init__(
            f"dossier {dossier_id} is not enrolled in round {round_id}", field="dossier_id"
        )


@dataclass(frozen=True)
class EvaluationTotals:
    count: int
    criterion_means: dict[str, float]

    @property
    def total(self) -> float:
        return round(sum(self.criterion_means.values()), 2)


@dataclass(frozen=True)
class EvaluationListing:
    evaluations: list[Evaluation]
    conflicted: frozenset[str]
    """Authors who declared a conflict of interest: their scores are not counted."""
    totals: EvaluationTotals


CONTACT_FIELDS = ("email", "contact_email", "contact_name")
"""Fields of an application that say how to reach a person: withheld from evaluators and the
jury (:attr:`libs.auth.StaffUser.sees_personal_details`)."""


def without_contact_details(application: dict[str, object]) -> tuple[dict[str, object], list[str]]:
    """The application without its contact fields, and the names of those withheld."""
    withheld = [name for name in CONTACT_FIELDS if name in application]
    kept = {name: value for name, value in application.items() if name not in CONTACT_FIELDS}
    return kept, withheld


@dataclass(frozen=True)
class DossierRecord:
    dossier: StaffDossier
    timeline: list[StaffTimelineEntry]
    evaluations: EvaluationTotals
    conflicted: frozenset[str]
    """Evaluators who declared a conflict of interest on the dossier."""


class RoundMembers(Protocol):
    """Who is in a round. Membership is a property of the dossier (its workflow holds its
    round, its events name it), not a list in the promotion (ADR 15)."""

    async def members(self, round_id: str) -> list[UUID]:
        """The dossiers in the round and not final, by dossier id."""

    async def is_member(self, dossier_id: UUID, round_id: str) -> bool: ...


class ReadModelRoundMembers:
    """:class:`RoundMembers` from the read model: a dossier whose latest status names the
    round (``round_id``, indexed) and is not final."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def members(self, round_id: str) -> list[UUID]:
        async with self._sessions() as session:
            rows = await session.exec(
                select(StaffDossier.dossier_id)
                .where(
                    col(StaffDossier.round_id) == round_id,
                    col(StaffDossier.status).not_in([status.value for status in FINAL_STATUSES]),
                )
                .order_by(col(StaffDossier.dossier_id))
            )
            return list(rows.all())

    async def is_member(self, dossier_id: UUID, round_id: str) -> bool:
        async with self._sessions() as session:
            dossier = await session.get(StaffDossier, dossier_id)
        return (
            dossier is not None
            and dossier.round_id == round_id
            and dossier.status not in {status.value for status in FINAL_STATUSES}
        )


async def find_dossier(
    sessions: async_sessionmaker[AsyncSession], dossier_id: UUID
) -> DossierRecord:
    async with sessions() as session:
        dossier = await session.get(StaffDossier, dossier_id)
        if dossier is None:
            raise DossierUnknown(str(dossier_id))
        timeline = await session.exec(
            select(StaffTimelineEntry)
            .where(col(StaffTimelineEntry.dossier_id) == dossier_id)
            .order_by(col(StaffTimelineEntry.occurred_at), col(StaffTimelineEntry.event_id))
        )
        listing = await _evaluations_of(session, dossier)
        return DossierRecord(dossier, list(timeline.all()), listing.totals, listing.conflicted)


async def list_evaluations(
    sessions: async_sessionmaker[AsyncSession], dossier_id: UUID
) -> EvaluationListing:
    """Every scorecard of the dossier, oldest first, and the summary they add up to."""
    async with sessions() as session:
        dossier = await session.get(StaffDossier, dossier_id)
        if dossier is None:
            raise DossierUnknown(str(dossier_id))
        return await _evaluations_of(session, dossier)


async def _evaluations_of(session: AsyncSession, dossier: StaffDossier) -> EvaluationListing:
    conflicted = frozenset(
        (
            await session.exec(
                select(ConflictDeclaration.evaluator).where(
                    col(ConflictDeclaration.dossier_id) == dossier.dossier_id
                )
            )
        ).all()
    )
    evaluations = list(
        (
            await session.exec(
                select(Evaluation)
                .where(col(Evaluation.dossier_id) == dossier.dossier_id)
                .order_by(col(Evaluation.created_at), col(Evaluation.id))
            )
        ).all()
    )
    # A conflict declared after scoring removes that score from the summary.
    counted = [
        evaluation.scores for evaluation in evaluations if evaluation.author not in conflicted
    ]
    kind = DossierKind(dossier.kind)
    totals = EvaluationTotals(len(counted), criterion_means(kind, counted))
    return EvaluationListing(evaluations, conflicted, totals)


async def record_evaluation(
    sessions: async_sessionmaker[AsyncSession],
    dossier_id: UUID,
    author: str,
    scores: dict[str, int],
    comment: str,
) -> Evaluation:
    """Raises :class:`DossierUnknown`, :class:`InvalidScorecard`, :class:`ConflictOfInterest`
    or :class:`AlreadyEvaluated`."""
    try:
        async with transaction(sessions) as session:
            dossier = await session.get(StaffDossier, dossier_id)
            if dossier is None:
                raise DossierUnknown(str(dossier_id))
            errors = scorecard_errors(DossierKind(dossier.kind), scores)
            if errors:
                raise InvalidScorecard(errors)
            if await session.get(ConflictDeclaration, (dossier_id, author)) is not None:
                raise ConflictOfInterest(str(dossier_id))
            existing = await session.exec(
                select(Evaluation).where(
                    col(Evaluation.dossier_id) == dossier_id, col(Evaluation.author) == author
                )
            )
            if existing.first() is not None:
                raise AlreadyEvaluated(str(dossier_id))
            now = datetime.now(UTC)
            evaluation = Evaluation(
                dossier_id=dossier_id,
                author=author,
                scores={name: scores[name] for name in CRITERIA[DossierKind(dossier.kind)]},
                comment=comment,
                created_at=now,
                updated_at=now,
            )
            session.add(evaluation)
    except IntegrityError as error:  # a concurrent second submission by the same evaluator
        raise AlreadyEvaluated(str(dossier_id)) from error
    return evaluation


async def update_evaluation(
    sessions: async_sessionmaker[AsyncSession],
    evaluation_id: int,
    author: str,
    scores: dict[str, int],
    comment: str,
) -> Evaluation:
    """Replace the scorecard and comment of the author's own evaluation.

    Raises :class:`EvaluationUnknown`, :class:`NotTheAuthor`, :class:`InvalidScorecard` or
    :class:`ConflictOfInterest` (checked in that order: a stranger learns nothing about the
    scorecard's rules or the author's declarations).
    """
    async with transaction(sessions) as session:
        evaluation = await session.get(Evaluation, evaluation_id)
        if evaluation is None:
            raise EvaluationUnknown(str(evaluation_id))
        if evaluation.author != author:
            raise NotTheAuthor(str(evaluation_id))
        dossier = await session.get(StaffDossier, evaluation.dossier_id)
        if dossier is None:  # the read model never deletes a dossier
            raise DossierUnknown(str(evaluation.dossier_id))
        kind = DossierKind(dossier.kind)
        errors = scorecard_errors(kind, scores)
        if errors:
            raise InvalidScorecard(errors)
        if await session.get(ConflictDeclaration, (dossier.dossier_id, author)) is not None:
            raise ConflictOfInterest(str(dossier.dossier_id))
        # A new dict, not an in-place change: the JSON column only notices a new value.
        evaluation.scores = {name: scores[name] for name in CRITERIA[kind]}
        evaluation.comment = comment
        evaluation.updated_at = datetime.now(UTC)
        session.add(evaluation)
    return evaluation


async def declare_conflict(
    sessions: async_sessionmaker[AsyncSession], dossier_id: UUID, evaluator: str, reason: str
) -> tuple[ConflictDeclaration, bool]:
    """Record the declaration (idempotent); True if it is new. Raises :class:`DossierUnknown`."""
    try:
        async with transaction(sessions) as session:
            if await session.get(StaffDossier, dossier_id) is None:
                raise DossierUnknown(str(dossier_id))
            existing = await session.get(ConflictDeclaration, (dossier_id, evaluator))
            if existing is not None:
                return existing, False
            declaration = ConflictDeclaration(
                dossier_id=dossier_id,
                evaluator=evaluator,
                reason=reason,
                declared_at=datetime.now(UTC),
            )
            session.add(declaration)
    except IntegrityError:  # declared twice at once: the other one won
        async with sessions() as session:
            found = await session.get(ConflictDeclaration, (dossier_id, evaluator))
            assert found is not None
            return found, False
    return declaration, True


async def record_decision(
    workflows: DossierWorkflows,
    dossier_id: UUID,
    decision: RecordDecision,
    *,
    actor: str,
    actor_name: str = "",
    update_id: str,
    round: RoundRef | None = None,
) -> ActionResult:
    """The jury's decision on a defended project, behind both of its routes (the dossier's
    action, and the round's decisions).

    Given the ``round`` it is recorded in (as the promotion reports it), the decision is
    refused first unless the round's cut-off has passed (:class:`RoundStillOpen`) and the
    dossier's workflow holds that round (:class:`NotInRound`: membership is the dossier's,
    ADR 15), so that the refusal names the round. Either way the dossier workflow applies the
    same cut-off rule on its own clock and stays the authority. Raises the dossier client's
    errors too (``workflows.client_errors``).
    """
    if round is not None:
        if promotion_rules.decisions_refusal(round) is not None:
            raise RoundStillOpen(round)
        snapshot = await workflows.snapshot(dossier_id)
        joined = snapshot.round if snapshot is not None else None
        if joined is None or joined.round_id != round.round_id:
            raise NotInRound(dossier_id, round.round_id)
    request = ActionRequest(
        action=Action.RECORD_DECISION.value,
        actor=actor,
        actor_name=actor_name,
        payload=decision.model_dump(mode="json"),
    )
    return await workflows.apply_action(dossier_id, request, update_id=update_id)


async def follow(
    sessions: async_sessionmaker[AsyncSession], dossier_id: UUID, staff_id: str, *, on: bool
) -> None:
    """Follow (``on``) or stop following the dossier; doing it twice changes nothing."""
    async with transaction(sessions) as session:
        if await session.get(StaffDossier, dossier_id) is None:
            raise DossierUnknown(str(dossier_id))
        existing = await session.get(DossierFollow, (staff_id, dossier_id))
        if on and existing is None:
            session.add(
                DossierFollow(
                    staff_id=staff_id, dossier_id=dossier_id, followed_at=datetime.now(UTC)
                )
            )
        elif not on and existing is not None:
            await session.delete(existing)


async def is_followed(
    sessions: async_sessionmaker[AsyncSession], dossier_id: UUID, staff_id: str
) -> bool:
    async with sessions() as session:
        return await session.get(DossierFollow, (staff_id, dossier_id)) is not None


async def list_comments(
    sessions: async_sessionmaker[AsyncSession], dossier_id: UUID
) -> list[InternalComment]:
    """The dossier's internal notes, oldest first."""
    async with sessions() as session:
        if await session.get(StaffDossier, dossier_id) is None:
            raise DossierUnknown(str(dossier_id))
        rows = await session.exec(
            select(InternalComment)
            .where(col(InternalComment.dossier_id) == dossier_id)
            .order_by(col(InternalComment.created_at), col(InternalComment.id))
        )
        return list(rows.all())


async def add_comment(
    sessions: async_sessionmaker[AsyncSession],
    dossier_id: UUID,
    *,
    author: str,
    author_name: str,
    body: str,
) -> InternalComment:
    async with transaction(sessions) as session:
        if await session.get(StaffDossier, dossier_id) is None:
            raise DossierUnknown(str(dossier_id))
        comment = InternalComment(
            dossier_id=dossier_id,
            author=author,
            author_name=author_name,
            body=body,
            created_at=datetime.now(UTC),
        )
        session.add(comment)
        await session.flush()
        await session.refresh(comment)
        return comment


async def purge_expired(
    sessions: async_sessionmaker[AsyncSession], policy: RetentionPolicy, now: datetime
) -> PurgeReport:
    """Apply the retention policy to selection's tables (docs/DATA-PROTECTION.md): dossiers
    final for longer than ``final_dossier_days`` lose their personal data. Idempotent."""
    return await erase_final_records(
        sessions,
        policy,
        now,
        record=StaffDossier,
        final_statuses=[status.value for status in FINAL_STATUSES],
        erase_in=erase_in,
    )


async def erase_in(session: AsyncSession, dossier_ids: list[UUID], at: datetime) -> PurgeReport:
    """Erase what selection holds about these applicants, in the caller's transaction: the
    application keeps its non-personal facts; notes, comments and free texts about them go;
    statuses, dates and scores (what the results count) stay."""
    report = PurgeReport()
    if not dossier_ids:
        return report
    rows = await session.exec(
        select(StaffDossier)
        .where(col(StaffDossier.dossier_id).in_(dossier_ids))
        .where(col(StaffDossier.personal_data_erased_at).is_(None))
    )
    dossiers = list(rows.all())
    for dossier in dossiers:
        dossier.application = anonymised_application(dossier.kind, dossier.application)
        dossier.search_text = search_text(dossier.title, dossier.application)
        dossier.personal_data_erased_at = at
        session.add(dossier)
    report.add("staff_dossiers", ANONYMISED, len(dossiers))
    for table, statement in (
        (
            "staff_timeline_entries",
            update(StaffTimelineEntry)
            .where(col(StaffTimelineEntry.dossier_id).in_(dossier_ids))
            .where(col(StaffTimelineEntry.note) != "", col(StaffTimelineEntry.note) != ERASED)
            .values(note=ERASED),
        ),
        (
            "evaluations",
            update(Evaluation)
            .where(col(Evaluation.dossier_id).in_(dossier_ids))
            .where(col(Evaluation.comment) != "", col(Evaluation.comment) != ERASED)
            .values(comment=ERASED),
        ),
        (
            "conflict_declarations",
            update(ConflictDeclaration)
            .where(col(ConflictDeclaration.dossier_id).in_(dossier_ids))
            .where(col(ConflictDeclaration.reason) != "", col(ConflictDeclaration.reason) != ERASED)
            .values(reason=ERASED),
        ),
    ):
        report.add(table, ANONYMISED, int((await session.exec(statement)).rowcount))
    comments = await session.exec(
        delete(InternalComment).where(col(InternalComment.dossier_id).in_(dossier_ids))
    )
    report.add("internal_comments", DELETED, int(comments.rowcount))
    return report
