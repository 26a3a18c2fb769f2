"""application/problem+json responses."""
import json

from werkzeug.wrappers import Response

from common.errors import DomainError
from common.tracing import current_trace_id


class HttpProblem(Exception):
    def __init__(self, status, problem, title, detail, errors=None, headers=None):
        super().__init__(detail)
        self.status, self.problem, self.title, self.detail = status, problem, title, detail
        self.errors = errors or []
        self.headers = headers or {}


def unauthorized(detail):
    return HttpProblem(401, "urn:ecoc:problem:unauthorized", "Unauthorized", detail,
                       headers={"WWW-Authenticate": 'Bearer realm="ecoc"'})


def forbidden(detail):
    return HttpProblem(403, "urn:ecoc:problem:forbidden", "Forbidden", detail)


def not_found(detail):
    return HttpProblem(404, "urn:ecoc:problem:not-found", "Not found", detail)


def invalid(detail, errors):
    return HttpProblem(422, "urn:ecoc:problem:validation", "Invalid input", detail, errors)


def bad_request(detail, field="_body"):
    return HttpProblem(400, "urn:ecoc:problem:bad-request", "Bad request", detail,
                       [{"field": field, "message": detail}])


def problem_response(exc, trace_id=None):
    if isinstance(exc, DomainError):
        exc = HttpProblem(exc.status, exc.problem, exc.title, exc.detail, exc.errors)
    body = {"type": exc.problem, "title": exc.title, "status": exc.status, "detail": exc.detail,
            "errors": exc.errors}
    headers = dict(exc.headers or {})
    trace_id = trace_id or current_trace_id()
    if trace_id:  # the trace of a failed request is the one worth looking up
        headers["X-Trace-Id"] = trace_id
    return Response(json.dumps(body), status=exc.status, mimetype="application/problem+json", headers=headers)


def unsupported_media(detail, accepted):
    """415 for a body of another media type than the route takes (`accepted`: e.g. "application/xml")."""
    return HttpProblem(415, "urn:ecoc:problem:bad-request", "Unsupported media type", detail,
                       [{"field": "Content-Type", "message": f"must be {accepted}"}])


def unknown_entity(entity):
    """The answer for an entity the caller may not see, exactly as for one that does not exist."""
    return invalid("Unknown legal entity.", [{"field": "entity", "message": f"no legal entity {entity}"}])
