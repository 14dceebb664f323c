"""With ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, spans reach a collector over OTLP/HTTP."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from libs.tracing import otlp_provider

pytestmark = pytest.mark.integration


class Collector(ThreadingHTTPServer):
    """The receiving end of an OpenTelemetry collector: keeps each export it is sent."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), CollectorHandler)
        self.exports: list[tuple[str, str, bytes]] = []


class CollectorHandler(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.exports.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - its signature
        pass


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_a_span_is_exported_with_its_service_to_the_collector(collector: Collector) -> None:
    host, port = collector.server_address[:2]
    provider = otlp_provider("intake", f"http://{host!s}:{port}")
    try:
        with provider.get_tracer("test").start_as_current_span("POST /api/v1/applications"):
            pass
        assert provider.force_flush(timeout_millis=30_000)  # the export is done when it returns
    finally:
        provider.shutdown()

    [(path, content_type, body)] = collector.exports
    assert (path, content_type) == ("/v1/traces", "application/x-protobuf")
    request = ExportTraceServiceRequest.FromString(body)
    [resource_spans] = request.resource_spans
    attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert attributes["service.name"] == "intake"
    names = [span.name for scope in resource_spans.scope_spans for span in scope.spans]
    assert names == ["POST /api/v1/applications"]
