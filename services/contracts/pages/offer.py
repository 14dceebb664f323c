"""The EIG's offer page behind their private link (``?token=``, their dossier's token), in
the DSFR layout: the contract's status as a badge, its terms (amounts, dates), the offer's
deadline, links to the full document (HTML, PDF), the contract's history, and the forms that
accept or decline it, each behind a confirmation step (a ``<details>``: it opens without
JavaScript) and carrying the page's CSRF token.

Only the offer link's token (:attr:`~libs.dossier_links.Purpose.ANSWER_OFFER`) gets the forms;
the dossier's read link shows the offer and says which link answers it. The forms post to the
answer routes (:mod:`services.contracts.api.answers`), which come back here
(post/redirect/get) with ``?answer=`` saying what was recorded.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from libs.dossier_links import Purpose
from libs.messages.contract_events import ContractStatus
from libs.private_pages import PRIVATE_PAGE_HEADERS, Notice
from libs.web.pages import get_pages
from libs.wording import CONTRACT_STATUS_LABELS, Label, label
from services.contracts import service_layer
from services.contracts.api.dependencies import (
    ContractsDep,
    applicant_view,
    document_path,
    not_found,
)
from services.contracts.documents import ContractDocument, contract_document
from workflows.contract.models import ContractAction

ANSWER_NOTICES: Final = {
    ContractStatus.ACCEPTED: Notice(
        "Votre acceptation est enregistrée. La DINUM va contre-signer le contrat ; un courriel "
        "vous le confirmera.",
        "Your acceptance is recorded. DINUM will now countersign the contract; an e-mail will "
        "confirm it.",
    ),
    ContractStatus.DECLINED: Notice(
        "Votre refus est enregistré. Un courriel vous le confirmera.",
        "You declined the offer. An e-mail will confirm it.",
    ),
}
ANSWER_UNAVAILABLE_NOTICE: Final = Notice(
    "Votre réponse n'a pas pu être enregistrée pour le moment. Réessayez dans quelques instants.",
    "Your answer could not be recorded right now. Please try again in a few moments.",
    is_error=True,
)


def answer_refused_notice(status: str) -> Notice:
    named = label(CONTRACT_STATUS_LABELS, status)
    return Notice(
        f"Cette offre n'attend plus de réponse : son statut est « {named.fr} ».",
        f"This offer no longer awaits an answer: its status is “{named.en}”.",
        is_error=True,
    )


def answer_failed_notice(reason: str) -> Notice:
    return Notice(
        f"Votre réponse a été refusée : {reason}", f"Your answer was refused: {reason}", True
    )


def invalid_answer_notice(detail: str) -> Notice:
    return Notice(f"Réponse invalide : {detail}", f"Invalid answer: {detail}", True)


BADGES: Final[dict[str, str]] = {
    ContractStatus.OFFER_SENT: "new",
    ContractStatus.ACCEPTED: "success",
    ContractStatus.SIGNED: "success",
    ContractStatus.ACTIVE: "success",
    ContractStatus.RENEWED: "success",
    ContractStatus.DECLINED: "",
    ContractStatus.ENDED: "",
    ContractStatus.OFFER_EXPIRED: "warning",
}
"""The DSFR badge kind of a status; "info" for the others."""


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    status: Label
    note: str


@dataclass(frozen=True)
class OfferPage:
    document: ContractDocument
    status: ContractStatus
    status_label: Label
    badge: str
    expires_at: datetime | None
    """While the offer awaits an answer: when it lapses."""
    html_url: str
    pdf_url: str
    accept_url: str | None
    """Where the answer forms post; None when this link or this status cannot answer."""
    decline_url: str | None
    read_only_link: bool
    """The offer awaits an answer but this link (the dossier's read link) cannot give it."""
    history: list[HistoryEntry]


def offer_page_model(
    view: service_layer.ContractView,
    *,
    html_url: str,
    pdf_url: str,
    accept_url: str | None,
    decline_url: str | None,
) -> OfferPage:
    """The offer; the answer forms only while it is ``offer_sent`` and the URLs are given."""
    awaiting = view.status == ContractStatus.OFFER_SENT
    return OfferPage(
        document=contract_document(view.terms, view.status),
        status=view.status,
        status_label=label(CONTRACT_STATUS_LABELS, view.status),
        badge=BADGES.get(view.status, "info"),
        expires_at=view.offer_expires_at if awaiting else None,
        html_url=html_url,
        pdf_url=pdf_url,
        accept_url=accept_url if awaiting else None,
        decline_url=decline_url if awaiting else None,
        read_only_link=awaiting and accept_url is None,
        # The EIG's own history: from the offer on (drafting is staff's business), and the
        # status changes only (reminders and renewal decisions are staff's records).
        history=[
            HistoryEntry(item.at, label(CONTRACT_STATUS_LABELS, item.status), item.note)
            for item in view.timeline
            if item.event == "status_changed" and item.status != ContractStatus.DRAFTED
        ],
    )


def offer_page_response(
    request: Request,
    view: service_layer.ContractView,
    token: str | None,
    *,
    notice: Notice | None,
    with_forms: bool = True,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The page as the answer to ``request``: its links carry the same ``token``."""
    query = f"?{urlencode({'token': token or ''})}"

    def answer_url(action: ContractAction) -> str | None:
        path = request.app.url_path_for(f"{action.value}_offer", contract_id=str(view.contract_id))
        return f"{path}{query}" if with_forms else None

    page = offer_page_model(
        view,
        html_url=document_path(view.contract_id, "html") + query,
        pdf_url=document_path(view.contract_id, "pdf") + query,
        accept_url=answer_url(ContractAction.ACCEPT),
        decline_url=answer_url(ContractAction.DECLINE),
    )
    return get_pages(request).render(
        request,
        "offer.html",
        {"page": page, "notice": notice},
        status_code=status_code,
        headers={**PRIVATE_PAGE_HEADERS, **(headers or {})},
    )


router = APIRouter(tags=["applicant"])


@router.get(
    "/contracts/{contract_id}",
    summary="The EIG's offer page (HTML, private link)",
    response_class=HTMLResponse,
    responses={404: {"content": {"text/html": {}}, "description": "Unknown contract or token"}},
)
async def offer_page(
    contract_id: str,
    request: Request,
    contracts: ContractsDep,
    token: Annotated[str | None, Query(description="Token from the EIG's private link")] = None,
    answer: Annotated[
        str | None, Query(max_length=32, description="Set by the redirect after an answer")
    ] = None,
) -> Response:
    view = await applicant_view(contracts, contract_id, token)
    if view is None:
        return not_found(request, html=True)
    notice = ANSWER_NOTICES.get(ContractStatus(answer)) if answer in ANSWER_NOTICES else None
    # Once an answer is recorded, the forms would only offer it again while the view catches up;
    # only the offer link's token may answer (the dossier's read link shows the offer alone).
    with_forms = notice is None and contracts.link_keys.is_valid(
        Purpose.ANSWER_OFFER, view.dossier_id, token
    )
    return offer_page_response(request, view, token, notice=notice, with_forms=with_forms)
