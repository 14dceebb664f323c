"""JSON logs without personal data, Prometheus metrics, and health endpoints for every service.

Every log line carries the ids of the work it is about as fields: ``dossier_id``,
``event_id``, ``consumer`` (set by the consumers and request handlers with
:func:`log_context` and :func:`bind_ids`), ``workflow_id`` (from Temporal's activity and
workflow loggers) and ``trace_id``/``span_id`` when a span is current (libs.tracing). Ids only:
never a name nor an address.
"""

import asyncio
import json
import logging
import re
import sys
import traceback
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import TracebackType
from uuid import UUID

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from opentelemetry import trace
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from libs.config import PlatformSettings
from libs.tracing import configure_tracing

EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
REDACTED_EMAIL = "<email>"

ReadinessCheck = Callable[[], Awaitable[object]]
"""Raises (or times out) when the dependency is unreachable."""


LogId = UUID | str | None

_LOG_FIELDS: ContextVar[dict[str, str] | None] = ContextVar("eig_log_fields", default=None)
"""The fields of the current scope (a request, a consumed message): one dict per scope, which
:func:`bind_ids` fills as the ids become known."""
TEMPORAL_LOG_EXTRAS = ("temporal_activity", "temporal_workflow")
"""The ``extra`` Temporal's activity and workflow loggers put on their records."""


def _fields(values: Mapping[str, LogId]) -> dict[str, str]:
    return {name: str(value) for name, value in values.items() if value is not None}


@contextmanager
def log_context(**fields: LogId) -> Iterator[None]:
    """A scope whose log lines all carry ``fields`` (and what :func:`bind_ids` adds inside)."""
    token = _LOG_FIELDS.set((_LOG_FIELDS.get() or {}) | _fields(fields))
    try:
        yield
    finally:
        _LOG_FIELDS.reset(token)


def bind_ids(**ids: LogId) -> None:
    """Add ids to the current scope's log lines and to the current span, from where they
    become known (an event parsed, a dossier created). Nothing outside a scope."""
    values = _fields(ids)
    current = _LOG_FIELDS.get()
    if current is not None:
        # In place: the lines the scope's caller logs after this (a retry, a dead letter)
        # carry the ids too, and so do the tasks the scope started (they share the dict).
        current.update(values)
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attributes({f"eig.{name}": value for name, value in values.items()})


def log_fields(record: logging.LogRecord) -> dict[str, str]:
    """The ids a record is about: its scope's, Temporal's workflow id, the current trace."""
    fields = dict(_LOG_FIELDS.get() or {})
    for extra in TEMPORAL_LOG_EXTRAS:
        details = getattr(record, extra, None)
        if isinstance(details, Mapping) and details.get("workflow_id"):
            fields["workflow_id"] = str(details["workflow_id"])
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        fields["trace_id"] = trace.format_trace_id(span_context.trace_id)
        fields["span_id"] = trace.format_span_id(span_context.span_id)
    return fields


SAFE_MESSAGE_TYPES: tuple[type[BaseException], ...] = (OSError, TimeoutError, ImportError)
"""Exceptions whose message says something about the machine (an address, a file), never about
a person: their message stays in the logs."""


def safe_traceback(
    error_type: type[BaseException] | None,
    error: BaseException | None,
    error_trace: TracebackType | None,
) -> str:
    """A traceback without the exceptions' messages (they may quote a request's data: a
    pydantic error its input, a database error its parameters), except for
    :data:`SAFE_MESSAGE_TYPES`; each chained cause is shown the same way."""
    parts: list[str] = []
    seen: set[int] = set()
    current = error
    current_type, current_trace = error_type, error_trace
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = "".join(traceback.format_tb(current_trace))
        name = (current_type or type(current)).__qualname__
        message = f": {current}" if isinstance(current, SAFE_MESSAGE_TYPES) else ""
        parts.append(f"Traceback (most recent call last):\n{frames}{name}{message}")
        current = current.__cause__ or current.__context__
        if current is not None:
            current_type, current_trace = type(current), current.__traceback__
    if not parts and error_type is not None:
        parts.append(error_type.__qualname__)
    # The root cause first, as Python prints it.
    return "\n\nThen:\n".join(reversed(parts))


class JsonFormatter(logging.Formatter):
    """One JSON object per line; e-mail addresses are masked as a last line of defence, and
    exceptions are logged without their messages (:func:`safe_traceback`)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": EMAIL_PATTERN.sub(REDACTED_EMAIL, record.getMessage()),
        }
        # Read at format time, in the thread that logged (StreamHandler formats at once).
        for name, value in log_fields(record).items():
            entry.setdefault(name, EMAIL_PATTERN.sub(REDACTED_EMAIL, value))
        for name in ("error_id", "error_type"):
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["error"] = EMAIL_PATTERN.sub(REDACTED_EMAIL, safe_traceback(*record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Access logs carry query strings, and the applicant's private token is one.
    logging.getLogger("uvicorn.access").disabled = True
    # FastStream's logger prints coloured text on its own handler and does not propagate:
    # send it through the JSON handler instead.
    faststream_logger = logging.getLogger("faststream")
    faststream_logger.handlers.clear()
    faststream_logger.propagate = True
    for noisy in ("aiokafka", "temporalio.activity", "faststream.access.kafka"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def configure_telemetry(service: str, settings: PlatformSettings) -> None:
    """JSON logs, and trace export when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set: what every
    process does first."""
    configure_logging(service, settings.LOG_LEVEL)
    configure_tracing(service, settings.OTEL_EXPORTER_OTLP_ENDPOINT)


class Readiness(BaseModel):
    status: str = Field(description="ready, degraded (only optional checks fail) or not_ready")
    checks: dict[str, str] = Field(description="Check → ok, or unreachable: <error type>")


def health_router(
    checks: Mapping[str, ReadinessCheck],
    timeout_seconds: float = 2.0,
    optional: frozenset[str] = frozenset(),
) -> APIRouter:
    """``/healthz`` (process alive), ``/readyz`` (dependencies reachable), ``/metrics``.

    ``/readyz`` answers 503 ``not_ready`` when a required dependency fails, and 200 ``degraded``
    when only ``optional`` ones do: a service that can still do its main job (intake accepting
    applications into its outbox while Kafka is down) must stay in the load balancer.
    """
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: dependencies reachable",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "A required dependency fails"}},
    )
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), timeout_seconds)
                results[name] = "ok"
            except Exception as error:  # noqa: BLE001 - any failure means not ready
                results[name] = f"unreachable: {type(error).__name__}"
        failed = {name for name, value in results.items() if value != "ok"}
        if not failed:
            status, code = "ready", 200
        elif failed <= optional:
            status, code = "degraded", 200
        else:
            status, code = "not_ready", 503
        return JSONResponse({"status": status, "checks": results}, status_code=code)

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        response_class=PlainTextResponse,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
    )
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
