"""The whole system as separate processes (``python -m deploy.local``), used as an applicant would.

The forms filled in Chromium (or the API) → the confirmation request in the Maildir → its
link opened in Chromium, the button pressed → Kafka → bridge → dossier workflow → dossier
event → acknowledgement in the Maildir → its links: the status page, the withdrawal; then
replays and crashes that must lose nothing and repeat nothing.
"""

import asyncio
import email
import email.policy
import json
import os
import signal
import uuid
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from playwright.async_api import Page
from temporalio.client import Client

from libs.dossier_links import Purpose
from libs.messages.topics import APPLICATIONS, DOSSIER_EVENTS, PARTITIONS, ConsumerGroups, Headers
from tests.browser import PageWatch, assert_accessible, screenshot
from tests.browser_forms import fill_candidate, fill_project_but_profiles, tick
from tests.email_confirmation import confirm, confirm_link_in, confirmation_link
from tests.eventually import eventually
from tests.html_forms import BROWSER_ACCEPT, FORM_POST, hidden
from tests.kafka_offsets import group_caught_up
from tests.local_stack import RunningStack

pytestmark = pytest.mark.e2e

CANDIDATES = "/api/v1/applications/candidates"
PROJECTS = "/api/v1/applications/projects"
BROWSER = {"Accept": BROWSER_ACCEPT}


def candidate_form(email_address: str, language: str = "fr") -> dict[str, Any]:
    return {
        "first_name": "Camille",
        "last_name": "Lefèvre",
        "email": email_address,
        "role": "technical_director",
        "years_of_experience": 11,
        "entrepreneurial_experience": "Cofondatrice d'une jeune pousse de la mobilité partagée.",
        "motivation": "Servir une politique publique prioritaire.",
        "links": ["https://github.com/camille-lefevre"],
        "preferred_language": language,
        "consent": True,
    }


def project_form(email_address: str, language: str = "en") -> dict[str, Any]:
    return {
        "administration_name": "Direction générale des Finances publiques",
        "administration_kind": "central",
        "project_title": "Détecter la fraude à la TVA",
        "problem_statement": "Les contrôles ciblent mal les entreprises à risque.",
        "public_policy": "Lutte contre la fraude fiscale",
        "sponsor_name": "Claire Dupont",
        "sponsor_role": "Directrice générale adjointe",
        "beta_gouv_phase": "none",
        "profiles_wanted": ["product_director", "technical_director"],
        "twelve_month_goals": "Un outil utilisé par 50 équipes de contrôle.",
        "contact_name": "Paul Durand",
        "contact_email": email_address,
        "preferred_language": language,
        "consent": True,
    }


def unique_address(label: str) -> str:
    return f"{label}.{uuid.uuid4().hex[:8]}@example.fr"


def read_mails(maildir: Path) -> list[EmailMessage]:
    messages = []
    for path in sorted((maildir / "new").glob("*")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        messages.append(parsed)
    return messages


def mails_to(maildir: Path, address: str) -> list[EmailMessage]:
    return [
        message
        for message in read_mails(maildir)
        if message["To"].addresses[0].addr_spec == address
    ]


def acknowledgements_to(maildir: Path, address: str) -> list[EmailMessage]:
    """The e-mails to ``address`` but its confirmation request: what the dossier sends."""
    return [mail for mail in mails_to(maildir, address) if confirm_link_in(mail) is None]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def read_topic(bootstrap: str, topic: str) -> list[Any]:
    """Every record of ``topic`` from offset 0 to its current end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, number) for number in range(PARTITIONS[topic])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        records: list[Any] = []
        while [p for p in partitions if await consumer.position(p) < end[p]]:
            batch = await consumer.getmany(*partitions, timeout_ms=1000)
            for partition_records in batch.values():
                records.extend(partition_records)
        return records
    finally:
        await consumer.stop()


async def replay(bootstrap: str, topic: str) -> int:
    """Publish every record of the topic again, unchanged: what a redelivery storm looks like."""
    records = await read_topic(bootstrap, topic)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for record in records:
            await producer.send_and_wait(
                topic, record.value, key=record.key, headers=list(record.headers)
            )
    finally:
        await producer.stop()
    return len(records)


async def every_consumer_caught_up(bootstrap: str) -> None:
    """Wait until each consumer group has acknowledged everything on the topic it reads."""
    for group, topic in (
        (ConsumerGroups.WORKFLOWS_BRIDGE, APPLICATIONS),
        (ConsumerGroups.NOTIFICATIONS_APPLICATIONS, APPLICATIONS),
        (ConsumerGroups.NOTIFICATIONS, DOSSIER_EVENTS),
        (ConsumerGroups.INTAKE_STATUS_VIEW, DOSSIER_EVENTS),
    ):
        await eventually(partial(group_caught_up, bootstrap, group, topic), timeout=60)


async def workflow_ids(temporal: Client) -> list[str]:
    return [execution.id async for execution in temporal.list_workflows()]


async def candidates_received(page: Page, intake: str) -> int:
    """The public results page's count of candidate applications (current promotion)."""
    await page.goto(f"{intake}/resultats")
    shown = await page.locator("#figure-candidates-received").inner_text()
    return int("".join(filter(str.isdigit, shown)))


class TestApplicantJourney:
    async def test_an_administration_and_a_candidate_apply_confirm_follow_and_withdraw_in_a_browser(
        self, stack: RunningStack, http: httpx.AsyncClient, page: Page
    ) -> None:
        """The applicant's whole journey in Chromium, as a newcomer lives it: each form with
        one error shown and corrected, the e-mails of the Maildir and their links, the
        withdrawal behind its confirmation step; axe finds nothing on any page of it."""
        maildir = Path(stack.state["maildir"])
        intake = stack.urls["intake"]
        watch = PageWatch(page)
        candidates_before = await candidates_received(page, intake)

        # The administration forgets the profiles wanted, is told, ticks one and sends.
        contact = unique_address("julien")
        await opened(page, f"{intake}/deposer-un-projet")
        await fill_project_but_profiles(page, title="Signaux faibles", contact_email=contact)
        await page.get_by_role("button", name="Envoyer").click()
        summary = page.locator("#error-summary")
        await summary.wait_for()
        assert "Profils recherchés" in await summary.inner_text()
        await assert_accessible(page)
        await tick(page, "Directeur ou directrice de produit")
        await page.get_by_role("button", name="Envoyer").click()
        project_id = await page.locator("#reference").inner_text()
        await assert_accessible(page)
        assert f"/confirmer/{project_id}?token=" in await confirmation_link(maildir, contact)

        # The candidate mistypes the address, is told at the field, corrects it and sends.
        address = unique_address("camille")
        await opened(page, f"{intake}/candidater")
        await fill_candidate(page, email=address.split("@")[0] + "@")
        await page.get_by_role("button", name="Envoyer").click()
        await summary.wait_for()
        email_field = page.get_by_label("Adresse électronique")
        assert await email_field.get_attribute("aria-invalid") == "true"
        await screenshot(page, "e2e-candidate-form-errors")
        await assert_accessible(page)
        await email_field.fill(address)
        await page.get_by_role("button", name="Envoyer").click()
        dossier_id = await page.locator("#reference").inner_text()
        assert "/candidater/confirmation/" in page.url
        await assert_accessible(page)

        # The first e-mail asks to confirm the address; nothing starts before.
        link = await confirmation_link(maildir, address)
        [request] = mails_to(maildir, address)
        assert "Confirmez votre adresse e-mail" in request["Subject"]
        assert "Camille" in text_of(request)
        assert f"/confirmer/{dossier_id}?token=" in link
        assert acknowledgements_to(maildir, address) == []

        await shown_accessibly(page, link, "e2e-confirm-email")
        await page.get_by_role("button", name="Confirmer mon adresse e-mail").click()
        await page.get_by_text("Votre adresse e-mail est confirmée").wait_for()
        assert "outcome=confirmed" in page.url
        await assert_accessible(page)

        mails = await eventually(
            lambda: _async(acknowledgements_to(maildir, address)), timeout=60, interval=0.05
        )
        assert len(mails) == 1
        mail = mails[0]
        assert "reçu" in mail["Subject"]
        status_url = f"{intake}/api/v1/dossiers/{dossier_id}?token="
        status_url += stack.link_token(Purpose.READ, dossier_id)
        withdraw_link = f"{intake}/api/v1/dossiers/{dossier_id}?token="
        withdraw_link += stack.link_token(Purpose.WITHDRAW, dossier_id)
        assert status_url in text_of(mail) and withdraw_link in text_of(mail)

        # The public results count it (their read model follows the events).
        async def counted() -> int | None:
            shown = await candidates_received(page, intake)
            return shown if shown > candidates_before else None

        await eventually(counted, timeout=60, interval=0.5)
        await screenshot(page, "e2e-results")
        await assert_accessible(page)

        # The dossier goes on to review by itself; the received step stays in its timeline.
        status = await eventually(
            lambda: _status_reaching(http, status_url, "in_review"), timeout=60
        )
        assert status is not None
        assert [entry["status"] for entry in status["timeline"]] == ["received", "in_review"]
        wrong = await http.get(status_url[:-4] + "AAAA")
        assert wrong.status_code == 404

        # The status link: the page, read only.
        await shown_accessibly(page, status_url, "e2e-status-in-review")
        await page.get_by_role("heading", level=1, name="Suivi de votre dossier").wait_for()
        assert await page.locator("#reference").inner_text() == dossier_id
        assert await page.locator("#withdraw").count() == 0

        # The withdraw link: the same page with the withdrawal, behind its confirmation step.
        await opened(page, withdraw_link)
        confirm_withdrawal = page.get_by_role("button", name="Confirmer le retrait")
        assert not await confirm_withdrawal.is_visible()
        await page.get_by_text("Retirer mon dossier…").click()
        await screenshot(page, "e2e-status-withdrawal-step")
        await assert_accessible(page)
        await confirm_withdrawal.click()
        await page.get_by_text("Votre demande de retrait est enregistrée").wait_for()
        await assert_accessible(page)

        withdrawn = await eventually(
            lambda: _status_reaching(http, status_url, "withdrawn"), timeout=60
        )
        assert withdrawn is not None and withdrawn["timeline"][-1]["status"] == "withdrawn"
        await shown_accessibly(page, status_url, "e2e-status-withdrawn")
        assert "Dossier retiré" in (await page.locator("#status-badge").text_content() or "")
        assert watch.problems == []

    async def test_confirming_twice_starts_one_workflow_and_says_already_confirmed(
        self, stack: RunningStack, http: httpx.AsyncClient
    ) -> None:
        maildir = Path(stack.state["maildir"])
        address = unique_address("twice")
        response = await http.post(stack.urls["intake"] + CANDIDATES, json=candidate_form(address))
        link = await confirmation_link(maildir, address)

        # The page open in two tabs, both buttons pressed at once (or a double click).
        async with httpx.AsyncClient() as first, httpx.AsyncClient() as second:
            tabs = [
                (tab, hidden((await tab.get(link, headers=BROWSER)).text, "csrf_token"))
                for tab in (first, second)
            ]
            presses = await asyncio.gather(
                *(
                    tab.post(link, data={"csrf_token": token}, headers=FORM_POST)
                    for tab, token in tabs
                )
            )
            assert [press.status_code for press in presses] == [303, 303]
            assert any("outcome=confirmed" in press.headers["location"] for press in presses)
            page = await first.get(link, headers=BROWSER)
        assert "Ce lien a déjà été utilisé" in page.text
        await eventually(lambda: _async(acknowledgements_to(maildir, address)), timeout=30)
        temporal = await Client.connect(stack.urls["temporal"])
        dossier_id = response.json()["dossier_id"]
        ids = [
            workflow_id for workflow_id in await workflow_ids(temporal) if dossier_id in workflow_id
        ]
        assert len(ids) == 1
        await every_consumer_caught_up(stack.urls["kafka"])
        assert len(acknowledgements_to(maildir, address)) == 1
        # One submission was written, whatever the presses: what starts the dossier.
        records = await read_topic(stack.urls["kafka"], APPLICATIONS)
        types = [
            dict(record.headers)[Headers.EVENT_TYPE].decode()
            for record in records
            if record.key == dossier_id.encode()
        ]
        assert sorted(types) == ["ApplicationReceived", "CandidateApplicationSubmitted"]

    async def test_a_project_in_english_gets_its_e_mails_in_english_first(
        self, stack: RunningStack, http: httpx.AsyncClient
    ) -> None:
        maildir = Path(stack.state["maildir"])
        address = unique_address("paul")
        await stack.apply(http, "projects", project_form(address))

        [request] = mails_to(maildir, address)
        assert "confirm your e-mail address" in request["Subject"].lower()
        mails = await eventually(lambda: _async(acknowledgements_to(maildir, address)), timeout=30)
        body = text_of(mails[0])
        assert "received" in mails[0]["Subject"].lower()
        assert "Détecter la fraude à la TVA" in body
        assert body.index("We have received") < body.index("Nous avons bien reçu")

    async def test_replaying_every_topic_starts_no_workflow_and_sends_no_mail(
        self, stack: RunningStack, http: httpx.AsyncClient
    ) -> None:
        maildir = Path(stack.state["maildir"])
        bootstrap = stack.urls["kafka"]
        address = unique_address("replay")
        accepted = await stack.apply(http, "candidates", candidate_form(address))
        status_url = accepted["status_url"]
        await eventually(lambda: _async(acknowledgements_to(maildir, address)), timeout=30)
        await every_consumer_caught_up(bootstrap)
        temporal = await Client.connect(stack.urls["temporal"])
        workflows_before = sorted(await workflow_ids(temporal))
        mails_before = len(read_mails(maildir))
        timeline_before = (await http.get(status_url)).json()["timeline"]

        assert await replay(bootstrap, APPLICATIONS) >= 2  # received, then submitted
        assert await replay(bootstrap, DOSSIER_EVENTS) >= 1
        await every_consumer_caught_up(bootstrap)

        assert sorted(await workflow_ids(temporal)) == workflows_before
        assert len(read_mails(maildir)) == mails_before
        assert (await http.get(status_url)).json()["timeline"] == timeline_before


class TestCrashes:
    async def test_a_crashed_notifications_process_is_restarted_and_sends_exactly_once(
        self, stack: RunningStack, http: httpx.AsyncClient
    ) -> None:
        maildir = Path(stack.state["maildir"])
        old_pid = stack.current_state()["pids"]["notifications"]
        os.kill(old_pid, signal.SIGKILL)
        address = unique_address("crash")
        response = await http.post(stack.urls["intake"] + CANDIDATES, json=candidate_form(address))
        assert response.status_code == 202

        await eventually(
            lambda: _async(stack.current_state().get("pids", {}).get("notifications") != old_pid),
            timeout=60,
        )
        await confirm(await confirmation_link(maildir, address))
        mails = await eventually(lambda: _async(acknowledgements_to(maildir, address)), timeout=60)
        for group, topic in (
            (ConsumerGroups.NOTIFICATIONS, DOSSIER_EVENTS),
            (ConsumerGroups.NOTIFICATIONS_APPLICATIONS, APPLICATIONS),
        ):
            await eventually(partial(group_caught_up, stack.urls["kafka"], group, topic))
        assert len(acknowledgements_to(maildir, address)) == len(mails) == 1
        assert len(mails_to(maildir, address)) == 2  # the confirmation request, once

    async def test_an_application_accepted_while_the_broker_is_down_is_not_lost(
        self, stack: RunningStack, http: httpx.AsyncClient
    ) -> None:
        maildir = Path(stack.state["maildir"])
        old_pid = stack.current_state()["pids"]["kafka"]
        os.kill(old_pid, signal.SIGKILL)
        address = unique_address("outage")
        response = await http.post(stack.urls["intake"] + CANDIDATES, json=candidate_form(address))
        # The broker is gone, yet the application is accepted (it waits in the outbox).
        assert response.status_code == 202, response.text

        await eventually(
            lambda: _async(stack.current_state().get("pids", {}).get("kafka") != old_pid),
            timeout=60,
        )
        await confirm(await confirmation_link(maildir, address, timeout=120))
        mails = await eventually(lambda: _async(acknowledgements_to(maildir, address)), timeout=120)
        assert len(mails) == 1
        status_url = (
            f"{stack.urls['intake']}/api/v1/dossiers/{response.json()['dossier_id']}"
            f"?token={stack.link_token(Purpose.READ, response.json()['dossier_id'])}"
        )
        status = await eventually(lambda: _status_when(http, status_url), timeout=60)
        assert status is not None
        assert status["timeline"][0]["status"] == "received"
        assert status["status"] in ("received", "in_review")  # in_review follows at once

    async def test_a_confirmation_while_the_broker_is_down_is_not_lost(
        self, stack: RunningStack, http: httpx.AsyncClient
    ) -> None:
        maildir = Path(stack.state["maildir"])
        address = unique_address("confirm-outage")
        response = await http.post(stack.urls["intake"] + CANDIDATES, json=candidate_form(address))
        link = await confirmation_link(maildir, address)
        old_pid = stack.hold_down("kafka")
        try:
            # The confirmation is intake's alone: it is recorded with its outbox row.
            await confirm(link)
        finally:
            stack.release("kafka")
        await stack.restarted("kafka", old_pid)

        mails = await eventually(lambda: _async(acknowledgements_to(maildir, address)), timeout=120)
        assert len(mails) == 1
        assert response.json()["dossier_id"] in text_of(mails[0])


class TestOperations:
    async def test_no_log_line_holds_an_applicants_address_or_name(
        self, stack: RunningStack
    ) -> None:
        logs = Path(stack.state["logs_dir"])
        text = "\n".join(path.read_text(errors="replace") for path in logs.glob("*.log"))
        assert text, "the services wrote no log at all"
        assert "@example.fr" not in text
        assert "Lefèvre" not in text

    async def test_every_service_logs_one_json_object_per_line(self, stack: RunningStack) -> None:
        logs = Path(stack.state["logs_dir"])
        for name in ("intake", "selection", "contracts", "notifications", "workflows"):
            for line in (logs / f"{name}.log").read_text().splitlines():
                if line.startswith("====="):  # the launcher's banner at each (re)start
                    continue
                assert json.loads(line)["service"] == name, line

    async def test_every_service_is_ready_and_exposes_metrics(
        self, stack: RunningStack, http: httpx.AsyncClient
    ) -> None:
        for name in ("intake", "selection", "contracts", "notifications", "workflows"):
            base = stack.urls[name]
            ready = await http.get(base + "/readyz")
            assert ready.status_code == 200, (name, ready.text)
            metrics = await http.get(base + "/metrics")
            assert metrics.status_code == 200 and "# TYPE" in metrics.text, name


async def opened(page: Page, url: str) -> None:
    response = await page.goto(url)
    assert response is not None and response.status == 200, url


async def shown_accessibly(page: Page, url: str, name: str) -> None:
    """Open ``url`` in ``page``: a 200, a screenshot, and nothing axe finds."""
    await opened(page, url)
    await screenshot(page, name)
    await assert_accessible(page)


async def _async(value: Any) -> Any:
    return value


async def _status_when(http: httpx.AsyncClient, url: str) -> dict[str, Any] | None:
    response = await http.get(url)
    body: dict[str, Any] = response.json()
    return body if response.status_code == 200 else None


async def _status_reaching(http: httpx.AsyncClient, url: str, status: str) -> dict[str, Any] | None:
    body = await _status_when(http, url)
    return body if body is not None and body["status"] == status else None
