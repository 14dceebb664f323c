"""Intake's use cases: accept an application, confirm its e-mail address (which starts the
dossier), purge the unconfirmed ones once expired, show a dossier's status to its applicant,
withdraw a dossier at its applicant's request (no HTTP here: the routers in ``api/`` and the
pages translate)."""

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final
from uuid import UUID, uuid4

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

import libs.outbox.repository
from libs.database import transaction
from libs.messages.common import DossierKind, Role
from libs.messages.dossier_events import FINAL_STATUSES, DossierStatus
from libs.messages.topics import APPLICATIONS
from libs.observability import bind_ids
from libs.outbox.models import OutboxOrigin
from libs.outbox.relay import outbox_message
from libs.personal_data import ANONYMISED, DELETED, PurgeReport, RetentionPolicy, in_batches
from libs.wording import in_paris
from services.intake import metrics
from services.intake.domain import (
    AcceptedApplication,
    ApplicationForm,
    IdempotencyKeyReused,
    dossier_kind,
    received_event,
    request_sha256,
    stored_form,
    submission_event,
)
from services.intake.models import Application, IdempotencyRecord
from services.intake.repository import (
    ApplicationRepository,
    OutboxRepository,
    PublicResultsRepository,
    StatusViewRepository,
)
from services.intake.schemas import (
    DossierStatusPublic,
    MonthlyApplications,
    PromotionResults,
    PublicResults,
    Recruitment,
    Seats,
    SelectedProject,
    TimelineEntryPublic,
)
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

DEFAULT_CONFIRMATION_DELAY: Final = timedelta(hours=72)
"""How long an applicant has to confirm the e-mail address
(``APPLICATION_CONFIRMATION_DELAY_HOURS``)."""


async def submit_application(
    sessions: async_sessionmaker[AsyncSession],
    form: ApplicationForm,
    *,
    idempotency_key: str | None = None,
    on_committed: Callable[[], None] = lambda: None,
    confirmation_delay: timedelta = DEFAULT_CONFIRMATION_DELAY,
) -> AcceptedApplication:
    """Store the application, unconfirmed, and the outbox row of its confirmation request
    (``ApplicationReceived``) in one transaction; the dossier starts at
    :func:`confirm_application`.

    With an ``idempotency_key``, a retry of the same request gets the first answer back and a
    different request raises :class:`IdempotencyKeyReused`. The key's row is written in the same
    transaction and is unique, so of two concurrent identical requests one commits and the
    other finds its answer.
    """
    fingerprint = request_sha256(form)
    if idempotency_key is not None:
        earlier = await _earlier_answer(sessions, idempotency_key, fingerprint, confirmation_delay)
        if earlier is not None:
            bind_ids(dossier_id=earlier.dossier_id)
            return earlier

    now = datetime.now(UTC)
    accepted = AcceptedApplication(
        dossier_id=uuid4(), kind=dossier_kind(form), confirm_by=now + confirmation_delay
    )
    bind_ids(dossier_id=accepted.dossier_id)
    try:
        await _store_application(sessions, form, accepted, idempotency_key, fingerprint, now)
    except IntegrityError:
        if idempotency_key is None:
            raise
        # A concurrent request with the same key committed first: answer as it did.
        earlier = await _earlier_answer(sessions, idempotency_key, fingerprint, confirmation_delay)
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
    now: datetime,
) -> None:
    """The application, its confirmation request's outbox row and, with a key, the answer to
    replay: one transaction."""
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
        event = received_event(dossier_id, form, now, accepted.confirm_by)
        OutboxRepository(session).add(outbox_message(APPLICATIONS, event, now))
        if idempotency_key is not None:
            applications.add_idempotency_record(
                IdempotencyRecord(
                    key=idempotency_key,
                    request_sha256=fingerprint,
                    status_code=ACCEPTED_STATUS_CODE,
                    # No private link: those go to the e-mail address alone (ADR 24).
                    response={"dossier_id": str(dossier_id), "kind": kind.value},
                    dossier_id=dossier_id,
                    created_at=now,
                )
            )


async def _earlier_answer(
    sessions: async_sessionmaker[AsyncSession],
    key: str,
    fingerprint: str,
    confirmation_delay: timedelta,
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
        confirm_by=record.created_at + confirmation_delay,
        replayed=True,
    )


class ConfirmationState(StrEnum):
    """Where an application stands with its e-mail address confirmation."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    """Confirmed: the dossier has started (or is starting)."""
    EXPIRED = "expired"
    """Not confirmed in time: it will be purged, the applicant must apply again."""


@dataclass(frozen=True)
class ConfirmationView:
    dossier_id: UUID
    kind: DossierKind
    state: ConfirmationState
    confirm_by: datetime
    newly_confirmed: bool = False
    """True for the one call that confirmed (a second confirmation changes nothing)."""


async def confirmation_view(
    sessions: async_sessionmaker[AsyncSession],
    dossier_id: UUID,
    *,
    confirmation_delay: timedelta = DEFAULT_CONFIRMATION_DELAY,
    now: datetime | None = None,
) -> ConfirmationView | None:
    """The application's confirmation state, changing nothing; None for an unknown (or purged)
    application."""
    async with transaction(sessions) as session:
        application = await ApplicationRepository(session).get(dossier_id)
    if application is None:
        return None
    return _view(application, confirmation_delay, now or datetime.now(UTC))


def _view(
    application: Application, delay: timedelta, now: datetime, *, newly: bool = False
) -> ConfirmationView:
    confirm_by = application.created_at + delay
    if application.email_confirmed_at is not None:
        state = ConfirmationState.CONFIRMED
    elif now >= confirm_by:
        state = ConfirmationState.EXPIRED
    else:
        state = ConfirmationState.PENDING
    return ConfirmationView(
        application.dossier_id, DossierKind(application.kind), state, confirm_by, newly
    )


async def confirm_application(
    sessions: async_sessionmaker[AsyncSession],
    dossier_id: UUID,
    *,
    confirmation_delay: timedelta = DEFAULT_CONFIRMATION_DELAY,
    now: datetime | None = None,
    on_committed: Callable[[], None] = lambda: None,
) -> ConfirmationView | None:
    """Confirm the e-mail address: record it and write the submission event's outbox row in
    one transaction, so the bridge starts the dossier's workflow (and the reconciler expects
    it). A second confirmation, or one after the delay, changes nothing: the view says which.
    None for an unknown (or purged) application."""
    now = now or datetime.now(UTC)
    async with transaction(sessions) as session:
        applications = ApplicationRepository(session)
        application = await applications.get(dossier_id)
        if application is None:
            return None
        confirmed = await applications.mark_email_confirmed(
            dossier_id, now, received_after=now - confirmation_delay
        )
        if confirmed:
            kind = DossierKind(application.kind)
            form = stored_form(kind, application.payload)
            # Submitted when received: the dossier's dates count from the application.
            event = submission_event(dossier_id, form, application.created_at)
            OutboxRepository(session).add(outbox_message(APPLICATIONS, event, now))
    if not confirmed:
        # Already confirmed or expired: read it again, the update may have lost a race.
        return await confirmation_view(
            sessions, dossier_id, confirmation_delay=confirmation_delay, now=now
        )
    on_committed()
    metrics.APPLICATIONS_CONFIRMED.labels(kind=application.kind).inc()
    logger.info("dossier %s: e-mail address confirmed", dossier_id)
    application.email_confirmed_at = now
    return _view(application, confirmation_delay, now, newly=True)


PURGE_BATCH_SIZE: Final = 500


async def purge_unconfirmed(
    sessions: async_sessionmaker[AsyncSession],
    *,
    confirmation_delay: timedelta = DEFAULT_CONFIRMATION_DELAY,
    now: datetime | None = None,
    batch_size: int = PURGE_BATCH_SIZE,
) -> int:
    """Delete the applications not confirmed in time, with everything intake kept of them
    (idempotency records, their rows on the applications topic); returns how many.

    Small batches, one transaction each, so that SQLite's lock is never held long; a general
    retention purge can call it as one of its steps."""
    cutoff = (now or datetime.now(UTC)) - confirmation_delay
    purged = 0
    while True:
        async with transaction(sessions) as session:
            applications = ApplicationRepository(session)
            expired = await applications.expired_unconfirmed(cutoff, batch_size)
            # A dossier confirmed meanwhile keeps everything: only what was deleted goes.
            deleted = await applications.delete_unconfirmed(expired)
            await OutboxRepository(session).delete_applications_of(deleted)
        purged += len(deleted)
        if len(expired) < batch_size:
            break
    if purged:
        metrics.APPLICATIONS_EXPIRED.inc(purged)
        logger.info("purged %d applications not confirmed in time", purged)
    return purged


async def dossier_status(
    sessions: async_sessionmaker[AsyncSession], dossier_id: UUID
) -> DossierStatusPublic | None:
    """A dossier's status and timeline as its applicant sees them; None for an unknown dossier
    (an application whose e-mail address is not confirmed has no dossier yet).

    Until the first dossier event arrives, the dossier is 'received' as of its submission; the
    timeline always starts with the submission."""
    bind_ids(dossier_id=dossier_id)
    async with transaction(sessions) as session:
        application = await ApplicationRepository(session).get(dossier_id)
        if application is None or application.email_confirmed_at is None:
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
    bind_ids(dossier_id=dossier_id)
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


class UnknownPromotion(LookupError):
    """No results for this promotion: not the current one, and no event counted for it."""


async def results_promotions(
    sessions: async_sessionmaker[AsyncSession], current_promotion: int
) -> list[int]:
    """The promotions the public results can show, newest first (the current one always)."""
    async with transaction(sessions) as session:
        known = await PublicResultsRepository(session).promotions()
    return sorted(known | {current_promotion}, reverse=True)


async def public_results(
    sessions: async_sessionmaker[AsyncSession],
    *,
    current_promotion: int,
    promotion: int | None = None,
) -> PublicResults:
    """Every promotion's results, or ``promotion``'s alone (UnknownPromotion if it has none)."""
    numbers = await results_promotions(sessions, current_promotion)
    if promotion is not None:
        if promotion not in numbers:
            raise UnknownPromotion(promotion)
        numbers = [promotion]
    async with transaction(sessions) as session:
        results = PublicResultsRepository(session)
        return PublicResults(promotions=[await _promotion_results(results, n) for n in numbers])


async def _promotion_results(results: PublicResultsRepository, number: int) -> PromotionResults:
    received: Counter[tuple[str, DossierKind]] = Counter(
        (in_paris(at).strftime("%Y-%m"), DossierKind(kind))
        for kind, at in await results.received(number)
    )
    return PromotionResults(
        promotion=number,
        applications_received=[
            MonthlyApplications(month=month, kind=kind, count=count)
            for (month, kind), count in sorted(received.items())
        ],
        projects_selected=[
            SelectedProject(
                title=row.project_title,
                administration=row.administration_name,
                signed_on=row.partnership_signed_on or in_paris(row.partnership_signed_at).date(),
            )
            for row in await results.signed_partnerships(number)
            if row.partnership_signed_at is not None
        ],
        eig_recruited=[
            Recruitment(role=Role(role) if role else None, band=band, count=count)
            for role, band, count in await results.recruitments(number)
        ],
        seats=Seats(
            used=await results.count_in_status(
                number, DossierKind.CANDIDATE.value, DossierStatus.SELECTED.value
            ),
            cap=await results.seat_cap(number),
        ),
        contracts_renewed=await results.renewals(number),
    )


async def purge_expired(
    sessions: async_sessionmaker[AsyncSession], policy: RetentionPolicy, now: datetime
) -> PurgeReport:
    """Apply the retention policy to intake's tables (docs/DATA-PROTECTION.md): idempotency
    records and sent outbox rows go, final dossiers lose their personal data. Idempotent."""
    report = PurgeReport()
    size = policy.batch_size
    idempotency_cutoff = policy.cutoff(now, policy.idempotency_days)
    report.add(
        "idempotency_records",
        DELETED,
        await in_batches(
            sessions,
            lambda session, limit: ApplicationRepository(session).delete_idempotency_records_before(
                idempotency_cutoff, limit
            ),
            size,
        ),
    )
    outbox_cutoff = policy.cutoff(now, policy.sent_outbox_days)
    async with transaction(sessions) as session:
        # The reconciler republishes a submission from its row until the workflow is seen.
        awaiting = await ApplicationRepository(session).unconfirmed_before(outbox_cutoff)
    keep_keys = [str(dossier_id) for dossier_id in awaiting]
    report.merge(
        await libs.outbox.repository.purge_sent(
            sessions, policy, now, origin=OutboxOrigin.INTAKE, keep_keys=keep_keys
        )
    )
    final_cutoff = policy.cutoff(now, policy.final_dossier_days)

    async def erase_final(session: AsyncSession, limit: int) -> int:
        dossier_ids = await ApplicationRepository(session).final_with_personal_data(
            final_cutoff, limit
        )
        report.merge(await erase_in(session, dossier_ids, now))
        return len(dossier_ids)

    await in_batches(sessions, erase_final, size)
    return report


async def erase_in(session: AsyncSession, dossier_ids: Sequence[UUID], at: datetime) -> PurgeReport:
    """Erase what intake holds about these applicants, in the caller's transaction: the
    application keeps only its non-personal facts, the timeline its statuses."""
    report = PurgeReport()
    ids = list(dossier_ids)
    if not ids:
        return report
    report.add(
        "applications",
        ANONYMISED,
        await ApplicationRepository(session).erase_personal_data(ids, at),
    )
    report.add(
        "dossier_timeline_entries", ANONYMISED, await StatusViewRepository(session).erase_notes(ids)
    )
    return report
