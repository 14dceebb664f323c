"""``/console/evaluations``: the dossiers waiting for the evaluator's scorecard, the scorecard
form (each criterion 0 to 3 with its label, a comment; editing one's own), and the conflict of
interest declaration."""

from uuid import UUID

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from libs.auth import StaffRole
from libs.web.pages import Pages, pages_router
from libs.wording import CRITERION_LABELS, SCORE_LABELS
from services.console import service_layer
from services.console.pages.dependencies import (
    ConsoleDep,
    SessionDep,
    answer_form_post,
    posted_form,
)
from services.console.sessions import ConsoleSession
from services.console.staff_api import ApiRefused
from services.selection.scorecards import CRITERIA

router = pages_router()

LIST_PATH = "/console/evaluations"


@router.get(LIST_PATH, name="evaluations")
async def evaluations(
    request: Request, pages: Pages, console: ConsoleDep, session: SessionDep
) -> Response:
    is_evaluator = session.has_any(StaffRole.EVALUATOR)
    waiting = (
        await service_layer.awaiting_my_evaluation(console.api, session.token)
        if is_evaluator
        else None
    )
    return pages.render(
        request,
        "evaluations.html",
        {"session": session, "waiting": waiting, "is_evaluator": is_evaluator},
    )


async def _render_scorecard(
    request: Request,
    pages: Pages,
    console: ConsoleDep,
    session: ConsoleSession,
    dossier_id: UUID,
    *,
    refusal: ApiRefused | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    view = await service_layer.scorecard_page(console.api, session, dossier_id)
    own = view.own
    if values is None and own is not None:
        values = {f"score-{name}": str(score) for name, score in own.scores.items()}
        values["comment"] = own.comment
    errors = {problem.field: problem.message for problem in (refusal.errors if refusal else [])}
    return pages.render(
        request,
        "scorecard.html",
        {
            "session": session,
            "view": view,
            "criteria": CRITERIA[view.dossier.kind],
            "criterion_labels": CRITERION_LABELS,
            "score_labels": SCORE_LABELS,
            "values": values or {},
            "errors": errors,
            "refusal": refusal,
            "done": done,
        },
        status_code=status_code,
    )


@router.get(LIST_PATH + "/{dossier_id}", name="scorecard")
async def scorecard(
    request: Request, dossier_id: UUID, pages: Pages, console: ConsoleDep, session: SessionDep
) -> Response:
    done = request.query_params.get("fait")
    return await _render_scorecard(request, pages, console, session, dossier_id, done=done)


@router.post(LIST_PATH + "/{dossier_id}", name="save_scorecard")
async def save_scorecard(
    request: Request, dossier_id: UUID, pages: Pages, console: ConsoleDep, session: SessionDep
) -> Response:
    form = await posted_form(request)

    async def again(refusal: ApiRefused) -> Response:
        return await _render_scorecard(
            request,
            pages,
            console,
            session,
            dossier_id,
            refusal=refusal,
            values=form,
            status_code=refusal.status_code,
        )

    return await answer_form_post(
        service_layer.save_scorecard(console.api, session, dossier_id, form),
        done=f"{LIST_PATH}/{dossier_id}?fait=evaluation",
        again=again,
    )


@router.post(LIST_PATH + "/{dossier_id}/conflit", name="declare_conflict")
async def declare_conflict(
    request: Request, dossier_id: UUID, console: ConsoleDep, session: SessionDep
) -> Response:
    form = await request.form()
    reason = str(form.get("reason", "")).strip()[:2000]
    await console.api.declare_conflict(session.token, dossier_id, reason)
    return RedirectResponse(f"{LIST_PATH}/{dossier_id}?fait=conflit", status_code=303)
