"""The OpenAPI 3.1 description of the v1 contract, generated from the marshmallow schemas."""
from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from common.contracts.approvals import ApprovalIn, EntityBody
from common.contracts.vehicles import RejectIn, ReleaseIn, VehicleIn


class ProblemField(Schema):
    field = fields.String()
    message = fields.String()


class Problem(Schema):
    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.List(fields.Nested(ProblemField))


class ImportBody(Schema):
    vehicles = fields.List(fields.Nested(VehicleIn), required=True)


# (method, path, summary, role, request schema, success status)
ROUTES = [
    ("get", "/health", "Liveness of the gateway and reachability of each service", None, None, 200),
    ("get", "/openapi.json", "This contract", None, None, 200),
    ("put", "/v1/entities/{code}", "Register or update a legal entity", "admin", EntityBody, 200),
    ("get", "/v1/entities/{code}", "A legal entity", "viewer", None, 200),
    ("post", "/v1/approvals", "Register a type approval", "approvals_manager", ApprovalIn, 201),
    ("get", "/v1/approvals", "Find approvals by number", "viewer", None, 200),
    ("get", "/v1/approvals/{id}", "An approval with its extension history", "viewer", None, 200),
    ("post", "/v1/vehicles/import", "Bulk import of vehicles", "data_steward", ImportBody, 200),
    ("get", "/v1/vehicles", "List vehicles", "viewer", None, 200),
    ("get", "/v1/vehicles/{vin}", "A vehicle with status, revision and findings", "viewer", None, 200),
    ("get", "/v1/vehicles/{vin}/history", "Every revision of a vehicle", "viewer", None, 200),
    ("get", "/v1/vehicles/{vin}/certificate", "The current signed eCoC (exact bytes)", "viewer", None, 200),
    ("get", "/v1/vehicles/{vin}/certificates", "All certificate versions of a vehicle", "viewer", None, 200),
    ("post", "/v1/certificates/verify", "Verify an eCoC document", "any", None, 200),
    ("post", "/v1/releases", "Request a release of valid vehicles", "data_steward", ReleaseIn, 201),
    ("get", "/v1/releases/{id}", "A release with per-VIN state", "viewer", None, 200),
    ("post", "/v1/releases/{id}/approve", "Approve a release (four-eyes)", "reviewer", None, 200),
    ("post", "/v1/releases/{id}/reject", "Reject a release (four-eyes)", "reviewer", RejectIn, 200),
    ("post", "/v1/releases/{id}/sign", "Sign an approved release", "signer", None, 202),
    ("get", "/v1/audit", "Audit entries for a subject", "auditor", None, 200),
    ("get", "/v1/audit/verify", "Re-hash the audit chain", "auditor", None, 200),
]

ERRORS = {"401": "Missing or invalid token", "403": "Role or four-eyes rule forbids it",
          "404": "Not found (or outside the caller's entities)", "422": "Invalid input, fields named",
          "503": "A service is unavailable", "504": "A service did not answer in time"}


@lru_cache(maxsize=1)
def openapi_document():
    spec = APISpec(title="ecoc gateway", version="1.0.0", openapi_version="3.1.0", plugins=[MarshmallowPlugin()])
    spec.components.schema("Problem", schema=Problem)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    paths = {}
    for method, path, summary, role, body, status in ROUTES:
        operation = {"summary": summary, "responses": {str(status): {"description": "success"}}}
        if role:
            operation["security"] = [{"bearer": []}]
            operation["description"] = f"Role: {role}."
            for code, text in ERRORS.items():
                operation["responses"][code] = {
                    "description": text,
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        if body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        params = [p.strip("{}") for p in path.split("/") if p.startswith("{")]
        if params:
            operation["parameters"] = [{"in": "path", "name": p, "required": True, "schema": {"type": "string"}}
                                       for p in params]
        paths.setdefault(path, {})[method] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
