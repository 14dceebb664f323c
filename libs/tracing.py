"""OpenTelemetry traces: one submission is one trace, from the HTTP request to the e-mail.

The W3C trace context (``traceparent``) travels with the work at every hop that is not a
function call: the HTTP request's header, the outbox row (its ``traceparent`` column, read by
the relay), the Kafka record's headers, Temporal's headers (the SDK's ``TracingInterceptor``,
on every client of :mod:`libs.temporal` and so on the worker) and again the outbox rows that
activities write. Each hop opens a span of its own under the context it received (ADR 21).

Off by default: without ``OTEL_EXPORTER_OTLP_ENDPOINT`` no SDK is installed, the API's
tracer is a no-op that records nothing, and a context that came in is passed on unchanged
(near-zero cost). With it, spans are batched and exported over OTLP/HTTP.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Final

from fastapi.telemetry import TelemetryConfig
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from libs.messages.topics import Headers

TRACEPARENT: Final = Headers.TRACEPARENT
"""The W3C header (and outbox column) that carries the trace context."""
TRACEPARENT_MAX_LENGTH: Final = 55
"""``00-<32 hex trace id>-<16 hex span id>-<2 hex flags>``: version 00's fixed length."""

FASTAPI_NATIVE_TELEMETRY_OFF: Final[TelemetryConfig] = {
    "tracing": False,
    "metrics": False,
    "logs": False,
}
"""For every ``FastAPI(telemetry=...)``: FastAPI's own spans record the URL's path and query,
which hold the applicants' private link tokens, and its logs the refused input (personal
data). Requests are traced by :class:`libs.http_service.RequestDuration` instead, under their
route template only."""

TRACER = trace.get_tracer("eig")
"""A proxy until a provider is set: modules may import it before :func:`configure_tracing`."""


def traces_endpoint(base: str) -> str:
    """The OTLP/HTTP traces URL under ``OTEL_EXPORTER_OTLP_ENDPOINT`` (the spec's rule for the
    generic variable: ``/v1/traces`` appended)."""
    return f"{base.rstrip('/')}/v1/traces"


def configure_tracing(service: str, otlp_endpoint: str | None) -> TracerProvider | None:
    """Export the process's spans over OTLP when an endpoint is configured; else do nothing."""
    if not otlp_endpoint:
        return None
    provider = otlp_provider(service, otlp_endpoint)
    # The provider flushes its batches at interpreter exit (shutdown_on_exit).
    trace.set_tracer_provider(provider)
    return provider


def otlp_provider(service: str, otlp_endpoint: str) -> TracerProvider:
    """Spans of ``service``, batched and sent over OTLP/HTTP to the collector's ``/v1/traces``."""
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_endpoint(otlp_endpoint)))
    )
    return provider


def current_traceparent() -> str | None:
    """The current context as a ``traceparent`` value, or None when there is none."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get(TRACEPARENT)


def trace_headers() -> dict[str, str]:
    """The current context as message headers (empty when there is none)."""
    traceparent = current_traceparent()
    return {} if traceparent is None else {TRACEPARENT: traceparent}


def context_from(headers: Mapping[str, object]) -> Context:
    """The context a message or request carried; an empty one (a new trace) if none.

    Never the caller's ambient context: a consumer's or relay's task must not chain every
    message it handles into one trace.
    """
    carrier = {
        name.lower(): value.decode("latin-1") if isinstance(value, bytes) else value
        for name, value in headers.items()
        if isinstance(value, str | bytes)
    }
    return propagate.extract(carrier, context=Context())


def context_of_traceparent(traceparent: str | None) -> Context:
    return context_from({} if traceparent is None else {TRACEPARENT: traceparent})


@contextmanager
def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    context: Context | None = None,
    attributes: Mapping[str, str | int] | None = None,
) -> Iterator[Span]:
    """A span made current for the block; an exception escaping it marks it failed."""
    with TRACER.start_as_current_span(
        name, context=context, kind=kind, attributes=dict(attributes or {})
    ) as current:
        yield current


def mark_failed(current: Span, error: BaseException) -> None:
    """For a failure the code handles itself (kept pending, retried): the span still says so."""
    current.record_exception(error)
    current.set_status(Status(StatusCode.ERROR, type(error).__name__))
