"""The gateway's HTTP entrypoint: JSON in and out, every failure as problem+json, never a hang."""
import functools
import json
import logging
import math
import re
import time
from dataclasses import dataclass

import eventlet
from marshmallow import EXCLUDE
from nameko.exceptions import RemoteError, UnknownService
from nameko.web.handlers import HttpRequestHandler
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from common import metrics
from common.errors import DomainError, field_errors, load_or_raise
from common.text import NOT_STORABLE, storable
from common.tracing import current_trace_id
from gateway.idempotency import key_of
from gateway.limits import MAX_JSON_DEPTH, LimitedWebServer, json_depth
from gateway.problems import HttpProblem, bad_request, invalid, problem_response

log = logging.getLogger(__name__)
access_log = logging.getLogger("gateway.access")  # one line a request, with its trace id and caller


class ServiceTimeout(Exception):
    """A service did not answer in time (504). An Exception, unlike `eventlet.Timeout`: nameko's worker only
    turns an Exception into the entrypoint's answer; a BaseException would end the worker and leave the
    HTTP request hanging."""


class HttpEntrypoint(HttpRequestHandler):
    server = LimitedWebServer()  # refuses bodies over ECOC_MAX_BODY_BYTES

    def __init__(self, method, url, **kwargs):
        # a caller's mistake is answered with a 4xx, not logged as a failure of the gateway
        kwargs.setdefault("expected_exceptions", (HttpProblem, DomainError))
        super().__init__(method, url, **kwargs)

    def response_from_exception(self, exc):
        """The problem+json answer to what the route raised, with the trace id the route saw (this runs after
        the worker, and its span, have ended)."""
        problem = problem_of(exc)
        if problem.status == 500:
            if isinstance(exc, RemoteError):
                log.error("remote error: %s %s", exc.exc_type, exc.value)
            else:
                log.exception("unhandled error in gateway", exc_info=exc)
        return problem_response(problem, getattr(exc, "trace_id", None))


def problem_of(exc):
    """The problem answer to what a route raised (500 for anything not foreseen)."""
    if isinstance(exc, (HttpProblem, DomainError)):
        return exc
    if isinstance(exc, HTTPException):
        return HttpProblem(exc.code, "urn:ecoc:problem:http", exc.name, exc.description)
    if isinstance(exc, (ServiceTimeout, eventlet.Timeout)):
        return HttpProblem(504, "urn:ecoc:problem:timeout", "Gateway timeout", "a service did not answer in time")
    if isinstance(exc, UnknownService):
        return HttpProblem(503, "urn:ecoc:problem:unavailable", "Service unavailable",
                           f"service {exc._service_name} is not running")
    return HttpProblem(500, "urn:ecoc:problem:internal", "Internal error",
                       "the request failed inside ecoc; the error is logged")


def _access(spec, request, status, started):
    seconds = time.monotonic() - started
    access_log.info("%s %s %s %.1f ms", request.method, request.path, status, seconds * 1000)
    metrics.HTTP_REQUESTS.labels(spec.method, spec.path, str(status)).inc()
    metrics.HTTP_SECONDS.labels(spec.method, spec.path).observe(seconds)


def json_response(payload, status=200, headers=None):
    headers = dict(headers or {})
    trace_id = current_trace_id()
    if trace_id:
        headers["X-Trace-Id"] = trace_id
    return Response(json.dumps(payload, default=str), status=status, mimetype="application/json", headers=headers)


def json_body(request):
    """The JSON body: finite numbers only, nested at most MAX_JSON_DEPTH levels (422 naming the body)."""
    if request.mimetype != "application/json":
        raise bad_request("the body must be application/json", "Content-Type")
    too_deep = invalid("The body nests too deeply.",
                       [{"field": "_body", "message": f"nested deeper than {MAX_JSON_DEPTH} levels"}])
    try:
        data = json.loads(request.get_data(as_text=True) or "null", parse_constant=_no_constant,
                          parse_float=_finite)
    except ValueError as exc:
        raise bad_request(f"the body is not valid JSON: {exc}") from None
    except RecursionError:  # deeper than the parser goes
        raise too_deep from None
    if json_depth(data) > MAX_JSON_DEPTH:
        raise too_deep
    return data


def _no_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def _finite(text):
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is out of range")
    return number


def with_timeout(seconds, method, *args, **kwargs):
    """`method(*args, **kwargs)` of a service RPC proxy, answered within `seconds`, or ServiceTimeout.

    A call whose answer will never be read still has its client span open (nameko_opentelemetry ends it when
    the reply is read): it is ended here, marked as an error, so a timed-out call shows in its trace."""
    call = method.call_async(*args, **kwargs)
    try:
        with eventlet.Timeout(seconds, ServiceTimeout(f"no answer within {seconds:g} s")):
            return call.result()
    except ServiceTimeout as exc:
        _end_client_span(call, exc)
        raise


def _end_client_span(call, exc):
    from nameko_opentelemetry.rpc import active_spans

    activation, span = active_spans.pop(call, (None, None))
    if activation is not None:
        activation.__exit__(type(exc), exc, exc.__traceback__)  # records the exception, status ERROR
        span.end()


# -- declared routes: one registry that serves requests and generates /openapi.json ----------------

@dataclass(frozen=True)
class Route:
    """What a route is, for the HTTP entrypoint and for the OpenAPI document alike."""

    method: str
    path: str  # OpenAPI form, e.g. /v1/vehicles/{vin}
    summary: str
    roles: tuple | None  # None: open route; (): any role; else one of these (admin holds them all)
    body: type | None  # marshmallow schema of the JSON body; unknown fields are rejected (422)
    query: type | None  # marshmallow schema of the query parameters
    response: type | None  # marshmallow schema of the success body (None: documented as a plain object)
    status: int
    description: str | None
    consumes: tuple  # request media types; more than application/json means the handler reads the body itself
    produces: str
    headers: tuple  # (name, required, description) of request headers the route reads
    errors: tuple  # statuses this route answers beyond the ones its declaration implies (`gateway.openapi`)
    operation_id: str  # what a client generator names the method: the handler's name in camelCase unless given
    tag: str  # the area the operation is listed under: from the path unless given
    example: object  # an example request body (JSON, or the text of an XML or CSV body); None: the schema's
    response_example: object  # an example success body; None: the response schema's
    location: str | None  # where a 201/202 answer points: a template over path parameters and the answer's fields
    retry_after: int | None  # seconds a 202's client waits before it looks at `location`
    cost: object  # `cost(call)`: the rate-limit units a request weighs (rows of a bulk request); None: one


class Call:
    """One request as a declared route's handler gets it: verified caller, checked query, and the body, checked
    when the handler first reads it (so a handler that looks the object up first answers 404 before 422). An HTML
    page's query is checked when first read too, so that the page answers a bad filter as a page."""

    def __init__(self, request, identity, query, load_body=None, load_query=None):
        self.request, self.identity, self._query, self._load_query = request, identity, query, load_query
        self._load_body, self._body = load_body, None

    @property
    def query(self):
        if self._load_query is not None:
            self._query, self._load_query = self._load_query(), None
        return self._query

    @property
    def body(self):
        if self._load_body is not None:
            self._body, self._load_body = self._load_body(), None
        return self._body


ROUTES = []  # every declared route, in declaration order


def route(method, path, *, summary, roles=None, body=None, query=None, response=None, status=200,
          description=None, consumes=None, produces="application/json", headers=(), errors=(), operation_id=None,
          tag=None, example=None, response_example=None, location=None, retry_after=None, cost=None):
    """Declare an HTTP route: `handler(self, call, **path_params)` returns a JSON-able payload (answered with
    `status`) or a werkzeug Response. Authentication and the role check (`roles`), body and query checks
    (marshmallow schemas; bad input is a 422 naming the field) and `Idempotency-Key` on POST happen here, and
    `gateway.openapi` documents the route from the same declaration. The operationId is the handler's name in
    camelCase (`approve_release` -> `approveRelease`) unless `operation_id` names it; the tag is the path's area
    (`/v1/vehicles/...` -> `vehicles`) unless `tag` names it. A 201 or 202 answer carries `Location`, filled
    from `location` (e.g. "/v1/releases/{id}": path parameters, then the answer's fields); a 202 also
    `Retry-After: retry_after`. An authenticated route is rate-limited per caller (`gateway.rate_limits`);
    `cost(call)` says what a bulk request weighs. Example:

        @route("POST", "/v1/releases", roles=("data_steward",), body=ReleaseIn, response=ReleaseRequested,
               status=201, location="/v1/releases/{id}", cost=lambda call: len(call.body["vins"]),
               summary="Request a release of valid vehicles")
        def request_release(self, call):
            return self._rpc("vehicles", "request_release", call.body)
    """
    url = re.sub(r"\{(\w+)\}", r"<string:\1>", path)
    if status in (201, 202) and location is None:
        raise ValueError(f"{method} {path}: a {status} answer needs `location`")

    def decorate(fn):
        spec = Route(method.upper(), path, summary, None if roles is None else tuple(roles), body, query, response,
                     status, description, tuple(consumes or (("application/json",) if body else ())), produces,
                     tuple(headers), tuple(errors), operation_id or camel_case(fn.__name__), tag or area_of(path),
                     example, response_example, location, retry_after if status == 202 else None, cost)
        ROUTES.append(spec)

        @functools.wraps(fn)
        def handler(self, request, **params):
            started = time.monotonic()
            try:
                response = answer(self, request, params)
            except Exception as exc:  # the problem answer is made after this worker's span has ended
                exc.trace_id = current_trace_id()
                _access(spec, request, problem_of(exc).status, started)
                raise
            _access(spec, request, response.status_code, started)
            return response

        def answer(self, request, params):
            identity = None if spec.roles is None else self._who(request, *spec.roles)
            check_text(params, "")
            check_text(request.args.to_dict(), "")

            def execute():
                query_loader = functools.partial(load_query, spec.query, request) if spec.query else None
                page = spec.produces == "text/html"
                query_args = {} if query_loader is None or page else query_loader()
                loader = None
                if spec.body and (request.mimetype == "application/json" or spec.consumes == ("application/json",)):
                    loader = functools.partial(load_body, spec.body, request)
                call = Call(request, identity, query_args, loader, query_loader if page else None)
                limits = {} if identity is None else self.rate_limits.charge(
                    identity["sub"], spec.cost(call) if spec.cost else 1)
                result = fn(self, call, **params)
                response = result if isinstance(result, Response) else json_response(result, status=spec.status)
                response.headers.extend(limits)
                if response.status_code in (201, 202):
                    point_to_result(spec, response, result, params)
                return response

            key = key_of(request) if spec.method == "POST" else None
            if key is None:
                return execute()
            return self.idempotency.run(identity["sub"] if identity else "", key, request, execute)

        return HttpEntrypoint.decorator(spec.method, url)(handler)

    return decorate


def camel_case(name):
    """`approve_release` -> `approveRelease`."""
    first, *rest = name.split("_")
    return first + "".join(word[:1].upper() + word[1:] for word in rest)


def area_of(path):
    """The tag of a path: its first segment after the version (`/v1/vehicles/{vin}` -> `vehicles`)."""
    parts = [p for p in path.split("/") if p and not p.startswith("{")]
    if parts and re.fullmatch(r"v\d+", parts[0]):
        parts = parts[1:]
    return parts[0] if parts else "service"


def point_to_result(spec, response, result, params):
    """`Location` (and on a 202 `Retry-After`) of a 201/202 answer, where the route has not set them."""
    if "Location" not in response.headers:
        if isinstance(result, Response):
            result = json.loads(result.get_data(as_text=True)) if result.mimetype == "application/json" else {}
        fields = {**(result if isinstance(result, dict) else {}), **params}
        response.headers["Location"] = spec.location.format_map(fields)
    if response.status_code == 202 and "Retry-After" not in response.headers and spec.retry_after:
        response.headers["Retry-After"] = str(spec.retry_after)


def load_query(schema, request):
    """The query parameters loaded by `schema` (unknown ones ignored); a bad value is a 422 naming it."""
    return load_or_raise(schema(unknown=EXCLUDE), request.args.to_dict())


def load_body(schema, request):
    """The JSON body as sent, after `schema` checked it (unknown fields rejected); 422 naming each field."""
    data = json_body(request)
    if not isinstance(data, dict):
        raise invalid("The body must be a JSON object.", [{"field": "_body", "message": "must be a JSON object"}])
    if ESCAPED_BAD_TEXT.search(request.get_data()):  # only then walk the body to name the field
        check_text(data, "")
    messages = schema().validate(data)
    if messages:
        raise invalid("The request has invalid fields.", field_errors(messages))
    return data


# a JSON text can carry a NUL or a lone surrogate only as an escape (a raw control character is not JSON)
ESCAPED_BAD_TEXT = re.compile(rb"\\u(0000|[dD][89a-fA-F])")


def check_text(value, path):
    """Every string of a request (keys included) must be storable text: no NUL, no lone surrogate."""
    if isinstance(value, str):
        if not storable(value):
            raise invalid("Text with a NUL or an unpaired surrogate.",
                          [{"field": path or "_body", "message": NOT_STORABLE}])
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, path or "_body")
            check_text(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_text(item, f"{path}[{index}]")

