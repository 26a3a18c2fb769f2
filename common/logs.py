"""Logging of every ecoc process: the trace id on every line, and a handler that tpool threads can use.

Configured by `common.config.nameko_config(...)["LOGGING"]`.
"""
import logging

from eventlet import patcher

from common.tracing import current_trace_id

_OS_RLOCK = patcher.original("threading").RLock


class TraceIdFilter(logging.Filter):
    """Puts the current trace id (or "-") on every log record as `trace_id`, for the log format."""

    def filter(self, record):
        record.trace_id = current_trace_id() or "-"
        return True


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
