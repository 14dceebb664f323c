"""The e-mail address confirmation request of a received application (docs/adr/0024): its
link, its deadline, French first then English (or the reverse), sent once; the submissions on
the same topic send nothing."""

from datetime import UTC, datetime, timedelta
from functools import partial
from uuid import uuid4

from prometheus_client import REGISTRY

from libs import dossier_links
from libs.kafka import publish_event
from libs.messages.applications import ApplicationReceived, CandidateApplicationSubmitted
from libs.messages.common import Contact, DossierKind, Language
from libs.messages.topics import APPLICATIONS
from services.notifications.application_emails import CONFIRM_EMAILS, ApplicationEmailRenderer
from services.notifications.repository import SentNotifications
from services.notifications.service_layer import Delivery, handle_application_received
from tests.unit.services.intake.forms import candidate_form
from tests.unit.services.notifications.conftest import INTAKE_URL, LINK_KEYS
from tests.unit.services.notifications.fakes import FakeMailer
from tests.unit.services.notifications.test_consumer import running_consumer

CONFIRM_BY = datetime(2030, 3, 12, 13, 0, tzinfo=UTC)
"""12 March 2030 at 14:00 in Paris."""

RENDERER = ApplicationEmailRenderer(partial(dossier_links.confirm_url, INTAKE_URL, LINK_KEYS))


def received(
    kind: DossierKind = DossierKind.CANDIDATE,
    language: Language = Language.FR,
    confirm_by: datetime = CONFIRM_BY,
) -> ApplicationReceived:
    return ApplicationReceived(
        dossier_id=uuid4(),
        occurred_at=datetime.now(UTC),
        kind=kind,
        title="product_director" if kind == DossierKind.CANDIDATE else 'Projet "R&D" <douanes>',
        contact=Contact(name="Camille\nMartin", email="camille@example.fr", language=language),
        confirm_by=confirm_by,
    )


class TestRendering:
    def test_it_carries_the_confirmation_link_and_the_deadline_in_french_first(self) -> None:
        event = received()

        email = RENDERER.render(event)

        link = dossier_links.confirm_url(INTAKE_URL, LINK_KEYS, event.dossier_id)
        assert link.startswith(f"{INTAKE_URL}/confirmer/{event.dossier_id}?token=")
        assert LINK_KEYS.is_valid(
            dossier_links.Purpose.CONFIRM_EMAIL, event.dossier_id, link.split("token=")[1]
        )
        assert (email.template, email.to, email.event_id) == (
            "confirm_email/candidate",
            event.contact,
            event.event_id,
        )
        assert (
            email.subject
            == "EIG — Confirmez votre adresse e-mail pour enregistrer votre candidature"
        )
        assert email.text.count(link) == 2  # French, then English
        assert f'href="{link}"' in email.html
        assert "12 mars 2030 à 14 h 00 (heure de Paris)" in email.text
        assert "12 March 2030 at 14:00 (Paris time)" in email.text
        assert email.text.index("Bonjour Camille Martin") < email.text.index("Hello Camille Martin")
        assert "en tant que directeur ou directrice de produit" in email.text
        assert "as a product director" in email.text

    def test_an_english_project_is_in_english_first_its_title_escaped_in_html(self) -> None:
        email = RENDERER.render(received(DossierKind.PROJECT, Language.EN))

        assert email.template == "confirm_email/project"
        assert email.subject == "EIG — Confirm your e-mail address to register your project"
        assert email.text.index("Hello") < email.text.index("Bonjour")
        assert 'the project “Projet "R&D" <douanes>”' in email.text
        assert "Projet &#34;R&amp;D&#34; &lt;douanes&gt;" in email.html


class TestService:
    async def test_it_is_sent_once(self, sent_notifications: SentNotifications) -> None:
        mailer = FakeMailer()
        event = received()
        handle = partial(
            handle_application_received,
            sent_notifications=sent_notifications,
            mailer=mailer,
            renderer=RENDERER,
        )

        first = await handle(event)
        again = await handle(event)

        assert (first.delivery, again.delivery) == (Delivery.SENT, Delivery.DUPLICATE)
        assert len(mailer.sent) == 1
        assert await sent_notifications.contains(event.event_id)

    async def test_past_its_deadline_nothing_is_sent(
        self, sent_notifications: SentNotifications
    ) -> None:
        mailer = FakeMailer()
        late = received(confirm_by=datetime.now(UTC) - timedelta(seconds=1))

        outcome = await handle_application_received(
            late, sent_notifications=sent_notifications, mailer=mailer, renderer=RENDERER
        )

        assert outcome.delivery is Delivery.EXPIRED
        assert mailer.sent == []


class TestConsumer:
    async def test_a_received_application_is_e_mailed_and_a_submission_skipped(
        self, sqlite_url: str
    ) -> None:
        event = received()
        submitted = CandidateApplicationSubmitted(
            dossier_id=event.dossier_id, occurred_at=event.occurred_at, payload=candidate_form()
        )
        sent_before = REGISTRY.get_sample_value(
            "eig_notifications_sent_total", {"template": CONFIRM_EMAILS[DossierKind.CANDIDATE].name}
        )

        async with running_consumer(sqlite_url, FakeMailer()) as harness:
            await publish_event(harness.broker, APPLICATIONS, event)
            await publish_event(harness.broker, APPLICATIONS, submitted)
            await publish_event(harness.broker, APPLICATIONS, event)  # replayed

            [email] = harness.mailer.sent
            assert harness.dead_letters == []
        assert email.template == CONFIRM_EMAILS[DossierKind.CANDIDATE].name
        assert email.to.email == "camille@example.fr"
        sent_after = REGISTRY.get_sample_value(
            "eig_notifications_sent_total", {"template": CONFIRM_EMAILS[DossierKind.CANDIDATE].name}
        )
        assert (sent_after or 0) == (sent_before or 0) + 1
