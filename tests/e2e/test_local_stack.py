"""``python -m deploy.local`` runs the real embedded stack on free ports.

Checked on the shared end-to-end stack (the one ``local_stack`` starts with the launcher): every
part answers and a crashed broker is restarted; that SIGTERM then stops everything, the launcher
exiting 0 with no child left behind, is checked when the session's stack is stopped
(tests/e2e/conftest.py)."""

import asyncio
import json
import os
import signal
import smtplib
from email.message import EmailMessage
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from temporalio.client import Client

from deploy.local.launcher import (
    CANDIDATE_SUBMISSION_PATH,
    EXAMPLE_APPLICATION,
    SERVICES,
)
from libs.dossier_links import LinkKeys, parse_secret, status_url
from libs.messages.topics import PARTITIONS
from tests.email_confirmation import confirm_through_the_email
from tests.local_stack import RunningStack

pytestmark = pytest.mark.e2e


def file_names(directory: Path) -> set[str]:
    return {path.name for path in directory.iterdir()}


async def topic_names(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5_000)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def http_status(url: str) -> int:
    async with httpx.AsyncClient(timeout=5) as client:
        return (await client.get(url)).status_code


def send_mail(host: str, port: int) -> None:
    message = EmailMessage()
    message["From"] = "eig@beta.gouv.fr"
    message["To"] = "someone@example.fr"
    message["Subject"] = "Votre candidature / Your application"
    message.set_content("Bonjour")
    with smtplib.SMTP(host, port, timeout=5) as smtp:
        smtp.send_message(message)


async def test_the_stack_runs_healthy_and_restarts_a_crashed_broker(stack: RunningStack) -> None:
    state, output = stack.current_state(), stack.output
    urls, pids = state["urls"], state["pids"]
    # Services whose package is not in this checkout yet are skipped by the launcher.
    present = [service.name for service in SERVICES if service.name in urls]
    assert {"selection", "contracts"} <= set(present)
    assert set(pids) == {"kafka", "temporal", "smtp", *present}

    # Every part answers: broker with the platform's topics, Temporal, SMTP into the Maildir.
    assert set(PARTITIONS) <= await topic_names(urls["kafka"])
    temporal = await Client.connect(urls["temporal"])
    assert await temporal.service_client.check_health()
    assert await http_status(urls["temporal_ui"]) == 200
    smtp_host, smtp_port = urls["smtp"].split(":")
    mails_before = file_names(Path(state["maildir"]) / "new")
    await asyncio.to_thread(send_mail, smtp_host, int(smtp_port))
    assert len(file_names(Path(state["maildir"]) / "new") - mails_before) == 1
    for name in present:
        assert await http_status(urls[name] + "/healthz") == 200, name
    for name in {"selection", "contracts"} & set(present):
        assert await http_status(urls[name] + "/readyz") == 200, name
    if "intake" in urls:
        # The example the launcher prints is accepted; once its address is confirmed through
        # the e-mail's link, its private status link (the next e-mail's) answers.
        async with httpx.AsyncClient(timeout=10) as client:
            submitted = await client.post(
                urls["intake"] + CANDIDATE_SUBMISSION_PATH,
                content=EXAMPLE_APPLICATION.read_bytes(),
                headers={"Content-Type": "application/json"},
            )
            assert submitted.status_code == 202, submitted.text
            address = json.loads(EXAMPLE_APPLICATION.read_text())["email"]
            await confirm_through_the_email(Path(state["maildir"]), address)
            secret = (Path(state["data_dir"]) / "link-secret").read_text()
            keys = LinkKeys.single(parse_secret(secret))
            dossier_id = UUID(submitted.json()["dossier_id"])
            status = await client.get(status_url(urls["intake"], keys, dossier_id))
            assert status.status_code == 200, status.text
    # A working bearer token per staff role, for the staff APIs on the embedded stack.
    tokens = json.loads((Path(state["data_dir"]) / "dev-tokens.json").read_text())
    assert set(tokens) == {"staff", "evaluator", "jury", "admin"}
    database_file = Path(state["database_url"].removeprefix("sqlite:///"))
    assert database_file.name in file_names(database_file.parent)

    # The memory-only broker crashes: it is restarted and the topics exist again.
    os.kill(pids["kafka"], signal.SIGKILL)
    await stack.restarted("kafka", pids["kafka"], timeout=60)
    assert set(PARTITIONS) <= await topic_names(urls["kafka"])
    assert f"kafka (pid {pids['kafka']}) exited with code -9" in output.read_text()
