"""Domain: which dossier outcomes the applicant is e-mailed about, and the bilingual e-mails.

Adding an outcome = adding its template files under ``templates/<status>/<kind>/`` (for each
language: ``<lang>.subject.txt``, ``<lang>.txt``, ``<lang>.html``) and one :data:`TEMPLATES` entry.
Statuses without an entry are not e-mailed.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from libs.messages.common import Contact, DossierKind, Language, Role
from libs.messages.dossier_events import DossierStatus, DossierStatusChanged

TEMPLATE_DIRECTORY = Path(__file__).parent / "templates"

MESSAGE_ID_DOMAIN = "notifications.eig.beta.gouv.fr"


@dataclass(frozen=True)
class EmailTemplate:
    """The template set of one applicant-visible outcome (a folder under ``templates/``)."""

    name: str


TEMPLATES: Mapping[tuple[DossierStatus, DossierKind], EmailTemplate] = {
    (DossierStatus.RECEIVED, DossierKind.CANDIDATE): EmailTemplate("received/candidate"),
    (DossierStatus.RECEIVED, DossierKind.PROJECT): EmailTemplate("received/project"),
}

SECOND_LANGUAGE: Mapping[Language, Language] = {Language.FR: Language.EN, Language.EN: Language.FR}
"""Every e-mail is in the applicant's language first, followed by the other one."""

ROLE_LABELS: Mapping[Language, Mapping[Role, str]] = {
    Language.FR: {
        Role.PRODUCT_DIRECTOR: "directeur·rice produit",
        Role.TECHNICAL_DIRECTOR: "directeur·rice technique",
    },
    Language.EN: {
        Role.PRODUCT_DIRECTOR: "product director",
        Role.TECHNICAL_DIRECTOR: "technical director",
    },
}


@dataclass(frozen=True)
class OutgoingEmail:
    """A rendered e-mail, ready for any mailer."""

    event_id: UUID
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
        # Derived from the event, not random: if we crash after the SMTP server accepted the
        # e-mail but before recording it, the redelivered event sends the same Message-ID,
        # which lets mail systems (and people) recognise the duplicate.
        return f"<{self.event_id}@{MESSAGE_ID_DOMAIN}>"


class NoTemplateError(LookupError):
    """The event's outcome is not one the applicant is e-mailed about."""


@dataclass(frozen=True)
class _Section:
    subject: str
    text: str
    html: Markup


class EmailRenderer:
    """Renders dossier events into bilingual e-mails (HTML autoescaped, text part always)."""

    def __init__(
        self,
        templates: Mapping[tuple[DossierStatus, DossierKind], EmailTemplate] = TEMPLATES,
        directory: Path = TEMPLATE_DIRECTORY,
    ) -> None:
        self._templates = dict(templates)
        self._jinja = Environment(
            loader=FileSystemLoader(directory),
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def template_for(self, event: DossierStatusChanged) -> EmailTemplate | None:
        return self._templates.get((event.status, event.kind))

    def render(self, event: DossierStatusChanged, status_url: str) -> OutgoingEmail:
        template = self.template_for(event)
        if template is None:
            raise NoTemplateError(f"no e-mail for status {event.status!r} of a {event.kind!r}")
        primary_language = event.contact.language
        secondary_language = SECOND_LANGUAGE[primary_language]
        primary = self._section(template, primary_language, event, status_url)
        secondary = self._section(template, secondary_language, event, status_url)
        layout = {
            "primary": primary,
            "secondary": secondary,
            "primary_language": primary_language.value,
            "secondary_language": secondary_language.value,
        }
        return OutgoingEmail(
            event_id=event.event_id,
            dossier_id=event.dossier_id,
            template=template.name,
            to=event.contact,
            subject=primary.subject,
            text=self._jinja.get_template("layout.txt").render(layout),
            html=self._jinja.get_template("layout.html").render(layout),
        )

    def _section(
        self,
        template: EmailTemplate,
        language: Language,
        event: DossierStatusChanged,
        status_url: str,
    ) -> _Section:
        context = {
            "name": one_line(event.contact.name),
            "title": _title_in(language, event),
            "status_url": status_url,
            "note": event.note,
            "kind": event.kind.value,
            "status": event.status.value,
        }
        prefix = f"{template.name}/{language.value}"
        subject = self._jinja.get_template(f"{prefix}.subject.txt").render(context)
        return _Section(
            subject=one_line(subject),
            text=self._jinja.get_template(f"{prefix}.txt").render(context).strip(),
            # Already autoescaped by the .html template, so the layout must not escape it again.
            html=Markup(self._jinja.get_template(f"{prefix}.html").render(context).strip()),  # noqa: S704
        )


def one_line(value: str) -> str:
    """Whatever was typed, on one line: a newline would break a header or a greeting."""
    return " ".join(value.split())


def _title_in(language: Language, event: DossierStatusChanged) -> str:
    """What was received, in words: the project title, or the candidate's role."""
    if event.kind != DossierKind.CANDIDATE:
        return one_line(event.title)
    try:
        return ROLE_LABELS[language][Role(event.title)]
    except ValueError:
        # A role added upstream before its label here: better its code than no e-mail.
        return event.title
