"""The OpenAPI 3.1 description of the v1 contract, generated from the marshmallow schemas."""
from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from common.contracts.approvals import ApprovalIn, EntityBody, ExtensionIn, WithdrawalIn
from common.contracts.vehicles import (
    CorrectionIn, RejectIn, ReleaseIn, VehicleIn, VehiclePatch, VehicleWithdrawalIn, csv_columns_description,
)


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
    reason = fields.String()


# (method, path, summary, role, request schema, success status)
ROUTES = [
    ("get", "/health", "Liveness of the gateway and reachability of each service", None, None, 200),
    ("get", "/openapi.json", "This contract", None, None, 200),
    ("put", "/v1/entities/{code}", "Register or update a legal entity", "admin", EntityBody, 200),
    ("get", "/v1/entities/{code}", "A legal entity", "viewer", None, 200),
    ("post", "/v1/approvals", "Register a type approval", "approvals_manager", ApprovalIn, 201),
    ("get", "/v1/approvals", "Find approvals by number", "viewer", None, 200),
    ("get", "/v1/approvals/{id}", "An approval with its extension history", "viewer", None, 200),
    ("post", "/v1/approvals/from-ivi", "Register an approval, or add its version, from an IVI 2.0 message "
     "(application/xml, ?entity=CODE)", "approvals_manager", None, 201),
    ("post", "/v1/approvals/{id}/extensions", "A new extension (immutable revision)", "approvals_manager",
     ExtensionIn, 201),
    ("post", "/v1/approvals/{id}/withdrawal", "Withdraw an approval with effect from a date", "approvals_manager",
     WithdrawalIn, 200),
    ("get", "/v1/approvals/{id}/impact", "Vehicles an approval change touches", "viewer", None, 200),
    ("post", "/v1/vehicles/import", "Bulk import of vehicles (JSON or CSV)", "data_steward", ImportBody, 200),
    ("post", "/v1/vehicles/from-ivi", "A vehicle record from an IVI 2.0 message (application/xml; ?entity=CODE, "
     "?production_date= and ?intended_country= when the message has none; ?stage=base keeps it as the earlier "
     "stage of a multi-stage vehicle)", "data_steward", None, 201),
    ("patch", "/v1/vehicles/{vin}", "Change an unreleased vehicle (If-Match: \"<revision>\" required: 428 "
     "without, 412 when stale; coc is a JSON merge patch)", "data_steward", VehiclePatch, 200),
    ("post", "/v1/vehicles/{vin}/corrections", "Correct a released vehicle: back through validation, review and "
     "signing; the next certificate has IviVersionNumber + 1", "data_steward", CorrectionIn, 201),
    ("post", "/v1/vehicles/{vin}/withdrawal", "Withdraw a released vehicle's certificate, with reason",
     "signer", VehicleWithdrawalIn, 200),
    ("get", "/v1/vehicles/{vin}/stages", "Earlier stages' eCoC data of a multi-stage vehicle", "viewer", None, 200),
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
    ("get", "/v1/rules", "The validation rule catalogue (optional ?pack= and ?category= filters)", "any", None, 200),
]

# a longer description of a route, after its role
DESCRIPTIONS = {("post", "/v1/vehicles/import"): csv_columns_description()}

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
            operation["description"] = " ".join(filter(None, [f"Role: {role}.", DESCRIPTIONS.get((method, path))]))
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
