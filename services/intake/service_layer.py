"""Intake's use cases: accept an application, show a dossier's status to its applicant,
withdraw a dossier at its applicant's request (no HTTP here: the routers in ``api/`` translate)."""

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID, uuid4

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.database import transaction
from libs.messages.common import DossierKind
from libs.messages.dossier_events import FINAL_STATUSES, DossierStatus
from libs.messages.topics import APPLICATIONS
from libs.outbox.relay import outbox_message
from services.intake import metrics
from services.intake.domain import (
    AcceptedApplication,
    ApplicationForm,
    IdempotencyKeyReused,
    dossier_kind,
    request_sha256,
    submission_event,
)
from services.intake.models import Application, IdempotencyRecord
from services.intake.repository import ApplicationRepository, OutboxRepository, StatusViewRepository
from services.intake.schemas import DossierStatusPublic, TimelineEntryPublic
from workflows.client_errors import (
    ActionNotAllowed,
    ActionRefused,
    InvalidActionBody,
    UnknownAction,
    WorkflowsUnavailable,
)
from workflows.dossier.client import DossierNotFound, DossierWorkflows
from workflows.dossier.models import APPLICANT, Action, ActionRequest, ActionResult

logger = logging.getLogger(__name__)


class WorkflowNotRunning(Exception):
    """The dossier has no workflow yet (just after submission, the bridge starts it within
    seconds) and is not final: nothing was decided, the same request will work shortly."""


ACCEPTED_STATUS_CODE = 202


async def submit_application(
    sessions: async_sessionmaker[AsyncSession],
    form: ApplicationForm,
    *,
    idempotency_key: str | None = None,
    on_committed: Callable[[], None] = lambda: None,
) -> AcceptedApplication:
    """Store the application and its outbox row in one transaction.

    With an ``idempotency_key``, a retry of the same request gets the first answer back and a
    different request raises :class:`IdempotencyKeyReused`. The key's row is written in the same
    transaction and is unique, so of two concurrent identical requests one commits and the
    other finds its answer.
    """
    fingerprint = request_sha256(form)
    if idempotency_key is not None:
        earlier = await _earlier_answer(sessions, idempotency_key, fingerprint)
        if earlier is not None:
            return earlier

    accepted = AcceptedApplication(dossier_id=uuid4(), kind=dossier_kind(form))
    try:
        await _store_application(sessions, form, accepted, idempotency_key, fingerprint)
    except IntegrityError:
        if idempotency_key is None:
            raise
        # A concurrent request with the same key committed first: answer as it did.
        earlier = await _earlier_answer(sessions, idempotency_key, fingerprint)
        if earlier is None:
            raise
        return earlier

    on_committed()
    metrics.APPLICATIONS_ACCEPTED.labels(kind=accepted.kind.value).inc()
    logger.info("application accepted: dossier %s (%s)", accepted.dossier_id, accepted.kind.value)
    return accepted


async def _store_application(
    sessions: async_sessionmaker[AsyncSession],
    form: ApplicationForm,
    accepted: AcceptedApplication,
    idempotency_key: str | None,
    fingerprint: str,
) -> None:
    """The application, its submission event's outbox row and, with a key, the answer to
    replay: one transaction."""
    now = datetime.now(UTC)
    dossier_id, kind = accepted.dossier_id, accepted.kind
    async with transaction(sessions) as session:
        applications = ApplicationRepository(session)
        applications.add(
            Application(
                dossier_id=dossier_id,
                kind=kind.value,
                payload=form.model_dump(mode="json"),
                title=form.title,
                created_at=now,
            )
        )
        event = submission_event(dossier_id, form, now)
        OutboxRepository(session).add(outbox_message(APPLICATIONS, event, now))
        if idempotency_key is not None:
            applications.add_idempotency_record(
                IdempotencyRecord(
                    key=idempotency_key,
                    request_sha256=fingerprint,
                    status_code=ACCEPTED_STATUS_CODE,
                    # The private link is derived from the id on replay, never stored.
                    response={"dossier_id": str(dossier_id), "kind": kind.value},
                    dossier_id=dossier_id,
                    created_at=now,
                )
            )


async def _earlier_answer(
    sessions: async_sessionmaker[AsyncSession], key: str, fingerprint: str
) -> AcceptedApplication | None:
    async with transaction(sessions) as session:
        record = await ApplicationRepository(session).idempotency_record(key)
    if record is None:
        return None
    if record.request_sha256 != fingerprint:
        raise IdempotencyKeyReused(key)
    return AcceptedApplication(
        dossier_id=UUID(record.response["dossier_id"]),
        kind=DossierKind(record.response["kind"]),
        replayed=True,
    )


async def dossier_status(
    sessions: async_sessionmaker[AsyncSession], dossier_id: UUID
) -> DossierStatusPublic | None:
    """A dossier's status and timeline as its applicant sees them; None for an unknown dossier.

    Until the first dossier event arrives, the dossier is 'received' as of its submission; the
    timeline always starts with the submission."""
    async with transaction(sessions) as session:
        application = await ApplicationRepository(session).get(dossier_id)
        if application is None:
            return None
        views = StatusViewRepository(session)
        view = await views.get(dossier_id)
        entries = await views.timeline(dossier_id)
    submission = TimelineEntryPublic(status=DossierStatus.RECEIVED.value, at=application.created_at)
    timeline = [submission]
    for entry in entries:
        # An event that repeats the previous step without a note (the workflow confirming
        # "received" after the submission) adds nothing for the applicant: show each step once.
        if entry.status == timeline[-1].status and not entry.note:
            continue
        timeline.append(
            TimelineEntryPublic(status=entry.status, at=entry.occurred_at, note=entry.note)
        )
    return DossierStatusPublic(
        dossier_id=application.dossier_id,
        kind=DossierKind(application.kind),
        title=application.title,
        status=view.status if view is not None else DossierStatus.RECEIVED.value,
        submitted_at=application.created_at,
        updated_at=view.last_event_at if view is not None else application.created_at,
        timeline=timeline,
    )


def withdrawal_update_id(dossier_id: UUID) -> str:
    """One update id per dossier: a double click or a retried request withdraws once."""
    return f"withdraw-{dossier_id}"


async def withdraw_dossier(
    sessions: async_sessionmaker[AsyncSession], workflows: DossierWorkflows, dossier_id: UUID
) -> ActionResult:
    """The applicant withdraws their dossier; the dossier workflow decides whether it may.

    Raises :class:`ActionNotAllowed` when the dossier is already in a final status (also once
    its workflow has completed), :class:`ActionRefused`, :class:`WorkflowNotRunning` when the
    workflow does not exist yet (just after submission: try again shortly), and
    :class:`WorkflowsUnavailable` when Temporal cannot be asked.
    """
    try:
        # Temporal answers a repeated update id with the first outcome, even once the workflow
        # has completed: without this look first, withdrawing a withdrawn dossier again would
        # answer "withdrawn" instead of saying it already is. Two concurrent requests (a double
        # click) both pass it and still make one withdrawal: they share the update id.
        status = await _current_status(workflows, dossier_id)
        if status is not None and status in FINAL_STATUSES:
            raise _already_final(status.value)
        result = await workflows.apply_action(
            dossier_id,
            ActionRequest(action=Action.WITHDRAW, actor=APPLICANT),
            update_id=withdrawal_update_id(dossier_id),
        )
    except DossierNotFound as not_running:
        final_status = await _final_status(sessions, workflows, dossier_id)
        if final_status is None:
            metrics.WITHDRAWALS.labels(outcome="workflow_not_started").inc()
            raise WorkflowNotRunning(str(dossier_id)) from not_running
        metrics.WITHDRAWALS.labels(outcome="already_final").inc()
        raise _already_final(final_status) from None
    except ActionNotAllowed:
        metrics.WITHDRAWALS.labels(outcome="already_final").inc()
        raise
    except ActionRefused:
        metrics.WITHDRAWALS.labels(outcome="refused").inc()
        raise
    except WorkflowsUnavailable:
        metrics.WITHDRAWALS.labels(outcome="temporal_unavailable").inc()
        raise
    except (InvalidActionBody, UnknownAction) as failed:
        # The workflow does not know a withdrawal it should: nothing was decided, as when
        # Temporal does not answer.
        logger.warning("dossier workflow failed the withdrawal: %s", type(failed).__name__)
        metrics.WITHDRAWALS.labels(outcome="temporal_unavailable").inc()
        raise WorkflowsUnavailable(type(failed).__name__) from failed
    metrics.WITHDRAWALS.labels(outcome="withdrawn").inc()
    logger.info("dossier %s withdrawn by its applicant", dossier_id)
    return result


async def _final_status(
    sessions: async_sessionmaker[AsyncSession], workflows: DossierWorkflows, dossier_id: UUID
) -> str | None:
    """The final status of a dossier whose workflow is not running, or None if it has none.

    The workflow may have completed since it was last asked; a completed workflow still
    answers queries, and knows before the status view does (the view follows Kafka). The view
    is the fallback when the query cannot be answered.
    """
    try:
        status = await _current_status(workflows, dossier_id)
    except WorkflowsUnavailable:
        status = None
    if status is not None and status in FINAL_STATUSES:
        return status.value
    async with transaction(sessions) as session:
        view = await StatusViewRepository(session).get(dossier_id)
    if view is not None and view.status in FINAL_STATUSES:
        return view.status
    return None


async def _current_status(workflows: DossierWorkflows, dossier_id: UUID) -> DossierStatus | None:
    """The status the workflow holds (also once completed); None if there is no workflow or it
    has not run its first task. Raises :class:`WorkflowsUnavailable`."""
    snapshot = await workflows.snapshot(dossier_id)
    return None if snapshot is None else snapshot.status


def _already_final(status: str) -> ActionNotAllowed:
    return ActionNotAllowed(f"action not allowed in status {status}", status, [])
