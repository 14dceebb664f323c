"""Domain: the e-mail of an application intake received, before the dossier exists: it asks
the contact to confirm the e-mail address through the link it carries (docs/adr/0024).

The acknowledgement with the private status link follows once the address is confirmed: it is
the ``received`` e-mail of the dossier's first status change (:mod:`.rendering`).
"""

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final
from uuid import UUID

from libs.messages.applications import ApplicationReceived
from libs.messages.common import DossierKind, Language
from libs.wording import date_and_time, role_label
from services.notifications.rendering import (
    TEMPLATE_DIRECTORY,
    BilingualTemplates,
    EmailTemplate,
    OutgoingEmail,
    notification_id,
    one_line,
)

CONFIRM_EMAILS: Final[Mapping[DossierKind, EmailTemplate]] = {
    DossierKind.CANDIDATE: EmailTemplate("confirm_email/candidate"),
    DossierKind.PROJECT: EmailTemplate("confirm_email/project"),
}
"""The confirmation request of each kind of application."""

APPLICATION_TEMPLATES: Final = tuple(CONFIRM_EMAILS.values())

ConfirmUrlFor = Callable[[UUID], str]
"""The e-mail address confirmation page of one application, its token included."""


class ApplicationEmailRenderer:
    """Renders the confirmation request of a received application, in both languages."""

    def __init__(
        self, confirm_url_for: ConfirmUrlFor, directory: Path = TEMPLATE_DIRECTORY
    ) -> None:
        self._confirm_url_for = confirm_url_for
        self._bilingual = BilingualTemplates(directory)

    def render(self, event: ApplicationReceived) -> OutgoingEmail:
        template = CONFIRM_EMAILS[event.kind]
        body = self._bilingual.render(
            template.name,
            event.contact.language,
            lambda language: confirmation_context(
                event, language, self._confirm_url_for(event.dossier_id)
            ),
        )
        return OutgoingEmail(
            event_id=event.event_id,
            notification_id=notification_id(event.event_id),
            dossier_id=event.dossier_id,
            template=template.name,
            to=event.contact,
            subject=body.subject,
            text=body.text,
            html=body.html,
        )


def confirmation_context(
    event: ApplicationReceived, language: Language, confirm_url: str
) -> dict[str, str]:
    """What the confirmation templates may use, in words of ``language``."""
    title = (
        role_label(language, event.title, in_sentence=True)
        if event.kind == DossierKind.CANDIDATE
        else one_line(event.title)
    )
    return {
        "name": one_line(event.contact.name),
        "title": title,
        "confirm_url": confirm_url,
        "confirm_by": date_and_time(language, event.confirm_by),
    }
