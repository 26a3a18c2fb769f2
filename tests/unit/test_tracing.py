"""Tracing: spans leave the process over OTLP/HTTP when an endpoint is configured, without credentials."""
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from common.tracing import ScrubCredentials, scrub_uri

REPO = Path(__file__).resolve().parents[2]


def test_scrub_uri_removes_the_password_only():
    assert scrub_uri("pyamqp://guest:s3cret@rabbit:5672/") == "pyamqp://guest:***@rabbit:5672/"
    assert scrub_uri("postgresql+psycopg://ecoc:pw@db/x") == "postgresql+psycopg://ecoc:***@db/x"
    assert scrub_uri("http://host:8000/path") == "http://host:8000/path"
    assert scrub_uri(42) == 42


def test_span_attributes_are_scrubbed_before_export():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(ScrubCredentials())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("t").start_as_current_span("publish") as span:
        span.set_attribute("nameko.amqp.amqp_uri", "pyamqp://guest:topsecret@127.0.0.1:5672/")
        span.set_attribute("other", "value")
    (exported,) = exporter.get_finished_spans()
    assert exported.attributes["nameko.amqp.amqp_uri"] == "pyamqp://guest:***@127.0.0.1:5672/"
    assert exported.attributes["other"] == "value"


class _Collector(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _Collector.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_spans_are_exported_over_otlp_http_when_an_endpoint_is_configured():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = HTTPServer(("127.0.0.1", port), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    script = (
        "from common.tracing import setup_tracing\n"
        "from opentelemetry import trace\n"
        "provider = setup_tracing('probe')\n"
        "with trace.get_tracer('t').start_as_current_span('probe-span') as span:\n"
        "    span.set_attribute('nameko.amqp.amqp_uri', 'pyamqp://guest:leak@127.0.0.1/')\n"
        "provider.force_flush()\n"
    )
    env = dict(os.environ, OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{port}")
    try:
        subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, check=True, timeout=60)
    finally:
        server.shutdown()
    paths = [p for p, _ in _Collector.received]
    assert "/v1/traces" in paths
    body = b"".join(b for p, b in _Collector.received if p == "/v1/traces")
    assert b"probe-span" in body and b"ecoc-probe" in body
    assert b"leak" not in body


def test_log_records_carry_the_trace_id_of_the_current_span():
    import logging

    from common.logs import TraceIdFilter

    provider = TracerProvider()
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Keep()
    handler.addFilter(TraceIdFilter())
    handler.setFormatter(logging.Formatter("trace=%(trace_id)s %(message)s"))
    logger = logging.getLogger("ecoc.test.trace")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("outside")
        with provider.get_tracer("t").start_as_current_span("work") as span:
            logger.warning("inside")
            trace_id = format(span.get_span_context().trace_id, "032x")
    finally:
        logger.removeHandler(handler)
    assert records == ["trace=- outside", f"trace={trace_id} inside"]


def test_a_batch_span_continues_the_trace_of_its_first_event():
    from types import SimpleNamespace

    from common.tracing import EnvelopeBatchAdapter

    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    worker_ctx = SimpleNamespace(args=([{"trace": {"traceparent": parent}}, {"trace": {}}],), context_data={})
    assert EnvelopeBatchAdapter({}).get_metadata(worker_ctx) == {"traceparent": parent}
    single = SimpleNamespace(args=({"not": "a batch"},), context_data={"traceparent": parent})
    assert EnvelopeBatchAdapter({}).get_metadata(single) == {"traceparent": parent}


def test_a_batch_span_links_the_other_traces_of_its_events(monkeypatch):
    from types import SimpleNamespace

    from nameko_opentelemetry.events import EventHandlerEntrypointAdapter
    from opentelemetry.propagate import extract
    from opentelemetry.sdk.trace import TracerProvider

    from common.tracing import EnvelopeBatchAdapter

    monkeypatch.setattr(EventHandlerEntrypointAdapter, "start_span", lambda self, span, worker_ctx: None)
    first, second, third = (f"00-{n * 32}-b7ad6b716920333{i}-01" for i, n in enumerate("abc"))
    envelopes = [{"event_id": "e1", "trace": {"traceparent": first}}, {"event_id": "e2", "trace": {"traceparent": second}},
                 {"event_id": "e3", "trace": {"traceparent": second}}, {"event_id": "e4", "trace": {}},
                 {"event_id": "e5", "trace": {"traceparent": first}}, {"event_id": "e6", "trace": {"traceparent": third}}]
    worker_ctx = SimpleNamespace(args=(envelopes,), context_data={})
    adapter = EnvelopeBatchAdapter({})
    span = TracerProvider().get_tracer("t").start_span("batch", context=extract(adapter.get_metadata(worker_ctx)))
    adapter.start_span(span, worker_ctx)
    span.end()

    assert format(span.get_span_context().trace_id, "032x") == "a" * 32  # continues the first event's trace
    assert [(format(link.context.trace_id, "032x"), link.attributes["ecoc.event_id"]) for link in span.links] == [
        ("b" * 32, "e2"), ("c" * 32, "e6")]  # each other trace once


def test_an_rpc_whose_publish_fails_ends_its_client_span_in_its_own_context():
    """A call to a service with no queue yet fails in the publish (UnknownService): its client span is ended as
    an error at once, the caller's span is current again, and nothing is left for the garbage collector to
    detach in another context ("Failed to detach context", which nameko_opentelemetry's own wrapper leaves)."""
    script = (
        "import gc, logging, sys\n"
        "from nameko.exceptions import UnknownService\n"
        "from nameko.rpc import Client\n"
        "from opentelemetry import trace\n"
        "from opentelemetry.sdk.trace.export import SimpleSpanProcessor\n"
        "from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter\n"
        "from common.tracing import setup_tracing\n"
        "logging.basicConfig(stream=sys.stdout)\n"
        "exporter = InMemorySpanExporter()\n"
        "setup_tracing('probe', [SimpleSpanProcessor(exporter)])\n"
        "def publish(*args, **kwargs):\n"
        "    raise UnknownService('approvals')\n"
        "client = Client(publish, lambda correlation_id: None, {}, 'approvals', 'health')\n"
        "with trace.get_tracer('t').start_as_current_span('request') as request:\n"
        "    try:\n"
        "        client.call_async()\n"
        "    except UnknownService:\n"
        "        pass\n"
        "    print('current', trace.get_current_span() is request)\n"
        "gc.collect()\n"
        "spans = {s.name: s for s in exporter.get_finished_spans()}\n"
        "rpc = spans['RPC to approvals.health']\n"
        "print('status', rpc.status.status_code.name, rpc.parent.span_id == request.get_span_context().span_id)\n"
        "print('events', [e.name for e in rpc.events])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "current True" in done.stdout
    assert "status ERROR True" in done.stdout
    assert "events ['exception']" in done.stdout
    assert "Failed to detach context" not in done.stdout + done.stderr


def test_a_callers_mistake_is_logged_in_one_line_and_a_failure_with_its_traceback():
    import io
    import json
    import logging.config

    from opentelemetry.sdk.trace import TracerProvider

    from common.config import nameko_config
    from common.logs import CALLER_SUB

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    logging.config.dictConfig(nameko_config("gateway")["LOGGING"])  # as every process configures it
    stream = io.StringIO()
    root.handlers[0].setStream(stream)
    log = logging.getLogger("nameko.containers")
    token = CALLER_SUB.set("dana")
    try:
        with TracerProvider().get_tracer("t").start_as_current_span("work") as span:
            try:
                raise ValueError("no vehicle X")
            except ValueError as exc:
                log.warning("(expected) error handling worker %s: %s", "<worker>", exc, exc_info=True)
                log.exception("error handling worker %s: %s", "<worker>", exc)
    finally:
        CALLER_SUB.reset(token)
        root.handlers[:], root.level = handlers, level
    expected, failure = [json.loads(line) for line in stream.getvalue().splitlines()]  # one JSON object a line
    context = span.get_span_context()
    assert expected == {"time": expected["time"], "level": "WARNING", "service": "gateway",
                        "trace_id": format(context.trace_id, "032x"), "span_id": format(context.span_id, "016x"),
                        "sub": "dana", "logger": "nameko.containers",
                        "message": "(expected) error handling worker <worker>: no vehicle X"}
    assert failure["level"] == "ERROR" and failure["exception"].startswith("Traceback")
    assert "ValueError: no vehicle X" in failure["exception"]


def test_a_log_line_stays_one_line_whatever_the_message_holds():
    import json
    import logging

    from common.logs import JsonFormatter

    message = "GET /v1/vehicles/A\u2028B\x85C\nD\udcff 404"  # a caller's path: line separators, a lone surrogate
    record = logging.LogRecord("gateway.access", logging.INFO, __file__, 1, message, None, None)
    line = JsonFormatter("gateway").format(record)
    assert line.isascii() and len(line.splitlines()) == 1
    assert json.loads(line)["message"] == message
