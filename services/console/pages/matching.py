"""``/console/matching``: the projects with a signed partnership and the profiles they want,
beside the candidate pool (filtered by role). Proposing a match and recording the joint
interview are the dossier actions ``propose_match`` and ``record_joint_interview``: their
forms post to ``/console/dossiers/{id}/actions/{action}`` and come back here."""

from fastapi import Request
from starlette.responses import Response

from libs.messages.common import Role
from libs.web.pages import Pages, pages_router
from services.console import service_layer
from services.console.action_forms import OPTION_LABELS
from services.console.pages.dependencies import ConsoleDep, SessionDep
from services.console.staff_api import ApiRefused
from workflows.dossier.models import JointInterviewOutcome

router = pages_router()

MATCHING_PATH = "/console/matching"


@router.get(MATCHING_PATH, name="matching")
async def matching(
    request: Request, pages: Pages, console: ConsoleDep, session: SessionDep
) -> Response:
    raw_role = request.query_params.get("role", "").strip()
    if raw_role and raw_role not in Role._value2member_map_:
        raise ApiRefused(422, f"Rôle inconnu / Unknown role: {raw_role[:50]}.")
    view = await service_layer.matching_page(console.api, session.token, raw_role or None)
    return pages.render(
        request,
        "matching.html",
        {
            "session": session,
            "view": view,
            "roles": list(Role),
            "role": raw_role,
            "back": MATCHING_PATH + (f"?role={raw_role}" if raw_role else ""),
            "outcomes": [(o.value, OPTION_LABELS[o.value]) for o in JointInterviewOutcome],
            "done": request.query_params.get("fait"),
        },
    )
