"""OpenTelemetry setup for every process: nameko instrumentation, OTLP/HTTP export when configured.

Spans are exported only when `OTEL_EXPORTER_OTLP_ENDPOINT` (or the traces-specific variable) is set;
the exporter reads the standard `OTEL_*` variables itself. Broker credentials never leave the process:
any span attribute holding an AMQP URI has its password removed before export.
"""
import logging
import os
import re

from nameko_opentelemetry.events import EventHandlerEntrypointAdapter
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
    name = os.environ.get("OTEL_SERVICE_NAME") or f"ecoc-{service_name}"  # the standard variable wins
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
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
        entrypoint_adapters={
            "gateway.http.HttpEntrypoint": "nameko_opentelemetry.http.HttpEntrypointAdapter",
            "common.events.RetryingEventHandler": "nameko_opentelemetry.events.EventHandlerEntrypointAdapter",
            "services.audit.batching.BatchEventHandler": "common.tracing.EnvelopeBatchAdapter",
        },
    )
    _configured = True
    return provider


class EnvelopeBatchAdapter(EventHandlerEntrypointAdapter):
    """For an entrypoint whose worker gets a list of envelopes (one worker for many messages): the span
    continues the trace of the batch's first event (its envelope's W3C `trace`) and counts the events."""

    def get_metadata(self, worker_ctx):
        envelopes = worker_ctx.args[0] if worker_ctx.args else None
        if isinstance(envelopes, list) and envelopes and isinstance(envelopes[0], dict):
            return envelopes[0].get("trace") or {}
        return super().get_metadata(worker_ctx)

    def get_attributes(self, worker_ctx):
        attributes = super().get_attributes(worker_ctx)
        envelopes = worker_ctx.args[0] if worker_ctx.args else None
        if isinstance(envelopes, list):
            attributes["ecoc.events.count"] = len(envelopes)
        return attributes


def current_trace_id():
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None
