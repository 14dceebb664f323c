"""``/console/``: counts per stage for projects and candidates, what is overdue."""

from fastapi import Request
from starlette.responses import Response

from libs.messages.common import DossierKind
from libs.web.pages import Pages, pages_router
from services.console import service_layer
from services.console.pages.dependencies import HOME_PATH, ConsoleDep, SessionDep

router = pages_router()


@router.get(HOME_PATH, name="dashboard")
async def dashboard(
    request: Request, pages: Pages, console: ConsoleDep, session: SessionDep
) -> Response:
    view = await service_layer.dashboard(console.api, session.token)
    return pages.render(
        request,
        "dashboard.html",
        {"session": session, "view": view, "kinds": (DossierKind.PROJECT, DossierKind.CANDIDATE)},
    )
