"""The OpenAPI 3.1 description of the v1 contract, generated from the declared routes (`gateway.http.route`)
and their marshmallow schemas."""
from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import INCLUDE, Schema, fields

PROBLEM_MEDIA = "application/problem+json"

# what each error status means; every authenticated route may answer these
ERRORS = {
    303: "See other: a dashboard page sends a browser that is not signed in to the login form",
    400: "Malformed request (body not JSON, wrong Content-Type)",
    401: "Missing or invalid token",
    403: "Role, signatory or four-eyes rule forbids it",
    404: "Not found (or outside the caller's entities)",
    409: "Conflict with the current state, or a request with this Idempotency-Key is still running",
    412: "If-Match names a revision that is no longer current",
    413: "Body larger than ECOC_MAX_BODY_BYTES: refused from its Content-Length before it is read (a chunked body "
         "when it passes the limit), and the connection is closed",
    414: "Request line (path and query) longer than 8,192 bytes: the HTTP server refuses it, with no body",
    415: "Unsupported media type",
    422: "Invalid input, fields named (also: Idempotency-Key reused with another body)",
    428: "If-Match is required",
    503: "A service is unavailable",
    504: "A service did not answer in time",
}
# any route may meet bad input, an overlong URL, a missing object, a conflict or an unavailable service; /v1
# routes also answer for the token and the roles
OPEN_ERRORS = (400, 404, 409, 414, 422, 503, 504)
AUTHENTICATED_ERRORS = OPEN_ERRORS + (401, 403)

IDEMPOTENCY_KEY = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "description": "Makes a POST safe to retry: a replay by the same caller with the same body returns the first "
                   "response (with `Idempotent-Replayed: true`); the same key with another body is 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


class ProblemField(Schema):
    class Meta:
        unknown = INCLUDE

    field = fields.String(required=True)
    message = fields.String(required=True)


class Problem(Schema):
    """application/problem+json (RFC 9457) with the offending fields named."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.List(fields.Nested(ProblemField), required=True)


def _operation(spec):
    operation = {"summary": spec.summary, "operationId": f"{spec.method.lower()}_{spec.path}"}
    if spec.description:
        operation["description"] = spec.description
    if spec.roles is not None:
        operation["security"] = [{"bearer": []}]
        roles = " or ".join(spec.roles) if spec.roles else "any role"
        operation["description"] = " ".join(filter(None, [f"Role: {roles}.", spec.description]))

    parameters = [{"in": "path", "name": name, "required": True, "schema": {"type": "string", "minLength": 1}}
                  for name in _path_params(spec.path)]
    if spec.query is not None:
        parameters.append({"in": "query", "schema": spec.query})
    for name, required, text in spec.headers:
        parameters.append({"in": "header", "name": name, "required": required, "description": text,
                           "schema": {"type": "string"}})
    if spec.method == "POST":
        parameters.append(IDEMPOTENCY_KEY)
    if parameters:
        operation["parameters"] = parameters

    if spec.consumes:
        content = {}
        for media in spec.consumes:
            if media == "application/json":
                content[media] = {"schema": spec.body or {"type": "object"}}
            else:
                content[media] = {"schema": {"type": "string"}}
        operation["requestBody"] = {"required": True, "content": content}

    if spec.produces == "application/json":
        success = {"schema": spec.response or {"type": "object"}}
    else:
        success = {"schema": {"type": "string"}}
    responses = {str(spec.status): {"description": "success", "content": {spec.produces: success}}}
    for extra in _success_alternatives(spec):
        responses.setdefault(str(extra), {"description": "success (nothing new)",
                                          "content": {spec.produces: success}})
    codes = (AUTHENTICATED_ERRORS if spec.roles is not None else OPEN_ERRORS) + spec.errors
    if spec.consumes:
        codes += (413,)
    for code in sorted(set(codes)):
        if code == 303:  # a redirect has no body
            responses[str(code)] = {"description": ERRORS[code], "headers": {"Location": {"schema": {"type": "string"}}}}
            continue
        if code == 414:  # answered by the HTTP server before the gateway sees the request
            responses[str(code)] = {"description": ERRORS[code]}
            continue
        content = {PROBLEM_MEDIA: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        # a page, or a download from a page, answers a person's mistake with a page
        if (spec.produces == "text/html" or spec.path.startswith("/dashboard/")) and code != 413:
            content["text/html"] = {"schema": {"type": "string"}}
        responses[str(code)] = {"description": ERRORS[code], "content": content}
    operation["responses"] = responses
    return operation


def _success_alternatives(spec):
    """Routes that answer 201 when something new was made answer 200 when the request changed nothing."""
    return (200,) if spec.status == 201 and spec.method == "POST" else ()


def _path_params(path):
    return [part.strip("{}") for part in path.split("/") if part.startswith("{")]


@lru_cache(maxsize=1)
def openapi_document():
    from gateway.http import ROUTES
    import gateway.service  # noqa: F401 - declares every route

    spec = APISpec(title="ecoc gateway", version="1.0.0", openapi_version="3.1.0", plugins=[MarshmallowPlugin()])
    spec.components.schema("Problem", schema=Problem)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    paths = {}
    for declared in ROUTES:
        paths.setdefault(declared.path, {})[declared.method.lower()] = _operation(declared)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
