"""An applicant's personal data on request (``/api/v1/dossiers/{id}/personal-data``, admins
only, RGPD): the export of everything the platform holds, and the erasure, audited.

Handlers only translate: ``services/selection/personal_data.py`` reads and erases.
"""

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter

from libs.api_errors import ERROR_RESPONSES, ApiError, ErrorResponse, FieldError
from libs.auth import AUTH_RESPONSES, AdminDep
from libs.observability import bind_ids
from services.action_refusals import RETRY_AFTER_SECONDS, UNAVAILABLE
from services.selection import personal_data
from services.selection.api.dependencies import SelectionDep
from services.selection.api.operations import actor
from services.selection.schemas import ErasureBody, ErasurePublic, PersonalDataExport
from workflows.client_errors import WorkflowsUnavailable

NOT_FOUND = "Dossier introuvable / Dossier not found."
STILL_RUNNING = (
    "Dossier en cours : ses données ne peuvent être effacées qu'une fois le dossier retiré ou "
    "clos / The dossier is still running: its data can only be erased once it is withdrawn or "
    "final (status {status})."
)

router = APIRouter(
    prefix="/api/v1/dossiers",
    tags=["personal data"],
    responses={
        **ERROR_RESPONSES,
        **AUTH_RESPONSES,
        404: {"model": ErrorResponse, "description": "Unknown dossier (field: dossier_id)"},
    },
)


def _not_found() -> ApiError:
    return ApiError(
        404,
        NOT_FOUND,
        [FieldError(field="dossier_id", message="no such dossier", type="not_found")],
    )


@router.get(
    "/{dossier_id}/personal-data",
    response_model=PersonalDataExport,
    summary="Everything the platform holds about the dossier's applicant (RGPD export)",
)
async def export_personal_data(
    dossier_id: UUID, selection: SelectionDep, _user: AdminDep
) -> PersonalDataExport:
    """Every row of every service's tables about this dossier, as stored."""
    bind_ids(dossier_id=dossier_id)
    try:
        erased_at, tables = await personal_data.export(selection.sessions, dossier_id)
    except personal_data.DossierUnknown:
        raise _not_found() from None
    return PersonalDataExport(
        dossier_id=dossier_id, personal_data_erased_at=erased_at, tables=tables
    )


@router.post(
    "/{dossier_id}/personal-data/erase",
    response_model=ErasurePublic,
    summary="Erase the applicant's personal data (RGPD), audited; idempotent",
    responses={
        409: {
            "model": ErrorResponse,
            "description": "The dossier is still running (field: dossier_id)",
        },
        503: {"model": ErrorResponse, "description": "Temporal unreachable: retry later"},
    },
)
async def erase_personal_data(
    dossier_id: UUID, body: ErasureBody, selection: SelectionDep, user: AdminDep
) -> ErasurePublic:
    """Names, e-mails and free texts become `[effacé · erased]` in every service's tables;
    statuses, dates and the public results stay. Only a withdrawn or final dossier; a second
    call answers the first one's record and changes nothing."""
    bind_ids(dossier_id=dossier_id)
    try:
        erasure = await personal_data.erase(
            selection.sessions,
            selection.dossier_workflows,
            dossier_id,
            erased_by=actor(user),
            reason=body.reason,
            at=datetime.now(UTC),
        )
    except personal_data.DossierUnknown:
        raise _not_found() from None
    except personal_data.WorkflowStillRunning as running:
        raise ApiError(
            409,
            STILL_RUNNING.format(status=running.status),
            [FieldError(field="dossier_id", message="the dossier is not final", type="conflict")],
        ) from None
    except WorkflowsUnavailable:
        raise ApiError(
            503, UNAVAILABLE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
        ) from None
    record = erasure.record
    return ErasurePublic(
        dossier_id=record.dossier_id,
        erased_by=record.erased_by,
        reason=record.reason,
        erased_at=record.erased_at,
        erased=erasure.report.as_dict(),
    )
