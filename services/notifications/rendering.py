"""Domain: which dossier events are e-mailed, and the bilingual e-mails.

Adding an e-mail = adding its template folder ``templates/<outcome>/<kind or audience>/`` (for
each language: ``<lang>.subject.txt``, ``<lang>.txt``, ``<lang>.html``) and one
:data:`TEMPLATES` entry. Events without an entry are not e-mailed.
"""

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, assert_never
from uuid import UUID, uuid5

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from libs.messages.common import Contact, DossierKind, Language
from libs.messages.dossier_events import (
    Detail,
    DossierDeadlinePassed,
    DossierEvent,
    DossierStatus,
    DossierStatusChanged,
    Outcome,
)
from libs.wording import (
    date_and_time,
    dossier_status_label,
    kind_label,
    long_date,
    parse_day,
    role_label,
)
from services.notifications.addressing import Recipient

logger = logging.getLogger(__name__)

TEMPLATE_DIRECTORY = Path(__file__).parent / "templates"

MESSAGE_ID_DOMAIN = "notifications.eig.beta.gouv.fr"

DEFERRED: Final = Outcome.DEFERRED.value
BACK_TO_POOL: Final = Outcome.BACK_TO_POOL.value

_EXTRA_BLANK_LINES = re.compile(r"\n{3,}")
"""Left by optional paragraphs (a note, dates) that are absent."""

ROUND_DATES: Final[Mapping[str, tuple[str, ...]]] = {
    "cutoff_date": (Detail.CUTOFF_AT, "cutoff_date"),
    "defence_date": (Detail.DEFENCE_DATE,),
    "deliberation_date": (Detail.DELIBERATION_DATE,),
}
"""Dates of the dossier's selection round the templates show, and the ``details`` keys (ISO
date or date-time) they are read from, the first present winning."""


@dataclass(frozen=True)
class EmailTemplate:
    """The template set of one e-mailed outcome (a folder under ``templates/``)."""

    name: str


@dataclass(frozen=True)
class TemplateKey:
    """What an e-mail answers: an event type and, for status changes, the dossier's kind, its
    new status and the action's outcome. ``outcome=None`` stands for every outcome without an
    entry of its own, so a new outcome name still gets the status's e-mail."""

    event_type: type[DossierStatusChanged] | type[DossierDeadlinePassed]
    kind: DossierKind | None = None
    status: DossierStatus | None = None
    outcome: str | None = None


def status_changed(
    kind: DossierKind, status: DossierStatus, outcome: str | None = None
) -> TemplateKey:
    return TemplateKey(DossierStatusChanged, kind, status, outcome)


_CANDIDATE, _PROJECT = DossierKind.CANDIDATE, DossierKind.PROJECT

TEMPLATES: Mapping[TemplateKey, EmailTemplate] = {
    # Both kinds.
    status_changed(_CANDIDATE, DossierStatus.RECEIVED): EmailTemplate("received/candidate"),
    status_changed(_PROJECT, DossierStatus.RECEIVED): EmailTemplate("received/project"),
    status_changed(_CANDIDATE, DossierStatus.WITHDRAWN): EmailTemplate("withdrawn/candidate"),
    status_changed(_PROJECT, DossierStatus.WITHDRAWN): EmailTemplate("withdrawn/project"),
    # Project dossiers.
    status_changed(_PROJECT, DossierStatus.INVESTIGATION_REQUESTED): EmailTemplate(
        "investigation_requested/project"
    ),
    status_changed(_PROJECT, DossierStatus.INELIGIBLE): EmailTemplate("ineligible/project"),
    status_changed(_PROJECT, DossierStatus.SCHEDULED): EmailTemplate("scheduled/project"),
    status_changed(_PROJECT, DossierStatus.SCHEDULED, DEFERRED): EmailTemplate("deferred/project"),
    # Deferred while no next round is open yet: it waits in eligible, but was still deferred.
    status_changed(_PROJECT, DossierStatus.ELIGIBLE, DEFERRED): EmailTemplate("deferred/project"),
    status_changed(_PROJECT, DossierStatus.SELECTED): EmailTemplate("selected/project"),
    status_changed(_PROJECT, DossierStatus.NOT_SELECTED): EmailTemplate("not_selected/project"),
    # Candidate dossiers.
    status_changed(_CANDIDATE, DossierStatus.INTERVIEW): EmailTemplate("shortlisted/candidate"),
    status_changed(_CANDIDATE, DossierStatus.REJECTED): EmailTemplate("rejected/candidate"),
    status_changed(_CANDIDATE, DossierStatus.IN_POOL): EmailTemplate("in_pool/candidate"),
    status_changed(_CANDIDATE, DossierStatus.IN_POOL, BACK_TO_POOL): EmailTemplate(
        "back_to_pool/candidate"
    ),
    status_changed(_CANDIDATE, DossierStatus.MATCHED): EmailTemplate("matched/candidate"),
    status_changed(_CANDIDATE, DossierStatus.SELECTED): EmailTemplate("selected/candidate"),
    # Staff.
    TemplateKey(DossierDeadlinePassed): EmailTemplate("deadline_passed/staff"),
}
"""Every e-mailed event. Statuses absent here (in_evaluation, eligible unless deferred,
defended, partnership_signed, in_review) are steps the applicant sees on the status page only."""

SILENT: frozenset[TemplateKey] = frozenset(
    {
        status_changed(_CANDIDATE, DossierStatus.IN_POOL, Outcome.CONTRACT_DECLINED.value),
        status_changed(_CANDIDATE, DossierStatus.IN_POOL, Outcome.OFFER_EXPIRED.value),
    }
)
"""Outcomes that send nothing although their status has an e-mail. A candidate back in the
pool because the contract offer was declined or lapsed was already told so, with the personal
status link, by the contract e-mail of the same moment (contract_declined/candidate,
contract_offer_expired/candidate); the pool's welcome e-mail would contradict it."""


def keys_for(event: DossierEvent) -> tuple[TemplateKey, ...]:
    """The registry keys that may answer the event, the most specific first."""
    match event:
        case DossierStatusChanged():
            exact = status_changed(event.kind, event.status, event.outcome)
            return (exact, replace(exact, outcome=None))
        case DossierDeadlinePassed():
            return (TemplateKey(DossierDeadlinePassed),)
        case _:
            assert_never(event)


SECOND_LANGUAGE: Mapping[Language, Language] = {Language.FR: Language.EN, Language.EN: Language.FR}
"""Every e-mail is in the recipient's language first, followed by the other one."""


@dataclass(frozen=True)
class OutgoingEmail:
    """A rendered e-mail, ready for any mailer."""

    event_id: UUID
    notification_id: UUID
    """The e-mail's dedupe key (see :func:`notification_id`)."""
    dossier_id: UUID
    template: str
    to: Contact
    subject: str
    text: str
    html: str

    @property
    def language(self) -> Language:
        return self.to.language

    @property
    def message_id(self) -> str:
        # Derived from the event (and template), not random: if we crash after the SMTP server
        # accepted the e-mail but before recording it, the redelivered event sends the same
        # Message-ID, which lets mail systems (and people) recognise the duplicate.
        return f"<{self.notification_id}@{MESSAGE_ID_DOMAIN}>"


def notification_id(event_id: UUID, template: str | None = None) -> UUID:
    """The dedupe key of one e-mail, stored in ``sent_notifications.event_id``.

    A dossier event sends at most one e-mail: its key is the event id itself (as recorded since
    the table exists). A contract event may send several (signed: the EIG's confirmation and
    the host's mission letter), so each gets a name-based UUID of (event id, template): stable
    across redeliveries, distinct per e-mail, and never equal to a random (version 4) event id.
    """
    if template is None:
        return event_id
    return uuid5(event_id, template)


class NoTemplateError(LookupError):
    """The event is not one anybody is e-mailed about."""


@dataclass(frozen=True)
class _Section:
    subject: str
    text: str
    html: Markup


@dataclass(frozen=True)
class BilingualBody:
    """One e-mail's subject (the recipient's language) and bodies (both languages)."""

    subject: str
    text: str
    html: str


ContextIn = Callable[[Language], Mapping[str, object]]
"""A template's variables, already in words of the given language."""


class BilingualTemplates:
    """What every e-mail shares: the Jinja environment (HTML autoescaped, strict), the
    layout and partials. Renders one template folder in the recipient's language first, then
    in the other."""

    def __init__(self, directory: Path = TEMPLATE_DIRECTORY) -> None:
        self.directory = directory
        self._jinja = Environment(
            loader=FileSystemLoader(directory),
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, name: str, language: Language, context_in: ContextIn) -> BilingualBody:
        secondary_language = SECOND_LANGUAGE[language]
        primary = self._section(name, language, context_in(language))
        secondary = self._section(name, secondary_language, context_in(secondary_language))
        layout = {
            "primary": primary,
            "secondary": secondary,
            "primary_language": language.value,
            "secondary_language": secondary_language.value,
        }
        return BilingualBody(
            subject=primary.subject,
            text=self._jinja.get_template("layout.txt").render(layout),
            html=self._jinja.get_template("layout.html").render(layout),
        )

    def _section(self, name: str, language: Language, context: Mapping[str, object]) -> _Section:
        prefix = f"{name}/{language.value}"
        subject = self._jinja.get_template(f"{prefix}.subject.txt").render(context)
        return _Section(
            subject=one_line(subject),
            text=_EXTRA_BLANK_LINES.sub(
                "\n\n", self._jinja.get_template(f"{prefix}.txt").render(context)
            ).strip(),
            # Already autoescaped by the .html template, so the layout must not escape it again.
            html=Markup(self._jinja.get_template(f"{prefix}.html").render(context).strip()),  # noqa: S704
        )


class EmailRenderer:
    """Renders dossier events into bilingual e-mails (HTML autoescaped, text part always)."""

    def __init__(
        self,
        templates: Mapping[TemplateKey, EmailTemplate] = TEMPLATES,
        directory: Path = TEMPLATE_DIRECTORY,
        silent: frozenset[TemplateKey] = SILENT,
    ) -> None:
        self._templates = dict(templates)
        self._silent = silent
        self._bilingual = BilingualTemplates(directory)

    def template_for(self, event: DossierEvent) -> EmailTemplate | None:
        for key in keys_for(event):
            if key in self._silent:
                return None
            if (template := self._templates.get(key)) is not None:
                return template
        return None

    def render(self, event: DossierEvent, recipient: Recipient) -> OutgoingEmail:
        template = self.template_for(event)
        if template is None:
            raise NoTemplateError(f"no e-mail for status {event.status!r} of a {event.kind!r}")
        body = self._bilingual.render(
            template.name,
            recipient.contact.language,
            lambda language: template_context(event, language, recipient),
        )
        return OutgoingEmail(
            event_id=event.event_id,
            notification_id=notification_id(event.event_id),
            dossier_id=event.dossier_id,
            template=template.name,
            to=recipient.contact,
            subject=body.subject,
            text=body.text,
            html=body.html,
        )


def template_context(
    event: DossierEvent, language: Language, recipient: Recipient
) -> dict[str, str]:
    """What the templates may use, already in words of ``language`` (empty when unknown)."""
    title = _title_in(language, event.kind, event.title)
    match event:
        case DossierStatusChanged():
            details = event.details
            return {
                "name": one_line(recipient.contact.name),
                "title": title,
                "status_url": recipient.link,
                "withdraw_url": recipient.withdraw_link,
                "note": event.note.strip(),
                "kind": event.kind.value,
                "status": event.status.value,
                "previous_status": event.previous_status.value if event.previous_status else "",
                "outcome": event.outcome,
                "project_title": one_line(details.get(Detail.PROJECT_TITLE, "")),
            } | {name: _round_date(event, keys, language) for name, keys in ROUND_DATES.items()}
        case DossierDeadlinePassed():
            return {
                "dossier_id": str(event.dossier_id),
                "kind": event.kind.value,
                "kind_label": kind_label(language, event.kind, in_sentence=True),
                "title": title,
                "status": event.status.value,
                "status_label": dossier_status_label(language, event.status, in_sentence=True),
                "deadline": date_and_time(language, event.deadline_at),
                "staff_url": recipient.link,
            }
        case _:
            assert_never(event)


def one_line(value: str) -> str:
    """Whatever was typed, on one line: a newline would break a header or a greeting."""
    return " ".join(value.split())


def _title_in(language: Language, kind: DossierKind, title: str) -> str:
    """The dossier in words: the project title, or the candidate's role."""
    if kind == DossierKind.CANDIDATE:
        return role_label(language, title, in_sentence=True)
    return one_line(title)


def _round_date(event: DossierStatusChanged, keys: tuple[str, ...], language: Language) -> str:
    key = next((key for key in keys if event.details.get(key)), None)
    if key is None:
        return ""
    day = parse_day(event.details[key])
    if day is None:
        # Better an e-mail without that date than no e-mail; the workflow's bug shows in logs.
        logger.warning("event %s: details[%s] is not an ISO date, left out", event.event_id, key)
        return ""
    return long_date(language, day)
