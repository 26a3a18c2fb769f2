"""Vehicles: import (JSON, CSV, IVI), edits with optimistic concurrency, corrections, withdrawal, history,
earlier stages and certificates."""
from werkzeug.wrappers import Response

from common.contracts.vehicles import PreconditionFailed  # noqa: F401 - registers it for RPC deserialisation
from gateway.auth import may_see
from gateway.http import http, json_body, json_response
from gateway.problems import HttpProblem, forbidden, invalid
from gateway.routes.paging import limit_param


def vehicle_response(vehicle, status=200):
    """A vehicle with its revision as ETag, the value a later If-Match names."""
    return json_response(vehicle, status=status, headers={"ETag": f'"{vehicle["revision"]}"'})


def if_match(request, required=True):
    """The revision an If-Match header names; None when absent and not required (then 428 when required)."""
    raw = request.headers.get("If-Match")
    if raw is None:
        if not required:
            return None
        raise HttpProblem(428, "urn:ecoc:problem:precondition-required", "Precondition required",
                          "a change needs If-Match: \"<revision>\" (the ETag of the vehicle as you read it)",
                          [{"field": "If-Match", "message": "required"}])
    tag = raw.strip().removeprefix("W/").strip('"')
    try:
        return int(tag)
    except ValueError:
        return -1  # names no revision: the service answers 412 with the current one


def text_body(request, what):
    try:
        return request.get_data(as_text=False).decode("utf-8")
    except UnicodeDecodeError:
        raise invalid(f"The {what} is not UTF-8.", [{"field": "_body", "message": "not UTF-8"}]) from None


class VehicleRoutes:

    @http("POST", "/v1/vehicles/import")
    def import_vehicles(self, request):
        self._who(request, "data_steward")
        if request.mimetype == "text/csv":
            return json_response(self._rpc("vehicles", "import_csv", text_body(request, "CSV file"),
                                           request.args.get("reason")))
        return json_response(self._rpc("vehicles", "import_vehicles", json_body(request)))

    @http("POST", "/v1/vehicles/from-ivi")
    def vehicle_from_ivi(self, request):
        identity = self._who(request, "data_steward")
        if request.mimetype not in ("application/xml", "text/xml"):
            raise HttpProblem(415, "urn:ecoc:problem:bad-request", "Unsupported media type",
                              "the body must be an IVI 2.0 XML document (application/xml)",
                              [{"field": "Content-Type", "message": "must be application/xml"}])
        params = request.args.to_dict()
        entity = params.get("entity")
        if isinstance(entity, str) and not may_see(identity, entity):
            raise invalid("Unknown legal entity.", [{"field": "entity", "message": f"no legal entity {entity}"}])
        result = self._rpc("vehicles", "import_ivi", text_body(request, "document"), params)
        created = 201 if result["outcome"] in ("accepted", "base_stage") else 200
        if "stage" in result:  # ?stage=base: an earlier stage's eCoC, not a vehicle record
            return json_response(result, status=created)
        return vehicle_response(result, status=created)

    @http("GET", "/v1/vehicles")
    def list_vehicles(self, request):
        self._who(request)
        args = request.args
        limit = limit_param(args.get("limit"))
        return json_response(self._rpc("vehicles", "list", args.get("status"), args.get("entity"),
                                       args.get("approval_number"), limit, args.get("cursor")))

    @http("GET", "/v1/vehicles/<string:vin>")
    def get_vehicle(self, request, vin):
        self._who(request)
        return vehicle_response(self._rpc("vehicles", "get", vin))

    @http("PATCH", "/v1/vehicles/<string:vin>")
    def patch_vehicle(self, request, vin):
        self._who(request, "data_steward")
        revision = if_match(request)
        return vehicle_response(self._rpc("vehicles", "update", vin, json_body(request), revision))

    @http("POST", "/v1/vehicles/<string:vin>/corrections")
    def correct_vehicle(self, request, vin):
        self._who(request, "data_steward")
        revision = if_match(request, required=False)
        return vehicle_response(self._rpc("vehicles", "correct", vin, json_body(request), revision), status=201)

    @http("POST", "/v1/vehicles/<string:vin>/withdrawal")
    def withdraw_vehicle(self, request, vin):
        identity = self._who(request, "signer")
        body = json_body(request)
        vehicle = self._rpc("vehicles", "get", vin)  # scope: 404 outside the caller's entities
        entity = self._rpc("approvals", "get_entity", vehicle["entity"])
        if not any(s["sub"] == identity["sub"] for s in entity["signatories"]):
            raise forbidden(f"{identity['sub']} is not an authorised signatory of {vehicle['entity']}")
        return vehicle_response(self._rpc("vehicles", "withdraw", vin, body))

    @http("GET", "/v1/vehicles/<string:vin>/history")
    def vehicle_history(self, request, vin):
        self._who(request)
        return json_response({"vin": vin, "revisions": self._rpc("vehicles", "history", vin)})

    @http("GET", "/v1/vehicles/<string:vin>/stages")
    def vehicle_stages(self, request, vin):
        self._who(request)
        return json_response({"vin": vin, "stages": self._rpc("vehicles", "stages", vin)})

    @http("GET", "/v1/vehicles/<string:vin>/certificate")
    def current_certificate(self, request, vin):
        self._who(request)
        self._rpc("vehicles", "get", vin)  # scope: 404 outside the caller's entities
        found = self._rpc("signing", "get_current", vin)
        summary = found["summary"]
        return Response(found["document"].encode("utf-8"), status=200, mimetype="application/xml", headers={
            "ETag": f'"{summary["sha256"]}"', "X-Ivi-Reference-Id": summary["reference_id"],
            "X-Ivi-Version-Number": str(summary["version_number"]),
            "Content-Disposition": f'attachment; filename="{vin}-v{summary["version_number"]}.xml"'})

    @http("GET", "/v1/vehicles/<string:vin>/certificates")
    def certificate_versions(self, request, vin):
        self._who(request)
        self._rpc("vehicles", "get", vin)
        return json_response({"vin": vin, "items": self._rpc("signing", "versions", vin)})

    @http("POST", "/v1/certificates/verify")
    def verify_certificate(self, request):
        self._who(request)
        return json_response(self._rpc("signing", "verify", text_body(request, "document")))
