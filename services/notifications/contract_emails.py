"""Domain: which contract events are e-mailed, to whom, and their bilingual e-mails.

One event may send several e-mails (signed: the EIG's confirmation and the host's mission
letter). Each is its own notification, deduplicated on (event, template), so that a crash or an
SMTP failure between them neither repeats the first nor loses the second.

Adding an e-mail = adding its template folder ``templates/<name>/<audience>/`` (the same files
as the dossier e-mails) and naming it in :data:`STATUS_EMAILS` or :func:`templates_for`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final, assert_never

from libs.messages.common import Language
from libs.messages.contract_events import (
    ContractEvent,
    ContractOfferReminderDue,
    ContractRenewalDecided,
    ContractStatus,
    ContractStatusChanged,
    ContractTerms,
)
from libs.wording import (
    amount_in_euros,
    date_and_time,
    long_date,
    months,
    percent,
    role_label,
)
from services.notifications.addressing import Audience, ContractAddressing, host_contact_of
from services.notifications.rendering import (
    TEMPLATE_DIRECTORY,
    BilingualTemplates,
    OutgoingEmail,
    notification_id,
    one_line,
)


@dataclass(frozen=True)
class ContractEmailTemplate:
    """One contract e-mail: its template folder, whose last part names the audience."""

    name: str

    @property
    def audience(self) -> Audience:
        return Audience(self.name.rsplit("/", 1)[1])


OFFER: Final = ContractEmailTemplate("contract_offer/candidate")
OFFER_REMINDER: Final = ContractEmailTemplate("contract_offer_reminder/candidate")
OFFER_EXPIRED: Final = ContractEmailTemplate("contract_offer_expired/candidate")
DECLINED: Final = ContractEmailTemplate("contract_declined/candidate")
SIGNED: Final = ContractEmailTemplate("contract_signed/candidate")
MISSION_LETTER: Final = ContractEmailTemplate("mission_letter/host")
RENEWAL_DUE: Final = ContractEmailTemplate("contract_renewal_due/staff")
RENEWED: Final = ContractEmailTemplate("contract_renewed/candidate")
NOT_RENEWED: Final = ContractEmailTemplate("contract_not_renewed/candidate")
ENDED: Final = ContractEmailTemplate("contract_ended/candidate")

CONTRACT_TEMPLATES: Final = (
    OFFER,
    OFFER_REMINDER,
    OFFER_EXPIRED,
    DECLINED,
    SIGNED,
    MISSION_LETTER,
    RENEWAL_DUE,
    RENEWED,
    NOT_RENEWED,
    ENDED,
)
"""Every contract e-mail."""

STATUS_EMAILS: Mapping[ContractStatus, tuple[ContractEmailTemplate, ...]] = {
    ContractStatus.OFFER_SENT: (OFFER,),
    ContractStatus.OFFER_EXPIRED: (OFFER_EXPIRED,),
    ContractStatus.DECLINED: (DECLINED,),
    # The EIG's confirmation first: it is the one the EIG waits for.
    ContractStatus.SIGNED: (SIGNED, MISSION_LETTER),
    ContractStatus.RENEWAL_DUE: (RENEWAL_DUE,),
    ContractStatus.ENDED: (ENDED,),
}
"""The e-mails of each status change. The others send nothing: drafted (the candidate has
nothing to read yet), accepted (the accept page answers at once, and the signed e-mail follows
the countersignature), active (the start date was in the signed e-mail), renewed (the renewal
decision's e-mail already gave the new term)."""


def templates_for(event: ContractEvent) -> tuple[ContractEmailTemplate, ...]:
    """The e-mails the event sends, in sending order (none for a silent status)."""
    match event:
        case ContractStatusChanged():
            return STATUS_EMAILS.get(event.status, ())
        case ContractOfferReminderDue():
            return (OFFER_REMINDER,)
        case ContractRenewalDecided():
            return (RENEWED if event.renew else NOT_RENEWED,)
        case _:
            assert_never(event)


@dataclass(frozen=True)
class TermsInWords:
    """A contract version as the e-mails write it, in one language."""

    contract_number: str
    version: int
    eig_name: str
    role: str
    project_title: str
    host_administration: str
    term: str
    start_date: str
    end_date: str
    monthly_net: str
    annual_fixed_net: str
    variable_percent: str
    max_annual_variable: str


def terms_in_words(language: Language, terms: ContractTerms) -> TermsInWords:
    return TermsInWords(
        contract_number=one_line(terms.contract_number),
        version=terms.version,
        eig_name=one_line(terms.eig_name),
        role=role_label(language, terms.role, in_sentence=True) if terms.role else "",
        project_title=one_line(terms.project_title),
        host_administration=one_line(terms.host_administration),
        term=months(language, terms.term_months),
        start_date=long_date(language, terms.start_on),
        end_date=long_date(language, terms.end_on),
        monthly_net=amount_in_euros(language, terms.monthly_net_eur),
        annual_fixed_net=amount_in_euros(language, terms.annual_fixed_net_eur),
        variable_percent=percent(language, terms.variable_percent),
        max_annual_variable=amount_in_euros(language, terms.max_annual_variable_eur),
    )


class ContractEmailRenderer:
    """Renders one contract e-mail of an event for its audience, in both languages."""

    def __init__(self, directory: Path = TEMPLATE_DIRECTORY) -> None:
        self._bilingual = BilingualTemplates(directory)

    def render(
        self,
        event: ContractEvent,
        template: ContractEmailTemplate,
        addressing: ContractAddressing,
    ) -> OutgoingEmail:
        to = addressing.recipient_of(event, template.audience)
        body = self._bilingual.render(
            template.name,
            to.language,
            lambda language: contract_context(event, language, one_line(to.name), addressing),
        )
        return OutgoingEmail(
            event_id=event.event_id,
            notification_id=notification_id(event.event_id, template.name),
            dossier_id=event.dossier_id,
            template=template.name,
            to=to,
            subject=body.subject,
            text=body.text,
            html=body.html,
        )


def contract_context(
    event: ContractEvent, language: Language, name: str, addressing: ContractAddressing
) -> dict[str, object]:
    """What the contract templates may use, in words of ``language`` (empty when unknown)."""
    next_terms = event.next_terms if isinstance(event, ContractRenewalDecided) else None
    offer_expires_at = (
        event.offer_expires_at
        if isinstance(event, ContractStatusChanged | ContractOfferReminderDue)
        else None
    )
    note = event.note if isinstance(event, ContractStatusChanged | ContractRenewalDecided) else ""
    return {
        "name": name,
        "terms": terms_in_words(language, event.terms),
        "next_terms": terms_in_words(language, next_terms) if next_terms else None,
        "offer_expires": _moment(language, offer_expires_at),
        "note": note.strip(),
        "renewal_declined": isinstance(event, ContractStatusChanged) and event.renewal_declined,
        # The host's contact is missing: the programme team got the mission letter instead.
        "forward_to_host": host_contact_of(event) is None,
        "contract_id": str(event.contract_id),
        "offer_url": addressing.offer_url_for(event.contract_id, event.dossier_id),
        "document_url": addressing.document_url_for(event.contract_id, event.dossier_id),
        "status_url": addressing.status_url_for(event.dossier_id),
        "staff_url": addressing.staff_contract_url_for(event.contract_id),
        # The status-link partial words its advice by dossier kind: an EIG is a candidate.
        "kind": "candidate",
    }


def _moment(language: Language, moment: datetime | None) -> str:
    return date_and_time(language, moment) if moment else ""
