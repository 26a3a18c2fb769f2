"""The gateway's HTTP entrypoint: JSON in and out, every failure as problem+json, never a hang."""
import json
import logging

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from nameko.web.handlers import HttpRequestHandler
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from common.errors import DomainError
from common.tracing import current_trace_id
from gateway.problems import HttpProblem, bad_request, problem_response

log = logging.getLogger(__name__)


class HttpEntrypoint(HttpRequestHandler):
    def __init__(self, method, url, **kwargs):
        # a caller's mistake is answered with a 4xx, not logged as a failure of the gateway
        kwargs.setdefault("expected_exceptions", (HttpProblem, DomainError))
        super().__init__(method, url, **kwargs)

    def response_from_exception(self, exc):
        if isinstance(exc, (HttpProblem, DomainError)):
            return problem_response(exc)
        if isinstance(exc, HTTPException):
            return problem_response(HttpProblem(exc.code, "urn:ecoc:problem:http", exc.name, exc.description))
        if isinstance(exc, eventlet.Timeout):
            return problem_response(HttpProblem(504, "urn:ecoc:problem:timeout", "Gateway timeout",
                                                "a service did not answer in time"))
        if isinstance(exc, UnknownService):
            return problem_response(HttpProblem(503, "urn:ecoc:problem:unavailable", "Service unavailable",
                                                f"service {exc._service_name} is not running"))
        if isinstance(exc, RemoteError):
            log.error("remote error: %s %s", exc.exc_type, exc.value)
        else:
            log.exception("unhandled error in gateway", exc_info=exc)
        return problem_response(HttpProblem(500, "urn:ecoc:problem:internal", "Internal error",
                                            "the request failed inside ecoc; the error is logged"))


http = HttpEntrypoint.decorator


def json_response(payload, status=200, headers=None):
    headers = dict(headers or {})
    trace_id = current_trace_id()
    if trace_id:
        headers["X-Trace-Id"] = trace_id
    return Response(json.dumps(payload, default=str), status=status, mimetype="application/json", headers=headers)


def json_body(request):
    if request.mimetype != "application/json":
        raise bad_request("the body must be application/json", "Content-Type")
    try:
        return json.loads(request.get_data(as_text=True) or "null")
    except ValueError as exc:
        raise bad_request(f"the body is not valid JSON: {exc}") from None


def with_timeout(seconds, call, *args, **kwargs):
    with eventlet.Timeout(seconds):
        return call(*args, **kwargs)
