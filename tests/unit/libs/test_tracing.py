"""The trace context carried by the outbox row, the relay and the Kafka headers; tracing off
unless an OTLP endpoint is configured; log lines that carry their ids and no address."""

import json
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import APIRouter
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.config import PlatformSettings
from libs.database import create_engine, session_factory, transaction
from libs.http_service import create_service_app
from libs.messages.topics import APPLICATIONS, Headers
from libs.observability import bind_ids, log_context
from libs.outbox.relay import EventRecord, OutboxRelay, OutboxSignal, outbox_message
from libs.tracing import (
    TRACER,
    configure_tracing,
    context_from,
    current_traceparent,
    trace_headers,
    traces_endpoint,
)
from tests.tracing import named, trace_id_of, traceparent_trace_id
from tests.unit.libs.outbox.test_relay_epochs import relay_metrics
from tests.unit.workflows.dossier.dossiers import candidate_application_submitted


class NoParts:
    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


class Recorder:
    def __init__(self) -> None:
        self.records: list[EventRecord] = []

    async def __call__(self, topic: str, record: EventRecord) -> None:
        self.records.append(record)

    async def reset(self) -> None:
        pass


@pytest.fixture
async def sessions(sqlite_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(sqlite_url)
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    yield session_factory(engine)
    await engine.dispose()


class TestOffByDefault:
    def test_no_endpoint_installs_nothing(self) -> None:
        assert PlatformSettings(_env_file=None).OTEL_EXPORTER_OTLP_ENDPOINT is None
        assert configure_tracing("intake", None) is None
        assert configure_tracing("intake", "") is None

    def test_the_traces_go_under_the_collector_s_v1_traces(self) -> None:
        assert traces_endpoint("http://collector:4318") == "http://collector:4318/v1/traces"
        assert traces_endpoint("http://collector:4318/") == "http://collector:4318/v1/traces"

    def test_outside_any_span_nothing_is_carried(self, spans: InMemorySpanExporter) -> None:
        assert current_traceparent() is None
        assert trace_headers() == {}
        row = outbox_message(APPLICATIONS, candidate_application_submitted(), datetime.now(UTC))
        assert row.traceparent is None


class TestTheOutboxCarriesTheContext:
    async def test_the_relay_publishes_the_row_under_the_span_that_wrote_it(
        self, spans: InMemorySpanExporter, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        event = candidate_application_submitted()
        with TRACER.start_as_current_span("POST /api/v1/applications/candidates") as request:
            row = outbox_message(APPLICATIONS, event, datetime.now(UTC))
        async with transaction(sessions) as session:
            session.add(row)
        publisher = Recorder()
        relay = OutboxRelay(
            sessions, publisher, OutboxSignal(), metrics=relay_metrics(), skip_locked=False
        )

        assert (await relay.relay_once()).published == 1

        request_context = request.get_span_context()
        trace_id = trace.format_trace_id(request_context.trace_id)
        assert row.traceparent is not None
        assert traceparent_trace_id(row.traceparent) == trace_id
        [record] = publisher.records
        [publish] = named(spans.get_finished_spans(), f"{APPLICATIONS} publish")
        assert publish.kind == SpanKind.PRODUCER
        assert trace_id_of(publish) == trace_id
        assert publish.parent is not None and publish.parent.span_id == request_context.span_id
        assert publish.attributes is not None
        assert publish.attributes["messaging.message.id"] == str(event.event_id)
        # The record's context is the relay's span: the consumer's span is its child.
        assert publish.context is not None
        assert record.headers[Headers.TRACEPARENT].startswith(
            f"00-{trace_id}-{trace.format_span_id(publish.context.span_id)}-"
        )
        assert record.headers[Headers.EVENT_TYPE] == event.type

    async def test_a_row_written_outside_any_trace_is_published_in_a_trace_of_its_own(
        self, spans: InMemorySpanExporter, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        async with transaction(sessions) as session:
            session.add(
                outbox_message(APPLICATIONS, candidate_application_submitted(), datetime.now(UTC))
            )
        publisher = Recorder()
        relay = OutboxRelay(
            sessions, publisher, OutboxSignal(), metrics=relay_metrics(), skip_locked=False
        )
        with TRACER.start_as_current_span("the relay's own task"):
            await relay.relay_once()

        [publish] = named(spans.get_finished_spans(), f"{APPLICATIONS} publish")
        assert publish.parent is None  # never chained to whatever the relay's task runs under

    def test_a_received_context_is_continued(self, spans: InMemorySpanExporter) -> None:
        trace_id = uuid.uuid4().hex
        incoming = {Headers.TRACEPARENT: f"00-{trace_id}-{'1' * 16}-01"}
        with TRACER.start_as_current_span("consume", context=context_from(incoming)):
            assert traceparent_trace_id(current_traceparent() or "") == trace_id


class TestLogFields:
    def test_a_scope_s_lines_carry_its_ids_and_the_trace(
        self, spans: InMemorySpanExporter, json_lines: list[str]
    ) -> None:
        dossier_id, event_id = uuid.uuid4(), uuid.uuid4()
        with TRACER.start_as_current_span("consume") as current, log_context(consumer="c"):
            bind_ids(dossier_id=dossier_id)
            logging.getLogger("unit").info("first")
            bind_ids(event_id=event_id)
            logging.getLogger("unit").info("second")
        logging.getLogger("unit").info("outside")

        first, second, outside = (json.loads(line) for line in json_lines)
        assert first["dossier_id"] == str(dossier_id) and "event_id" not in first
        assert second["event_id"] == str(event_id) and second["consumer"] == "c"
        assert second["trace_id"] == trace.format_trace_id(current.get_span_context().trace_id)
        assert "dossier_id" not in outside and "trace_id" not in outside
        [ended] = spans.get_finished_spans()
        assert ended.attributes is not None
        assert ended.attributes["eig.dossier_id"] == str(dossier_id)

    async def test_a_request_s_lines_carry_the_ids_its_path_names(
        self, json_lines: list[str]
    ) -> None:
        """No handler binds them: the app does, for every route (services/*/api, pages)."""
        router = APIRouter()

        @router.post("/api/v1/contracts/{contract_id}/actions/{action}")
        async def act(contract_id: uuid.UUID, action: str) -> dict[str, str]:
            logging.getLogger("unit").info("%s applied", action)
            return {}

        app = create_service_app(
            title="t", summary="s", parts=NoParts(), checks={}, routers=[router]
        )
        contract_id = uuid.uuid4()
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            answer = await client.post(f"/api/v1/contracts/{contract_id}/actions/send_offer")

        assert answer.status_code == 200
        [line] = [json.loads(line) for line in json_lines if "applied" in line]
        assert line["contract_id"] == str(contract_id)
        assert "dossier_id" not in line

    def test_temporal_s_workflow_id_is_a_field(self, json_lines: list[str]) -> None:
        logging.getLogger("temporalio.activity").warning(
            "queued", extra={"temporal_activity": {"workflow_id": "dossier-1", "attempt": 1}}
        )
        [line] = json_lines
        assert json.loads(line)["workflow_id"] == "dossier-1"
