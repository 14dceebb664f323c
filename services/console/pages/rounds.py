"""``/console/rounds`` (rounds with their state, cut-off and deliberation date; admins create
rounds) and ``/console/rounds/{id}`` (the round's dossiers with their evaluation summaries and,
for the jury, a decision form per dossier: closed until the cut-off, as the API rules)."""

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from libs.auth import StaffRole
from libs.messages.common import DossierKind
from libs.web.pages import Pages, pages_router
from services.console import service_layer
from services.console.action_forms import OPTION_LABELS
from services.console.pages.dependencies import (
    ConsoleDep,
    SessionDep,
    answer_form_post,
    posted_form,
)
from services.console.sessions import ConsoleSession
from services.console.staff_api import ApiRefused
from workflows.dossier.models import JuryDecision

router = pages_router()

LIST_PATH = "/console/rounds"


async def _render_list(
    request: Request,
    pages: Pages,
    console: ConsoleDep,
    session: ConsoleSession,
    *,
    refusal: ApiRefused | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    rounds = await console.api.list_rounds(session.token)
    errors = {problem.field: problem.message for problem in (refusal.errors if refusal else [])}
    return pages.render(
        request,
        "rounds.html",
        {
            "session": session,
            "rounds": sorted(rounds, key=lambda item: item.cutoff_at),
            "kinds": list(DossierKind),
            "values": values or {},
            "errors": errors,
            "refusal": refusal,
            "created": request.query_params.get("creee"),
        },
        status_code=status_code,
    )


@router.get(LIST_PATH, name="rounds")
async def rounds(
    request: Request, pages: Pages, console: ConsoleDep, session: SessionDep
) -> Response:
    return await _render_list(request, pages, console, session)


@router.post(LIST_PATH, name="create_round")
async def create_round(
    request: Request, pages: Pages, console: ConsoleDep, session: SessionDep
) -> Response:
    form = await posted_form(request)
    try:
        created = await service_layer.create_round(console.api, session.token, form)
    except ApiRefused as refusal:
        if refusal.status_code in (401, 403):
            raise  # a forged post by another role: the API's 403 page
        return await _render_list(
            request, pages, console, session, refusal=refusal, values=form, status_code=422
        )
    # The round's id comes from the answer: not a fixed ``done`` (answer_form_post).
    return RedirectResponse(f"{LIST_PATH}?creee={created.round_id}", status_code=303)


async def _render_round(
    request: Request,
    pages: Pages,
    console: ConsoleDep,
    session: ConsoleSession,
    round_id: str,
    *,
    refusal: ApiRefused | None = None,
    failed_dossier: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    view = await service_layer.round_page(console.api, session.token, round_id)
    errors = {problem.field: problem.message for problem in (refusal.errors if refusal else [])}
    return pages.render(
        request,
        "round.html",
        {
            "session": session,
            "view": view,
            "is_jury": session.has_any(StaffRole.JURY),
            "decisions": [
                (decision.value, OPTION_LABELS[decision.value]) for decision in JuryDecision
            ],
            "refusal": refusal,
            "failed_dossier": failed_dossier,
            "values": values or {},
            "errors": errors,
            "done": request.query_params.get("fait"),
        },
        status_code=status_code,
    )


@router.get(LIST_PATH + "/{round_id}", name="round")
async def round_page(
    request: Request, round_id: str, pages: Pages, console: ConsoleDep, session: SessionDep
) -> Response:
    return await _render_round(request, pages, console, session, round_id)


@router.post(LIST_PATH + "/{round_id}/decisions", name="round_decision")
async def round_decision(
    request: Request, round_id: str, pages: Pages, console: ConsoleDep, session: SessionDep
) -> Response:
    form = await posted_form(request)

    async def again(refusal: ApiRefused) -> Response:
        return await _render_round(
            request,
            pages,
            console,
            session,
            round_id,
            refusal=refusal,
            failed_dossier=form.get("dossier_id"),
            values=form,
            status_code=refusal.status_code,
        )

    return await answer_form_post(
        service_layer.record_round_decision(console.api, session.token, round_id, form),
        done=f"{LIST_PATH}/{round_id}?fait={form.get('dossier_id', '')}",
        again=again,
    )
