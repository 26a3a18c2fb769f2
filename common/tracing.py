"""OpenTelemetry setup for every process: nameko instrumentation, OTLP/HTTP export when configured.

Spans are exported only when `OTEL_EXPORTER_OTLP_ENDPOINT` (or the traces-specific variable) is set;
the exporter reads the standard `OTEL_*` variables itself. Broker credentials never leave the process:
any span attribute holding an AMQP URI has its password removed before export.
"""
import logging
import os
import re

from nameko_opentelemetry.entrypoints import EntrypointAdapter
from nameko_opentelemetry.events import EventHandlerEntrypointAdapter
from nameko_opentelemetry.http import HttpEntrypointAdapter
from opentelemetry import trace
from opentelemetry.instrumentation import wsgi
from opentelemetry.propagate import extract, inject
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
            "gateway.http.HttpEntrypoint": "common.tracing.HttpAdapter",
            "common.events.RetryingEventHandler": "nameko_opentelemetry.events.EventHandlerEntrypointAdapter",
            "services.audit.batching.BatchEventHandler": "common.tracing.EnvelopeBatchAdapter",
        },
    )
    _close_client_span_when_a_call_fails(provider.get_tracer(__name__))
    _configured = True
    return provider


def _close_client_span_when_a_call_fails(tracer):
    """nameko_opentelemetry enters an RPC's client span before it publishes the request, and leaves it when the
    reply is read; when the publish itself raises (UnknownService: no queue for the service yet), it never
    leaves it: the span is lost, and when the garbage collector closes the activation it detaches a context
    token in another context ("Failed to detach context"). This replaces its `Client._call` wrapper with one
    that ends the span, as an error, in the same context it entered it."""
    import nameko.rpc
    from nameko_opentelemetry.rpc import active_spans
    from opentelemetry.instrumentation.utils import unwrap
    from wrapt import wrap_function_wrapper

    def start_call(wrapped, client, args, kwargs):
        span = tracer.start_span(f"RPC to {client.identifier}", kind=trace.SpanKind.CLIENT, attributes={
            "nameko.rpc.target_service": client.service_name, "nameko.rpc.target_method": client.method_name})
        activation = trace.use_span(span)
        activation.__enter__()
        try:
            inject(client.context_data)
            call = wrapped(*args, **kwargs)
        except BaseException as exc:
            activation.__exit__(type(exc), exc, exc.__traceback__)  # records it, status ERROR, detaches here
            span.end()
            raise
        span.set_attribute("nameko.rpc.correlation_id", call.correlation_id)
        active_spans[call] = (activation, span)  # left when the reply is read (nameko_opentelemetry)
        return call

    unwrap(nameko.rpc.Client, "_call")
    wrap_function_wrapper("nameko.rpc", "Client._call", start_call)


class HttpAdapter(HttpEntrypointAdapter):
    """nameko_opentelemetry's HTTP adapter reads the whole request body as the span starts, even with payloads
    off, and outside the worker's error handling: a body the gateway refuses (over its size limit, or cut short
    by the client) would end the gateway's container there. This one leaves the body to the route."""

    def get_attributes(self, worker_ctx):
        attributes = EntrypointAdapter.get_attributes(self, worker_ctx)
        for name in ("call_args", "call_args_redacted", "call_args_truncated"):
            attributes.pop(name, None)
        attributes.update(wsgi.collect_request_attributes(self.request(worker_ctx).environ))
        return attributes


class EnvelopeBatchAdapter(EventHandlerEntrypointAdapter):
    """For an entrypoint whose worker gets a list of envelopes (one worker for many messages): the span
    continues the trace of the batch's first event (its envelope's W3C `trace`), links the span of every other
    trace in the batch (so each event's trace leads to the batch that recorded it) and counts the events."""

    def get_metadata(self, worker_ctx):
        envelopes = _envelopes(worker_ctx)
        if envelopes:
            return envelopes[0].get("trace") or {}
        return super().get_metadata(worker_ctx)

    def start_span(self, span, worker_ctx):
        super().start_span(span, worker_ctx)
        if not span.is_recording():
            return
        own = span.get_span_context().trace_id
        linked = set()
        for envelope in _envelopes(worker_ctx)[1:]:
            parent = trace.get_current_span(extract(envelope.get("trace") or {})).get_span_context()
            if parent.is_valid and parent.trace_id != own and parent.trace_id not in linked:
                linked.add(parent.trace_id)
                span.add_link(parent, {"ecoc.event_id": str(envelope.get("event_id"))})

    def get_attributes(self, worker_ctx):
        attributes = super().get_attributes(worker_ctx)
        if worker_ctx.args and isinstance(worker_ctx.args[0], list):
            attributes["ecoc.events.count"] = len(worker_ctx.args[0])
        return attributes


def _envelopes(worker_ctx):
    envelopes = worker_ctx.args[0] if worker_ctx.args else None
    return [e for e in envelopes if isinstance(e, dict)] if isinstance(envelopes, list) else []


def current_trace_id():
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None
