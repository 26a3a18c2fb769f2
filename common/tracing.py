"""OpenTelemetry setup for every process: nameko instrumentation, OTLP/HTTP export when configured.

Spans are exported only when `OTEL_EXPORTER_OTLP_ENDPOINT` (or the traces-specific variable) is set;
the exporter reads the standard `OTEL_*` variables itself. Broker credentials never leave the process:
any span attribute holding an AMQP URI has its password removed before export.
"""
import logging
import os
import re

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

log = logging.getLogger(__name__)

_URI_PASSWORD = re.compile(r"(\w+://[^:/@\s]+:)([^@\s]+)(@)")
_configured = False


def scrub_uri(value):
    return _URI_PASSWORD.sub(r"\1***\3", value) if isinstance(value, str) else value


class ScrubCredentials(SpanProcessor):
    """Removes passwords from URI-valued attributes before any exporter sees the span."""

    def on_end(self, span):
        attributes = getattr(span, "_attributes", None)
        if not attributes:
            return
        cleaned = {k: scrub_uri(v) for k, v in attributes.items()}
        if cleaned != dict(attributes):
            span._attributes = cleaned


def setup_tracing(service_name, extra_processors=()):
    """Install the tracer provider and the nameko instrumentation once per process."""
    global _configured
    if _configured:
        return trace.get_tracer_provider()
    provider = TracerProvider(resource=Resource.create({"service.name": f"ecoc-{service_name}"}))
    provider.add_span_processor(ScrubCredentials())
    for processor in extra_processors:
        provider.add_span_processor(processor)
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        log.info("exporting traces over OTLP/HTTP")
    trace.set_tracer_provider(provider)

    from nameko_opentelemetry import NamekoInstrumentor

    NamekoInstrumentor().instrument(
        send_headers=False, send_request_payloads=False, send_response_payloads=False,
        entrypoint_adapters={"gateway.http.HttpEntrypoint": "nameko_opentelemetry.http.HttpEntrypointAdapter"},
    )
    _configured = True
    return provider


def current_trace_id():
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None
