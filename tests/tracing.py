"""Spans recorded in memory, for the tests that follow a trace across hops.

OpenTelemetry allows one tracer provider per process: the first test that asks installs the
SDK's, exporting synchronously (a span is readable as soon as it ended) to one in-memory
exporter. The code's tracers are proxies (libs.tracing), so they record from then on.
"""

from collections.abc import Iterable

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

_EXPORTER = InMemorySpanExporter()
_installed = False


def span_exporter() -> InMemorySpanExporter:
    global _installed
    if not _installed:
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
        _installed = True
    return _EXPORTER


def trace_id_of(span: ReadableSpan) -> str:
    assert span.context is not None
    return trace.format_trace_id(span.context.trace_id)


def in_trace(spans: Iterable[ReadableSpan], trace_id: str) -> list[ReadableSpan]:
    return [span for span in spans if trace_id_of(span) == trace_id]


def named(spans: Iterable[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


def traceparent_trace_id(traceparent: str) -> str:
    """The trace id of a W3C ``traceparent`` (``00-<trace id>-<span id>-<flags>``)."""
    version, trace_id, _span_id, _flags = traceparent.split("-")
    assert version == "00"
    return trace_id
