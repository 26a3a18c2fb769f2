"""Logging of every ecoc process: one JSON object a line (time, level, service, trace and span id, the caller's
`sub` where known, logger, message, and the traceback of a failure), or the plain format for a person at a
terminal (`ECOC_LOG_FORMAT=plain`); a handler that tpool threads can use.

Configured by `common.config.nameko_config(...)["LOGGING"]`.
"""
import contextvars
import json
import logging
from datetime import datetime, timezone

from eventlet import patcher
from opentelemetry import trace

_OS_RLOCK = patcher.original("threading").RLock

# the `sub` of the caller a worker serves (set where the identity is verified); each green thread has its own
CALLER_SUB = contextvars.ContextVar("ecoc_caller_sub", default=None)



class TraceIdFilter(logging.Filter):
    """Puts the current trace and span id (or "-") and the caller's `sub` on every log record (`trace_id`,
    `span_id`, `sub`), for the log formats."""

    def filter(self, record):
        context = trace.get_current_span().get_span_context()
        record.trace_id = format(context.trace_id, "032x") if context.is_valid else "-"
        record.span_id = format(context.span_id, "016x") if context.is_valid else "-"
        record.sub = CALLER_SUB.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for log collectors; `service` names the process."""

    def __init__(self, service="ecoc"):
        super().__init__()
        self.service = service

    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "trace_id": _known(getattr(record, "trace_id", None)),
            "span_id": _known(getattr(record, "span_id", None)),
            "sub": getattr(record, "sub", None),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            record.exc_text = record.exc_text or self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, default=str)  # ASCII: no character of a message can break the line


def _known(value):
    return None if value in (None, "-") else value


class ExpectedErrorFilter(logging.Filter):
    """A caller's mistake (an entrypoint's expected exception: 4xx at the gateway, a refused RPC in a service)
    is logged by nameko as a warning with its traceback; it is kept as one line, without the traceback: the
    traceback says nothing an operator can act on, and it buries the real failures."""

    def filter(self, record):
        if record.name == "nameko.containers" and str(record.msg).startswith("(expected)"):
            record.exc_info, record.exc_text = None, None
        return True


class StreamHandler(logging.StreamHandler):
    """`logging.StreamHandler` with an OS lock instead of eventlet's green one.

    Code that runs in `eventlet.tpool` threads (key generation, sealing, XSD checks) may log; a green lock
    waited on from another OS thread crashes the hub ("Cannot switch to a different thread"). The lock is
    only held while a line is written, which never yields to another green thread."""

    def createLock(self):  # noqa: N802 - logging's naming
        self.lock = _OS_RLOCK()
