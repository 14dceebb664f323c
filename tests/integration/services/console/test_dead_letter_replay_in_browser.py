"""Issue 12's "replayed from the page after the fix", on real engines: the notifications
consumers, the Tansu broker, the embedded stack's SMTP server (refusing one address for good)
and the console's ops page in Chromium over the selection staff API (the live operations
desk). The refused acknowledgement is dead-lettered at once with its error; once the refusal
is lifted an admin replays it from the keyboard; exactly one e-mail arrives, and neither a
second replay nor the original's redelivery sends another."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from faststream.kafka import KafkaBroker
from playwright.async_api import Page
from sqlmodel import col, select

from deploy.local.engines import free_port
from deploy.local.smtp import refuse_mail_permanently, refuse_mail_until
from libs.auth import write_dev_tokens
from libs.config import Environment
from libs.database import create_engine, session_factory
from libs.kafka import publish_event
from libs.messages.common import Language
from libs.messages.topics import DOSSIER_EVENTS, NOTIFICATIONS_DLQ, Headers
from services.console.app import create_app as create_console
from services.console.bootstrap import bootstrap as bootstrap_console
from services.notifications.app import create_app as create_notifications
from services.notifications.models import NotificationFailure
from services.selection.app import create_app as create_selection
from services.selection.bootstrap import bootstrap as bootstrap_selection
from services.selection.settings import SelectionSettings
from tests.browser import PageWatch, assert_accessible, screenshot, served
from tests.conftest import SmtpServer
from tests.eventually import eventually
from tests.integration.services.console.test_ops_page_in_browser import sign_in_as_admin
from tests.integration.services.notifications.test_notifications import (
    _async,
    dead_letters_about,
    dossier_received,
    mails_about,
    running,
    settings_for,
)
from tests.kafka_offsets import group_caught_up
from tests.unit.services.console.conftest import console_settings

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@dataclass(frozen=True)
class Ops:
    console: str
    """The console's base URL."""
    selection: httpx.AsyncClient
    """The selection staff API (which holds the operations desk)."""
    admin_token: str


@pytest.fixture
async def ops(
    tmp_path: Path, kafka_bootstrap: str, sqlite_url: str, smtp_server: SmtpServer
) -> AsyncIterator[Ops]:
    """The staff API and the console over HTTP, on the notifications' database (one database,
    as in the embedded stack, so the report counts the e-mails)."""
    selection = bootstrap_selection(
        SelectionSettings(
            _env_file=None,
            ENVIRONMENT=Environment.TEST,
            DATA_DIR=tmp_path,
            DATABASE_URL=sqlite_url,
            KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
            SMTP_HOST=smtp_server.host,
            SMTP_PORT=smtp_server.port,
            # Nothing listens there: the workflows section says so at once (not this test's).
            TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",
            SERVICE_URLS={},
            SELECTION_CREATE_TABLES=True,
            SELECTION_READ_MODEL_ENABLED=False,
        )
    )
    admin_token = write_dev_tokens(selection.settings.dev_tokens_file)["admin"]
    async with served(create_selection(selection=selection)) as selection_url:
        console = bootstrap_console(console_settings(tmp_path, SELECTION_API_URL=selection_url))
        async with (
            served(create_console(console=console)) as console_url,
            httpx.AsyncClient(base_url=selection_url, timeout=30) as client,
        ):
            yield Ops(console_url, client, admin_token)


async def failed_attempts(database_url: str, template: str) -> int:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.exec(
                select(NotificationFailure).where(col(NotificationFailure.template) == template)
            )
            return len(rows.all())
    finally:
        await engine.dispose()


async def test_a_refused_acknowledgement_is_replayed_from_the_ops_page_after_the_fix(
    page: Page,
    ops: Ops,
    kafka_bootstrap: str,
    sqlite_url: str,
    smtp_server: SmtpServer,
    publisher: KafkaBroker,
    group_id: str,
) -> None:
    assert smtp_server.control_file is not None
    event = dossier_received(Language.FR)
    # Only this applicant's address is refused: other tests' events on the shared topic pass.
    refuse_mail_permanently(smtp_server.control_file, [event.contact.email])
    # A retry would wait a minute: the dead letter arrives first only if there was none.
    settings = settings_for(
        kafka_bootstrap,
        sqlite_url,
        smtp_server.port,
        group_id,
        SMTP_RETRY_INITIAL_DELAY=60,
        SMTP_RETRY_MAX_DELAY=60,
    )

    async with running(create_notifications(settings)):
        await publish_event(publisher, DOSSIER_EVENTS, event)
        [letter] = await eventually(lambda: dead_letters_about(kafka_bootstrap, event.dossier_id))
        headers = {name: value.decode() for name, value in letter.headers}
        assert headers[Headers.DLQ_ERROR].startswith("PermanentDeliveryError: SMTP")
        assert headers[Headers.DLQ_ERROR].endswith("SMTPRecipientsRefused 550")
        assert headers[Headers.DLQ_SOURCE_TOPIC] == DOSSIER_EVENTS
        assert await failed_attempts(sqlite_url, "received/candidate") == 1  # at once
        assert mails_about(smtp_server, event.dossier_id) == []

        # The admin sees the letter with its error.
        watch = PageWatch(page)
        await sign_in_as_admin(page, ops.console)
        key = f"{NOTIFICATIONS_DLQ.replace('.', '-')}-{letter.partition}-{letter.offset}"
        card = page.locator(f"#letter-{key}")
        assert "SMTPRecipientsRefused 550" in await card.inner_text()
        assert event.contact.email not in await page.content()
        await screenshot(page, "console-ops-refused-e-mail")
        await assert_accessible(page)

        refuse_mail_until(smtp_server.control_file, 0)  # the fix: the address is accepted

        # The replay, from the keyboard alone.
        await card.get_by_label("Raison (facultative)").focus()
        await page.keyboard.type("adresse de nouveau acceptée")
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{ops.console}/console/ops?fait=replay#dead-letters")
        await page.get_by_text("Le message a été republié sur son topic d’origine.").wait_for()
        assert await card.count() == 0
        history = await page.locator("#ops-history").inner_text()
        assert "Dominique Admin" in history
        assert "adresse de nouveau acceptée" in history
        assert "aucune copie en attente en rebut" in history  # the replay's outcome

        [mail] = await eventually(lambda: _async(mails_about(smtp_server, event.dossier_id)))
        assert mail["To"].addresses[0].addr_spec == event.contact.email
        assert mail["Subject"] == "EIG — Nous avons bien reçu votre candidature"

        # A second replay is refused (the letter is handled); the original's redelivery is
        # deduplicated by the consumer.
        again = await ops.selection.post(
            f"/api/v1/operations/dead-letters/{NOTIFICATIONS_DLQ}/{letter.partition}"
            f"/{letter.offset}/replay",
            json={"reason": "encore"},
            headers={"Authorization": f"Bearer {ops.admin_token}"},
        )
        assert again.status_code == 409, again.text
        await publish_event(publisher, DOSSIER_EVENTS, event)
        await eventually(lambda: group_caught_up(kafka_bootstrap, group_id, DOSSIER_EVENTS))

        assert len(mails_about(smtp_server, event.dossier_id)) == 1
        assert await dead_letters_about(kafka_bootstrap, event.dossier_id) == [letter]

        # The outcome on the page: the e-mail counts as sent, nothing is left undelivered.
        await page.reload()
        assert await page.locator("#ops-undelivered").inner_text() == "0"
        await screenshot(page, "console-ops-replayed-e-mail")  # axe: the ops page's own test
        assert watch.problems == []
