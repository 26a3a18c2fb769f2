"""The OpenAPI 3.1 description of the v1 contract, generated from the declared routes (`gateway.http.route`)
and their marshmallow schemas.

What a client generator needs comes from the declarations too: the operationId and tag of each route, an
example of every request body and main answer (the route's own, else its schema's in `gateway.examples`), the
errors each operation can really answer (`error_codes`: what its declaration implies, plus its `errors`),
`Location` on 201/202 and `Retry-After` on 202. CoC data references `CocData`, the schema generated from the
official IVI 2.0 schema (`common.ivi.json_schema`); without that schema configured it is an open object.
`tests/unit/test_openapi_lint.py` holds every operation, those added later included, to these rules."""
from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import INCLUDE, Schema, fields

from common.contracts.coc import CocField
from common.contracts.vehicles import VehicleIn
from gateway import examples
from gateway.dashboard.session import COOKIE as SESSION_COOKIE

PROBLEM_MEDIA = "application/problem+json"
COC_REF = {"$ref": "#/components/schemas/CocData"}

# what each error status means
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
    429: "The caller's rate limit is spent: retry after `Retry-After` seconds",
    503: "A service is unavailable",
    504: "A service did not answer in time",
}

TAGS = {  # the areas, in the order a reader meets them; an area without a line here is listed after these
    "entities": "Legal entities: manufacturers and EU representatives, their signatories and seal certificates",
    "approvals": "Type approvals: registration, extensions, withdrawal and their impact on vehicles",
    "vehicles": "Vehicles: import, edits, corrections, history and certificates",
    "releases": "Releases: request, four-eyes review and signing",
    "certificates": "Signed eCoC documents checked by anyone",
    "audit": "The audit trail and evidence packs",
    "rules": "The validation rule catalogue",
    "dashboard": "What needs attention, as JSON and as HTML pages for people",
    "service": "Health, this contract and its interactive documentation",
}
SERVERS = [{"url": "/", "description": "the gateway that serves this document"}]

IDEMPOTENCY_KEY = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "description": "Makes a POST safe to retry: a replay by the same caller with the same body returns the first "
                   "response (with `Idempotent-Replayed: true`); the same key with another body is 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
LOCATION = {"description": "the URL of what was made or started", "schema": {"type": "string"}}
RETRY_AFTER = {"description": "seconds to wait before looking at `Location` (on a 429: before trying again)",
               "schema": {"type": "integer"}}
RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": {"description": "the size of the caller's bucket (units: a request, or a row of a bulk one)",
                        "schema": {"type": "integer"}},
    "RateLimit-Remaining": {"description": "units left in the bucket", "schema": {"type": "integer"}},
    "RateLimit-Reset": {"description": "seconds until the bucket is full again", "schema": {"type": "integer"}},
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


def error_codes(spec):
    """The error statuses an operation can answer: those its declaration implies, plus its own `errors`."""
    codes = {414, 422}  # any request line may be too long; any query or path text may be refused (NUL)
    if spec.consumes:
        codes |= {400, 413}  # a body that is not what it says, or too large
    if spec.roles is not None:
        codes |= {401, 403, 429}  # the token, the roles it carries, and the caller's rate limit
    if "{" in spec.path:
        codes.add(404)  # the object named, or one outside the caller's entities
    if spec.method != "GET":
        codes.add(409)  # the state of the object (and for POST, the same Idempotency-Key still running)
    if spec.path.startswith("/v1/"):
        codes |= {503, 504}  # a service it calls is down or slow
    return sorted(codes | set(spec.errors))


def _operation(spec):
    operation = {"operationId": spec.operation_id, "summary": spec.summary, "tags": [spec.tag]}
    if spec.description:
        operation["description"] = spec.description
    if spec.roles is not None:
        operation["security"] = [{"bearer": []}]
    elif 303 in spec.errors and spec.method == "GET" and spec.status != 303:  # a page: the session, or a bearer
        operation["security"] = [{"session": []}, {"bearer": []}]
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
                content[media] = _with_example({"schema": spec.body or {"type": "object"}}, examples.request(spec))
            else:
                schema = {"type": "string", "contentMediaType": media} if media == "application/zip" else \
                    {"type": "string"}
                content[media] = _with_example({"schema": schema}, examples.text_request(spec, media))
        operation["requestBody"] = {"required": True, "content": content}

    if spec.produces == "application/json":
        success = _with_example({"schema": spec.response or {"type": "object"}}, examples.response(spec))
    elif spec.produces in ("application/zip",):
        success = {"schema": {"type": "string", "contentMediaType": spec.produces}}
    else:
        success = {"schema": {"type": "string"}}
    main = {"description": "success", "content": {spec.produces: success}}
    if spec.status == 204:
        main = {"description": "done: nothing to answer"}
    if spec.status in (201, 202):
        main["headers"] = {"Location": LOCATION}
        if spec.status == 202:
            main["headers"]["Retry-After"] = RETRY_AFTER
    if spec.roles is not None:
        main.setdefault("headers", {}).update(RATE_LIMIT_HEADERS)
    responses = {str(spec.status): main}
    for extra in _success_alternatives(spec):
        responses.setdefault(str(extra), {"description": "success (nothing new)",
                                          "content": {spec.produces: success}})
        if spec.roles is not None:
            responses[str(extra)]["headers"] = dict(RATE_LIMIT_HEADERS)
    for code in error_codes(spec):
        if code == 303:  # a redirect has no body
            responses[str(code)] = {"description": ERRORS[code], "headers": {"Location": LOCATION}}
            continue
        if code == 414:  # answered by the HTTP server before the gateway sees the request
            responses[str(code)] = {"description": ERRORS[code]}
            continue
        content = {PROBLEM_MEDIA: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        if code == 429:
            responses[str(code)] = {"description": ERRORS[code], "content": content,
                                    "headers": dict(RATE_LIMIT_HEADERS, **{"Retry-After": RETRY_AFTER})}
            continue
        # a page, or a download from a page, answers a person's mistake with a page
        if (spec.produces == "text/html" or spec.path.startswith("/dashboard/")) and code != 413:
            content["text/html"] = {"schema": {"type": "string"}}
        responses[str(code)] = {"description": ERRORS[code], "content": content}
    operation["responses"] = responses
    return operation


def _with_example(media, example):
    if example is not None:
        media["example"] = example
    return media


def _success_alternatives(spec):
    """Routes that answer 201 when something new was made answer 200 when the request changed nothing."""
    return (200,) if spec.status == 201 and spec.method == "POST" else ()


def _path_params(path):
    return [part.strip("{}") for part in path.split("/") if part.startswith("{")]


def _coc_reference(converter, field, **_):
    """A CoC field references the generated `CocData` schema (null where the field allows it)."""
    if not isinstance(field, CocField):
        return {}
    return {"anyOf": [COC_REF, {"type": "null"}]} if field.allow_none else COC_REF


def _coc_schemas():
    """`CocData` and its groups from the configured IVI schema; an open object where there is none."""
    from common.config import settings
    from common.ivi import load_schema, schema_available
    from common.ivi.json_schema import ROOT, coc_component_schemas

    path = settings().schema_path
    if not schema_available(path):
        return {ROOT: {"type": "object", "description": "IVI 2.0 CoC data: element names below `CocDataGroup`; "
                                                        "a `…Table` is a list of its group's objects."}}
    return coc_component_schemas(load_schema(path))


@lru_cache(maxsize=1)
def openapi_document():
    from gateway.http import ROUTES
    import gateway.service  # noqa: F401 - declares every route

    plugin = MarshmallowPlugin()
    spec = APISpec(title="ecoc gateway", version="1.0.0", openapi_version="3.1.0", plugins=[plugin],
                   servers=SERVERS, info={"description": "The v1 HTTP API of ecoc: see docs/api.md."})
    plugin.converter.add_attribute_function(_coc_reference)
    for name, schema in _coc_schemas().items():
        spec.components.schema(name, schema)
    spec.components.schema("Problem", schema=Problem)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.security_scheme("session", {
        "type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
        "description": "the dashboard's session, set by `POST /dashboard/login`"})
    spec.components.schema("VehicleIn", schema=VehicleIn)  # a row of an import, checked row by row
    paths, used = {}, []
    for declared in ROUTES:
        paths.setdefault(declared.path, {})[declared.method.lower()] = _operation(declared)
        used.append(declared.tag)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    for tag in sorted(set(used), key=lambda t: (list(TAGS).index(t) if t in TAGS else len(TAGS), t)):
        document.setdefault("tags", []).append({"name": tag, "description": TAGS.get(tag, f"The {tag} routes")})
    return _plain_references(document)


def _plain_references(node):
    """A CoC field is its reference alone (apispec adds the type of the marshmallow field beside it)."""
    if isinstance(node, dict):
        if node.get("$ref") == COC_REF["$ref"]:
            return {key: node[key] for key in ("$ref", "description") if key in node}
        return {key: _plain_references(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain_references(value) for value in node]
    return node
