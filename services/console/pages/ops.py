"""``/console/ops`` (admins): what is stuck, where and since when, and the dead-letter actions.

The page renders the staff API's operations report (the report ``make status`` prints) and
posts replays and discards to it with the admin's own token, so each is audited under their
name. Every form posts and redirects (a reload does not replay a message twice)."""

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from libs.operations.dead_letters import MessageRef
from libs.web.pages import Pages, pages_router
from services.console import service_layer
from services.console.pages.dependencies import ConsoleDep, SessionDep
from services.console.staff_api import ApiRefused

OPS_PATH = "/console/ops"

router = pages_router()


async def _render(
    request: Request,
    pages: Pages,
    console: ConsoleDep,
    session: SessionDep,
    *,
    done: str | None = None,
    refusal: ApiRefused | None = None,
    status_code: int = 200,
) -> Response:
    view = await service_layer.ops_view(console.api, session.token)
    return pages.render(
        request,
        "ops.html",
        {
            "session": session,
            "view": view,
            "report": view.report,
            "done": done if done in ("replay", "discard") else None,
            "refusal": refusal,
        },
        status_code=status_code,
    )


@router.get(OPS_PATH, name="ops")
async def ops_page(
    request: Request, pages: Pages, console: ConsoleDep, session: SessionDep
) -> Response:
    return await _render(request, pages, console, session, done=request.query_params.get("fait"))


@router.post(OPS_PATH + "/messages/{topic}/{partition}/{offset}/{decision}", name="dead_letter")
async def dead_letter_action(
    request: Request,
    topic: str,
    partition: int,
    offset: int,
    decision: str,
    pages: Pages,
    console: ConsoleDep,
    session: SessionDep,
) -> Response:
    form = {key: str(value) for key, value in (await request.form()).items()}
    try:
        await service_layer.handle_dead_letter(
            console.api, session.token, MessageRef(topic, partition, offset), decision, form
        )
    except service_layer.UnknownDecision:
        raise ApiRefused(404, f"Décision inconnue / Unknown decision: {decision}.") from None
    except ApiRefused as refusal:
        if refusal.status_code in (401, 403, 404):
            raise  # the error page with the API's words (a non-admin's forged post)
        return await _render(
            request, pages, console, session, refusal=refusal, status_code=refusal.status_code
        )
    return RedirectResponse(f"{OPS_PATH}?fait={decision}#dead-letters", status_code=303)
