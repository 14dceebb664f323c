"""One submission is two traces (docs/adr/0024): the application's request, its outbox relay,
the notifications consumer and the SMTP send of the confirmation request; then the
confirmation's request, its outbox relay, the bridge, the dossier workflow and its activity, the
workflows' outbox relay, the notification consumer and the acknowledgement's SMTP send (real
broker, Temporal dev server, SQLite, SMTP; the processes wired in this one, their spans
recorded in memory). The confirmation e-mail's link is the one pressed; a second press starts
nothing more."""

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from uuid import UUID

import pytest
from aiokafka.structs import ConsumerRecord
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from libs.messages.topics import APPLICATIONS, CONTRACT_EVENTS, DOSSIER_EVENTS, Headers
from services.notifications.app import create_app as create_notifications_app
from services.notifications.settings import NotificationsSettings
from tests.conftest import SmtpServer
from tests.email_confirmation import confirm_link_in, text_of
from tests.eventually import eventually
from tests.html_forms import BROWSER_ACCEPT, FORM_POST, hidden
from tests.integration.services.intake.conftest import intake_settings, running_intake
from tests.integration.workflows.conftest import (
    WorkflowsProcess,
    read_records,
    start_group_at_end,
)
from tests.tracing import in_trace, named, trace_id_of, traceparent_trace_id
from tests.unit.services.intake.forms import CANDIDATES, candidate_body
from workflows.dossier.models import PUBLISH_STATUS_CHANGE

pytestmark = pytest.mark.integration

NOTIFICATIONS_CONSUMER = "notifications-dossier-events"
CONFIRM_PAGE = "/confirmer/{reference}"


@asynccontextmanager
async def running_notifications(
    kafka_bootstrap: str, sqlite_url: str, smtp_server: SmtpServer
) -> AsyncIterator[None]:
    """The notifications service with its lifespan, its groups starting at the topics' end
    (the session's broker holds other tests' events)."""
    group = f"notifications-trace-test-{uuid.uuid4().hex[:12]}"
    await start_group_at_end(kafka_bootstrap, group, DOSSIER_EVENTS)
    await start_group_at_end(kafka_bootstrap, f"{group}-contracts", CONTRACT_EVENTS)
    await start_group_at_end(kafka_bootstrap, f"{group}-applications", APPLICATIONS)
    settings = NotificationsSettings(
        _env_file=None,
        DATABASE_URL=sqlite_url,
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        SMTP_HOST=smtp_server.host,
        SMTP_PORT=smtp_server.port,
        NOTIFICATIONS_CONSUMER_GROUP=group,
        NOTIFICATIONS_CONTRACTS_CONSUMER_GROUP=f"{group}-contracts",
        NOTIFICATIONS_APPLICATIONS_CONSUMER_GROUP=f"{group}-applications",
        PUBLIC_INTAKE_URL="http://intake.test",
        NOTIFICATIONS_CREATE_TABLES=True,
    )
    app = create_notifications_app(settings)
    async with app.router.lifespan_context(app):
        yield


def mails_about(smtp_server: SmtpServer, dossier_id: UUID) -> list[EmailMessage]:
    found = []
    for path in smtp_server.messages():
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        if str(dossier_id) in text_of(message):
            found.append(message)
    return found


def path_to(
    spans: Sequence[ReadableSpan], trace_id: str, template: str, request: ReadableSpan
) -> list[ReadableSpan]:
    """The SMTP span of ``template`` and its ancestors up to ``request``, once each has ended
    (a consumer's span ends after its offset is committed); empty until then."""
    traced = in_trace(spans, trace_id)
    by_id = {span.context.span_id: span for span in traced if span.context is not None}
    request_context = request.get_span_context()
    assert request_context is not None
    for sent in matching(traced, "smtp send", {"eig.template": template}):
        path = [sent]
        while (parent := path[-1].parent) is not None and parent.span_id in by_id:
            path.append(by_id[parent.span_id])
        top = path[-1].context
        if top is not None and top.span_id == request_context.span_id:
            return path
    return []


def matching(
    spans: list[ReadableSpan], name: str, attributes: dict[str, str]
) -> list[ReadableSpan]:
    return [
        span
        for span in named(spans, name)
        if all((span.attributes or {}).get(key) == value for key, value in attributes.items())
    ]


async def test_a_submission_is_one_trace_from_the_request_to_the_e_mail(
    workflows_process: WorkflowsProcess,
    kafka_bootstrap: str,
    tmp_path,
    smtp_server: SmtpServer,
    spans: InMemorySpanExporter,
) -> None:
    intake = intake_settings(f"sqlite:///{tmp_path / 'intake.db'}", kafka_bootstrap)
    async with (
        running_notifications(
            kafka_bootstrap, f"sqlite:///{tmp_path / 'notifications.db'}", smtp_server
        ),
        running_intake(intake) as running,
    ):
        response = await running.client.post(CANDIDATES, json=candidate_body())
        assert response.status_code == 202
        dossier_id = UUID(response.json()["dossier_id"])
        [request] = named(spans.get_finished_spans(), f"POST {CANDIDATES}")
        application_trace = trace_id_of(request)

        # The confirmation request: the application's trace ends with its SMTP send.
        async def requested() -> list[ReadableSpan]:
            if not mails_about(smtp_server, dossier_id):
                return []
            finished = spans.get_finished_spans()
            return path_to(finished, application_trace, "confirm_email/candidate", request)

        request_path = await eventually(requested, timeout=60)
        assert [span.name for span in reversed(request_path)] == [
            f"POST {CANDIDATES}",
            f"{APPLICATIONS} publish",  # intake's relay
            f"{APPLICATIONS} process",  # notifications' applications consumer
            "smtp send",
        ]
        assert (request_path[1].attributes or {})["eig.consumer"] == "notifications-applications"
        [confirmation_request] = mails_about(smtp_server, dossier_id)
        link = confirm_link_in(confirmation_request)
        assert link is not None and link.startswith(f"http://intake.test/confirmer/{dossier_id}")

        # The applicant presses the page's button; nothing started before.
        assert await records_of(kafka_bootstrap, dossier_id, "Submitted") == []
        local = link.removeprefix("http://intake.test")
        page = await running.client.get(local, headers={"Accept": BROWSER_ACCEPT})
        form = {"csrf_token": hidden(page.text, "csrf_token")}
        confirmed = await running.client.post(local, data=form, headers=FORM_POST)
        assert confirmed.status_code == 303
        [confirming] = named(spans.get_finished_spans(), f"POST {CONFIRM_PAGE}")
        trace_id = trace_id_of(confirming)
        assert trace_id != application_trace

        async def acknowledged() -> list[ReadableSpan]:
            if len(mails_about(smtp_server, dossier_id)) < 2:
                return []
            finished = spans.get_finished_spans()
            return path_to(finished, trace_id, "received/candidate", confirming)

        path = await eventually(acknowledged, timeout=90)
        # Pressed again (another tab): nothing more is published, started or sent.
        again = await running.client.post(local, data=form, headers=FORM_POST)
        assert again.status_code == 303 and "outcome" not in again.headers["location"]

    [submitted] = await records_of(kafka_bootstrap, dossier_id, "Submitted")
    assert len(mails_about(smtp_server, dossier_id)) == 2
    assert [span.name for span in reversed(path)] == [
        f"POST {CONFIRM_PAGE}",
        f"{APPLICATIONS} publish",  # intake's relay
        f"{APPLICATIONS} process",  # the bridge
        "StartWorkflow:CandidateDossierWorkflow",
        # The workflow's commands (scheduling the activity) follow from the start's context.
        f"StartActivity:{PUBLISH_STATUS_CHANGE}",
        f"RunActivity:{PUBLISH_STATUS_CHANGE}",
        f"{DOSSIER_EVENTS} publish",  # the worker's relay
        f"{DOSSIER_EVENTS} process",  # the notifications consumer
        "smtp send",
    ]
    request_span, relayed, bridged, started, *_, published, consumed, _sent = reversed(path)
    assert started.context is not None
    assert [
        span
        for span in in_trace(spans.get_finished_spans(), trace_id)
        if span.name == "RunWorkflow:CandidateDossierWorkflow"
        and span.parent is not None
        and span.parent.span_id == started.context.span_id
    ]
    assert request_span.kind == SpanKind.SERVER
    assert relayed.kind == published.kind == SpanKind.PRODUCER
    assert bridged.kind == consumed.kind == SpanKind.CONSUMER
    assert (bridged.attributes or {})["eig.consumer"] == "workflows-bridge"
    assert (consumed.attributes or {})["eig.consumer"] == NOTIFICATIONS_CONSUMER
    assert (consumed.attributes or {})["eig.dossier_id"] == str(dossier_id)

    # What each trace travelled on: the records carry it in their headers.
    [received] = await records_of(kafka_bootstrap, dossier_id, "Received")
    events = await read_records(kafka_bootstrap, DOSSIER_EVENTS, str(dossier_id).encode())
    assert events
    for record, expected in [(received, application_trace), (submitted, trace_id)] + [
        (event, trace_id) for event in events
    ]:
        headers = {name: value.decode() for name, value in record.headers}
        assert traceparent_trace_id(headers[Headers.TRACEPARENT]) == expected


async def records_of(
    kafka_bootstrap: str, dossier_id: UUID, type_part: str
) -> list[ConsumerRecord]:
    """The dossier's records on the applications topic whose event type holds ``type_part``."""
    records = await read_records(kafka_bootstrap, APPLICATIONS, str(dossier_id).encode())
    return [
        record
        for record in records
        if type_part in dict(record.headers).get(Headers.EVENT_TYPE, b"").decode()
    ]
