"""The e-mail address confirmation page (``/confirmer/{reference}?token=…``, the link of the
first e-mail, docs/adr/0024): a GET only shows the page and its button (mail scanners open
links), the button's POST confirms through
:func:`~services.intake.service_layer.confirm_application`, which starts the dossier, then
answers 303 (post/redirect/get) back to the page, which says what happened. A wrong link gets
the 404 page, an expired (or purged) application the 410 page."""

from typing import Annotated, Final
from urllib.parse import urlencode
from uuid import UUID

from fastapi import Query, Request, Response
from fastapi.responses import RedirectResponse

from libs.api_errors import ApiError
from libs.dossier_links import CONFIRM_PATH, Purpose, status_url
from libs.private_pages import PRIVATE_PAGE_HEADERS
from libs.web.pages import Pages, pages_router
from services.intake.api.dependencies import IntakeDep
from services.intake.bootstrap import Intake
from services.intake.service_layer import (
    ConfirmationState,
    ConfirmationView,
    confirm_application,
    confirmation_view,
)

router = pages_router(forms_only=True)

JUST_CONFIRMED: Final = "confirmed"
"""The ``outcome`` the POST that confirmed redirects with: the page then says "confirmed"
rather than "this link was already used"."""

Token = Annotated[str | None, Query(description="Token from the confirmation e-mail")]
Outcome = Annotated[str | None, Query(description="Set by the confirmation's redirect")]


def _checked(intake: Intake, reference: str, token: str | None) -> UUID:
    """The dossier id, when the token is the one e-mailed for it; else 404 (as any wrong
    private link: nothing tells whether the application exists)."""
    try:
        dossier_id = UUID(reference)
    except ValueError:
        raise ApiError(404, "No such application.") from None
    if not intake.link_keys.is_valid(Purpose.CONFIRM_EMAIL, dossier_id, token):
        raise ApiError(404, "No such application.")
    return dossier_id


def _page_path(dossier_id: UUID, token: str | None, **query: str) -> str:
    return f"{CONFIRM_PATH}/{dossier_id}?{urlencode({'token': token or '', **query})}"


@router.get(CONFIRM_PATH + "/{reference}", name="confirm_email")
async def confirmation_page(
    request: Request,
    pages: Pages,
    intake: IntakeDep,
    reference: str,
    token: Token = None,
    outcome: Outcome = None,
) -> Response:
    dossier_id = _checked(intake, reference, token)
    view = await confirmation_view(
        intake.sessions, dossier_id, confirmation_delay=intake.settings.confirmation_delay
    )
    return _render(request, pages, intake, dossier_id, view, token, outcome == JUST_CONFIRMED)


@router.post(CONFIRM_PATH + "/{reference}", name="confirm_email_submit")
async def confirm(intake: IntakeDep, reference: str, token: Token = None) -> Response:
    dossier_id = _checked(intake, reference, token)
    view = await confirm_application(
        intake.sessions,
        dossier_id,
        confirmation_delay=intake.settings.confirmation_delay,
        on_committed=intake.outbox_signal.notify,
    )
    # Only the POST that confirmed says "confirmed"; a second one (a double click, another
    # tab) lands on "already confirmed", an expired one on the 410 page.
    query = {"outcome": JUST_CONFIRMED} if view is not None and view.newly_confirmed else {}
    return RedirectResponse(
        _page_path(dossier_id, token, **query), status_code=303, headers=PRIVATE_PAGE_HEADERS
    )


def _render(
    request: Request,
    pages: Pages,
    intake: Intake,
    dossier_id: UUID,
    view: ConfirmationView | None,
    token: str | None,
    just_confirmed: bool,
) -> Response:
    # A valid token for an application that is gone: it expired and was purged.
    state = view.state if view is not None else ConfirmationState.EXPIRED
    return pages.render(
        request,
        "confirm_email.html",
        {
            "state": state.value,
            "just_confirmed": just_confirmed,
            "kind": view.kind.value if view is not None else None,
            "confirm_by": view.confirm_by if view is not None else None,
            "reference": str(dossier_id),
            "action": _page_path(dossier_id, token),
            # Relative: the status page is on intake itself.
            "status_url": status_url("", intake.link_keys, dossier_id),
        },
        status_code=410 if state == ConfirmationState.EXPIRED else 200,
        headers=PRIVATE_PAGE_HEADERS,
    )
