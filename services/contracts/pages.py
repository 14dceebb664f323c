"""The EIG's pages behind their private link: the offer (French first, then English)."""

from dataclasses import dataclass

from libs.messages.common import Language
from libs.messages.contract_events import ContractStatus
from libs.private_pages import PRIVATE_PAGE_HEADERS as PRIVATE_PAGE_HEADERS
from libs.private_pages import Notice as Notice
from libs.wording import date_and_time
from services.contracts import wording
from services.contracts.documents import TEMPLATES, ContractDocument, contract_document
from services.contracts.service_layer import ContractView

ANSWER_NOTICES = {
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
ANSWER_UNAVAILABLE_NOTICE = Notice(
    "Votre réponse n'a pas pu être enregistrée pour le moment. Réessayez dans quelques instants.",
    "Your answer could not be recorded right now. Please try again in a few moments.",
    is_error=True,
)


def answer_refused_notice(status: str) -> Notice:
    return Notice(
        "Cette offre n'attend plus de réponse : son statut est « "
        f"{wording.status_label(Language.FR, status)} ».",
        "This offer no longer awaits an answer: its status is “"
        f"{wording.status_label(Language.EN, status)}”.",
        is_error=True,
    )


def answer_failed_notice(reason: str) -> Notice:
    return Notice(
        f"Votre réponse a été refusée : {reason}", f"Your answer was refused: {reason}", True
    )


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
    notice: Notice | None


def render_offer_page(
    view: ContractView,
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
        status_fr=wording.status_label(Language.FR, view.status),
        status_en=wording.status_label(Language.EN, view.status),
        expires_at_iso=expires.isoformat() if expires else None,
        expires_at_fr=date_and_time(Language.FR, expires) if expires else None,
        expires_at_en=date_and_time(Language.EN, expires) if expires else None,
        html_url=html_url,
        pdf_url=pdf_url,
        accept_url=accept_url if awaiting else None,
        decline_url=decline_url if awaiting else None,
        notice=notice,
    )
    return TEMPLATES.get_template("offer.html").render(page=page)


def render_not_found_page() -> str:
    return TEMPLATES.get_template("not_found.html").render()
