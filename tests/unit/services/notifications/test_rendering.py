from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from libs.messages.common import DossierKind, Language, Role
from libs.messages.dossier_events import DossierEvent, DossierStatus
from services.notifications.mailer import build_message
from services.notifications.rendering import (
    TEMPLATES,
    EmailRenderer,
    NoTemplateError,
    OutgoingEmail,
)
from tests.unit.services.notifications.conftest import ADDRESSING, STATUS_URL, DossierReceived

renderer = EmailRenderer()


def render(event: DossierEvent, with_renderer: EmailRenderer = renderer) -> OutgoingEmail:
    return with_renderer.render(event, ADDRESSING.recipient_of(event))


FRENCH_MARK = "Nous avons bien reçu"
ENGLISH_MARK = "We have received"


class TestAcknowledgementInFrench:
    @pytest.mark.parametrize(
        ("kind", "subject"),
        [
            (DossierKind.CANDIDATE, "EIG — Nous avons bien reçu votre candidature"),
            (DossierKind.PROJECT, "EIG — Nous avons bien reçu votre projet"),
        ],
    )
    def test_the_subject_is_french(
        self, dossier_received: DossierReceived, kind: DossierKind, subject: str
    ) -> None:
        email = render(dossier_received(kind=kind))

        assert email.subject == subject
        assert email.language == Language.FR

    @pytest.mark.parametrize("kind", list(DossierKind))
    def test_it_greets_by_name_and_ends_with_an_english_version(
        self, dossier_received: DossierReceived, kind: DossierKind
    ) -> None:
        email = render(dossier_received(kind=kind, name="Camille Martin"))

        for body in (email.text, email.html):
            assert "Bonjour Camille Martin," in body
            assert "Hello Camille Martin," in body
            assert body.index(FRENCH_MARK) < body.index(ENGLISH_MARK)
            assert "tous les deux mois" in body
            assert "every two months" in body
            assert "Programme Entrepreneurs d'intérêt général".lower() in body.lower()
            assert "DINUM" in body

    @pytest.mark.parametrize("kind", list(DossierKind))
    def test_the_personal_status_link_is_in_both_parts(
        self, dossier_received: DossierReceived, kind: DossierKind
    ) -> None:
        email = render(dossier_received(kind=kind))

        assert STATUS_URL in email.text
        assert f'href="{STATUS_URL}"' in email.html
        assert "Ce lien est personnel" in email.text
        assert "This link is personal" in email.text

    def test_a_candidate_is_told_the_role_in_words(self, dossier_received: DossierReceived) -> None:
        event = dossier_received(kind=DossierKind.CANDIDATE, title=Role.PRODUCT_DIRECTOR.value)

        email = render(event)

        assert "en tant que directeur ou directrice de produit" in email.text
        assert "as a product director" in email.text
        assert "product_director" not in email.text

    def test_a_project_is_named_by_its_title(self, dossier_received: DossierReceived) -> None:
        event = dossier_received(kind=DossierKind.PROJECT, title="Signalement des nids-de-poule")

        email = render(event)

        assert "« Signalement des nids-de-poule »" in email.text
        assert "Signalement des nids-de-poule" in email.html


class TestAcknowledgementInEnglish:
    @pytest.mark.parametrize(
        ("kind", "subject"),
        [
            (DossierKind.CANDIDATE, "EIG — We have received your application"),
            (DossierKind.PROJECT, "EIG — We have received your project"),
        ],
    )
    def test_the_subject_is_english(
        self, dossier_received: DossierReceived, kind: DossierKind, subject: str
    ) -> None:
        email = render(dossier_received(kind=kind, language=Language.EN))

        assert email.subject == subject
        assert email.language == Language.EN

    @pytest.mark.parametrize("kind", list(DossierKind))
    def test_it_comes_first_and_ends_with_a_french_version(
        self, dossier_received: DossierReceived, kind: DossierKind
    ) -> None:
        email = render(dossier_received(kind=kind, language=Language.EN))

        for body in (email.text, email.html):
            assert body.index(ENGLISH_MARK) < body.index(FRENCH_MARK)
            assert "Version française" in body
        assert STATUS_URL in email.text
        assert f'href="{STATUS_URL}"' in email.html
        assert '<html lang="en">' in email.html

    def test_a_candidate_is_told_the_role_in_words(self, dossier_received: DossierReceived) -> None:
        event = dossier_received(
            kind=DossierKind.CANDIDATE, language=Language.EN, title=Role.TECHNICAL_DIRECTOR.value
        )

        email = render(event)

        assert "as a technical director" in email.text
        assert "en tant que directeur ou directrice technique" in email.text


class TestWhatTheApplicantTyped:
    def test_markup_in_a_project_title_is_escaped_in_html(
        self, dossier_received: DossierReceived
    ) -> None:
        title = '<script>alert("x")</script> & co'
        event = dossier_received(kind=DossierKind.PROJECT, title=title)

        email = render(event)

        assert "<script>" not in email.html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in email.html
        assert title in email.text  # plain text: shown as typed

    def test_markup_in_a_name_is_escaped_in_html(self, dossier_received: DossierReceived) -> None:
        email = render(dossier_received(name="<b>Eve</b>"))

        assert "<b>Eve</b>" not in email.html
        assert "&lt;b&gt;Eve&lt;/b&gt;" in email.html

    def test_a_newline_in_a_name_does_not_break_the_greeting(
        self, dossier_received: DossierReceived
    ) -> None:
        email = render(dossier_received(name="Camille\nMartin"))

        assert "Bonjour Camille Martin," in email.text


class TestTemplateRegistry:
    def test_a_status_without_template_is_not_rendered(
        self, dossier_received: DossierReceived
    ) -> None:
        only_projects = EmailRenderer(
            templates={k: v for k, v in TEMPLATES.items() if k.kind == DossierKind.PROJECT}
        )
        event = dossier_received(kind=DossierKind.CANDIDATE)

        assert only_projects.template_for(event) is None
        with pytest.raises(NoTemplateError):
            render(event, only_projects)

    def test_received_is_e_mailed_for_both_kinds(self) -> None:
        assert {key.kind for key in TEMPLATES if key.status == DossierStatus.RECEIVED} == set(
            DossierKind
        )


def parse(message: EmailMessage) -> EmailMessage:
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


class TestMimeMessage:
    def test_headers_identify_an_automatic_e_mail_to_the_contact(
        self, dossier_received: DossierReceived
    ) -> None:
        event = dossier_received(language=Language.EN, name="Camille Martin")
        email = render(event)

        message = parse(build_message(email, "EIG <eig@beta.gouv.fr>"))

        assert message["From"] == "EIG <eig@beta.gouv.fr>"
        assert message["To"] == f"Camille Martin <{event.contact.email}>"
        assert message["Subject"] == "EIG — We have received your application"
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Content-Language"] == "en, fr"
        assert message["Date"]

    def test_the_message_id_derives_from_the_event_so_a_resend_is_recognisable(
        self, dossier_received: DossierReceived
    ) -> None:
        event = dossier_received()

        first = build_message(render(event), "eig@beta.gouv.fr")
        again = build_message(render(event), "eig@beta.gouv.fr")
        other = build_message(render(dossier_received()), "eig@beta.gouv.fr")

        assert first["Message-ID"] == f"<{event.event_id}@notifications.eig.beta.gouv.fr>"
        assert again["Message-ID"] == first["Message-ID"]
        assert other["Message-ID"] != first["Message-ID"]

    def test_it_has_a_text_part_and_an_html_alternative(
        self, dossier_received: DossierReceived
    ) -> None:
        message = parse(build_message(render(dossier_received()), "eig@x.fr"))

        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        assert message.get_content_type() == "multipart/alternative"
        assert text is not None and STATUS_URL in text.get_content()
        assert html is not None and f'href="{STATUS_URL}"' in html.get_content()
