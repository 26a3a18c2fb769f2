"""An OTLP/HTTP traces endpoint in the test process (`POST /v1/traces`, a protobuf ExportTraceServiceRequest,
decoded with `opentelemetry-proto`): a stack started with OTEL_EXPORTER_OTLP_ENDPOINT=`receiver.url` sends its
spans here, and `receiver.spans()` lists them as dicts (service, name, trace_id, span_id, parent_id, status,
attributes)."""
import contextlib
import gzip
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


class SpanStore:
    def __init__(self, url):
        self.url = url
        self._spans = []
        self._lock = threading.Lock()

    def add(self, spans):
        with self._lock:
            self._spans.extend(spans)

    def spans(self, trace_id=None):
        """The spans received so far (of one trace, given its id)."""
        with self._lock:
            return [s for s in self._spans if trace_id is None or s["trace_id"] == trace_id]


def _value(any_value):
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in any_value.array_value.values]
    return getattr(any_value, kind) if kind else None


def _decoded(body):
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    found = []
    for resource_spans in request.resource_spans:
        resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
        for scope in resource_spans.scope_spans:
            for span in scope.spans:
                found.append({
                    "service": resource.get("service.name"), "name": span.name,
                    "trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(),
                    "parent_id": span.parent_span_id.hex() or None, "status": span.status.code,
                    "attributes": {a.key: _value(a.value) for a in span.attributes},
                })
    return found


@contextlib.contextmanager
def otlp_receiver():
    """The receiver, listening on a free port of 127.0.0.1 until the block ends."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = SpanStore(f"http://127.0.0.1:{port}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            store.add(_decoded(body))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield store
    finally:
        server.shutdown()
        server.server_close()
