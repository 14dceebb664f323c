"""The EIG's offer page behind their private link (``?token=``, their dossier's token): the
contract offered, French first, then English, with the forms that accept or decline it.

The forms post to the answer routes (:mod:`services.contracts.api.answers`), which come back
here (post/redirect/get) with ``?answer=`` saying what was recorded.
"""

from dataclasses import dataclass
from typing import Annotated, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from libs.messages.common import Language
from libs.messages.contract_events import ContractStatus
from libs.private_pages import Notice, private_page
from libs.wording import CONTRACT_STATUS_LABELS, contract_status_label, date_and_time, label
from services.contracts import service_layer
from services.contracts.api.dependencies import (
    ContractsDep,
    applicant_view,
    document_path,
    not_found,
)
from services.contracts.documents import ContractDocument, contract_document
from services.contracts.pages import TEMPLATES
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


@dataclass(frozen=True)
class OfferPage:
    document: ContractDocument
    status_fr: str
    status_en: str
    expires_at_iso: str | None
    expires_at_fr: str | None
    expires_at_en: str | None
    html_url: str
    pdf_url: str
    accept_url: str | None
    """Where the answer forms post; None when the offer no longer awaits an answer."""
    decline_url: str | None


def render_offer_page(
    view: service_layer.ContractView,
    *,
    html_url: str,
    pdf_url: str,
    accept_url: str | None,
    decline_url: str | None,
    notice: Notice | None = None,
) -> str:
    """The offer; the answer forms only while it is ``offer_sent`` and the URLs are given."""
    awaiting = view.status == ContractStatus.OFFER_SENT
    expires = view.offer_expires_at if awaiting else None
    page = OfferPage(
        document=contract_document(view.terms, view.status),
        status_fr=contract_status_label(Language.FR, view.status),
        status_en=contract_status_label(Language.EN, view.status),
        expires_at_iso=expires.isoformat() if expires else None,
        expires_at_fr=date_and_time(Language.FR, expires) if expires else None,
        expires_at_en=date_and_time(Language.EN, expires) if expires else None,
        html_url=html_url,
        pdf_url=pdf_url,
        accept_url=accept_url if awaiting else None,
        decline_url=decline_url if awaiting else None,
    )
    return TEMPLATES.get_template("offer.html").render(page=page, notice=notice)


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

    page = render_offer_page(
        view,
        html_url=document_path(view.contract_id, "html") + query,
        pdf_url=document_path(view.contract_id, "pdf") + query,
        accept_url=answer_url(ContractAction.ACCEPT),
        decline_url=answer_url(ContractAction.DECLINE),
        notice=notice,
    )
    return private_page(page, status_code=status_code, headers=headers)


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
        return not_found(html=True)
    notice = ANSWER_NOTICES.get(ContractStatus(answer)) if answer in ANSWER_NOTICES else None
    # Once an answer is recorded, the forms would only offer it again while the view catches up.
    return offer_page_response(request, view, token, notice=notice, with_forms=notice is None)
