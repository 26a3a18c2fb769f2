"""Vehicles: import (JSON, CSV, IVI), edits with optimistic concurrency, corrections, withdrawal, history,
earlier stages and certificates."""
from marshmallow import Schema, fields, validate
from werkzeug.wrappers import Response

from common.contracts.responses import (
    CertificatePage, ImportOutcome, VehicleFromIvi, VehicleOut, VehiclePage, VehicleRevisions, VehicleStages,
    VehicleStates, Verification,
)
from common.contracts.vehicles import PreconditionFailed  # noqa: F401 - registers it for RPC deserialisation
from common.contracts.vehicles import (
    REASON, CorrectionIn, FromIviParams, ImportIn, VehicleDeletionIn, VehiclePatch, VehicleWithdrawalIn, VinsIn,
    csv_columns_description,
)
from gateway.auth import may_see
from gateway.http import json_response, route
from gateway.problems import HttpProblem, forbidden, invalid, unknown_entity, unsupported_media
from gateway.routes.filters import WorkFilters
from gateway.routes.paging import Page, page_of
from services.vehicles.domain.lifecycle import TRANSITIONS

VEHICLE_STATES = tuple(TRANSITIONS)  # an unknown state is a 422 naming `status`, not an empty page

XML_TYPES = ("application/xml", "text/xml")
IF_MATCH = ("If-Match", True, 'the vehicle\'s revision as its ETag gave it, e.g. "3"')
IF_MATCH_OPTIONAL = ("If-Match", False, "the revision the correction is based on (412 when stale)")


class ImportQuery(Schema):
    reason = fields.String(validate=REASON, metadata={"description": "why (CSV imports; JSON bodies carry it)"})
    replace = fields.Boolean(metadata={"description": "CSV imports: overwrite vehicles changed by PATCH or a "
                                                      "correction since their import (JSON bodies carry it)"})


class VehicleQuery(Page, WorkFilters):
    status = fields.String(validate=validate.OneOf(VEHICLE_STATES), metadata={"description": "vehicles in this state"})
    entity = fields.String(validate=validate.Length(1, 32))
    approval_number = fields.String(validate=validate.Length(1, 35))
    updated_since = fields.AwareDateTime(metadata={
        "description": "vehicles changed at or after this ISO-8601 date-time (with zone)"})


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


def import_rows(call):
    """What an import weighs for the rate limit: its rows (a CSV file's lines after the header)."""
    if call.body is not None:
        return max(1, len(call.body["vehicles"]))
    return max(1, call.request.get_data().count(b"\n"))


class VehicleRoutes:

    @route("POST", "/v1/vehicles/import", roles=("data_steward",), body=ImportIn, query=ImportQuery,
           consumes=("application/json", "text/csv"), response=ImportOutcome, cost=import_rows,
           summary="Bulk import of vehicles (JSON or CSV)", description=csv_columns_description())
    def import_vehicles(self, call):
        if call.body is None:
            if call.request.mimetype != "text/csv":
                raise unsupported_media("the body must be application/json or text/csv",
                                        "application/json or text/csv")
            return self._rpc("vehicles", "import_csv", text_body(call.request, "CSV file"), call.query.get("reason"),
                             call.query.get("replace", False))
        return self._rpc("vehicles", "import_vehicles", call.body)

    @route("POST", "/v1/vehicles/from-ivi", roles=("data_steward",), query=FromIviParams, consumes=XML_TYPES,
           response=VehicleFromIvi, status=201, errors=(404, 415), location="/v1/vehicles/{vin}",
           operation_id="importVehicleFromIvi",
           summary="A vehicle record from an IVI 2.0 message",
           description="The message as it is: without DateManufactureVehicle or IntendedCountryRegistration (IVI 2.0 "
                       "allows both out, as the L-category samples do) the record has none; ?production_date= and "
                       "?intended_country= fill them in, and must agree with a message that states them. "
                       "?stage=base keeps it as the earlier stage of a multi-stage vehicle (answered with the stage, "
                       "not a vehicle).")
    def vehicle_from_ivi(self, call):
        request = call.request
        if request.mimetype not in XML_TYPES:
            raise unsupported_media("the body must be an IVI 2.0 XML document (application/xml)",
                                    "application/xml")
        entity = call.query["entity"]
        if not may_see(call.identity, entity):
            raise unknown_entity(entity)
        result = self._rpc("vehicles", "import_ivi", text_body(request, "document"), request.args.to_dict())
        created = 201 if result["outcome"] in ("accepted", "base_stage") else 200
        if "stage" in result:
            return json_response(result, status=created, headers={"Location": f"/v1/vehicles/{result['vin']}/stages"})
        return vehicle_response(result, status=created)

    @route("GET", "/v1/vehicles", roles=(), query=VehicleQuery, response=VehiclePage, summary="List vehicles")
    def list_vehicles(self, call):
        q = call.query
        since = q["updated_since"].isoformat() if q.get("updated_since") else None
        return self._rpc("vehicles", "list", q.get("status"), q.get("entity"), q.get("approval_number"), q["limit"],
                         q.get("cursor"), since, q.get("intended_country"), q.get("older_than_days"), q.get("team"))

    @route("POST", "/v1/vehicles/status", roles=(), body=VinsIn, response=VehicleStates,
           cost=lambda call: len(call.body["vins"]),
           operation_id="getVehicleStatuses", summary="The state and certificate version of up to 10,000 VINs",
           description="Answered in the order asked, each VIN once; VINs that do not exist for the caller are "
                       "listed in `unknown`. Changes nothing.")
    def vehicle_statuses(self, call):
        return self._rpc("vehicles", "statuses", call.body["vins"])

    @route("DELETE", "/v1/vehicles/{vin}", roles=("data_steward",), query=VehicleDeletionIn, status=204,
           summary="Delete a vehicle imported by mistake",
           description="Only a draft or blocked vehicle that never had a certificate nor entered a release; "
                       "anything else is a 409 (withdraw a certificate instead). Audited, with `?reason=`.")
    def delete_vehicle(self, call, vin):
        self._rpc("vehicles", "delete", vin, {"reason": call.query.get("reason")})
        return Response(status=204)

    @route("GET", "/v1/vehicles/{vin}", roles=(), response=VehicleOut,
           summary="A vehicle with status, revision (also as ETag) and findings")
    def get_vehicle(self, call, vin):
        return vehicle_response(self._rpc("vehicles", "get", vin))

    @route("PATCH", "/v1/vehicles/{vin}", roles=("data_steward",), body=VehiclePatch, response=VehicleOut,
           operation_id="updateVehicle",
           headers=(IF_MATCH,), errors=(412, 428), summary="Change an unreleased vehicle",
           description="`coc` is a JSON merge patch (RFC 7396). If-Match is required: 428 without, 412 when stale.")
    def patch_vehicle(self, call, vin):
        revision = if_match(call.request)
        return vehicle_response(self._rpc("vehicles", "update", vin, call.body, revision))

    @route("POST", "/v1/vehicles/{vin}/corrections", roles=("data_steward",), body=CorrectionIn, response=VehicleOut,
           status=201, headers=(IF_MATCH_OPTIONAL,), errors=(412,), location="/v1/vehicles/{vin}",
           summary="Correct a released vehicle: back through validation, review and signing",
           description="The next certificate has IviVersionNumber + 1.")
    def correct_vehicle(self, call, vin):
        revision = if_match(call.request, required=False)
        return vehicle_response(self._rpc("vehicles", "correct", vin, call.body, revision), status=201)

    @route("POST", "/v1/vehicles/{vin}/withdrawal", roles=("signer",), body=VehicleWithdrawalIn, response=VehicleOut,
           summary="Withdraw a released vehicle's certificate, with reason",
           description="The caller must be an authorised signatory of the vehicle's entity.")
    def withdraw_vehicle(self, call, vin):
        identity = call.identity
        vehicle = self._rpc("vehicles", "get", vin)  # scope: 404 outside the caller's entities
        entity = self._rpc("approvals", "get_entity", vehicle["entity"])
        if not any(s["sub"] == identity["sub"] for s in entity["signatories"]):
            raise forbidden(f"{identity['sub']} is not an authorised signatory of {vehicle['entity']}")
        return vehicle_response(self._rpc("vehicles", "withdraw", vin, call.body))

    @route("GET", "/v1/vehicles/{vin}/history", roles=(), query=Page, response=VehicleRevisions,
           operation_id="getVehicleHistory",
           summary="Every revision of a vehicle: who, when, why, diff")
    def vehicle_history(self, call, vin):
        revisions, next_cursor = page_of(self._rpc("vehicles", "history", vin), call.query)
        return {"vin": vin, "revisions": revisions, "next_cursor": next_cursor}

    @route("GET", "/v1/vehicles/{vin}/stages", roles=(), response=VehicleStages, operation_id="listVehicleStages",
           summary="Earlier stages' eCoC data of a multi-stage vehicle")
    def vehicle_stages(self, call, vin):
        return {"vin": vin, "stages": self._rpc("vehicles", "stages", vin)}

    @route("GET", "/v1/vehicles/{vin}/certificate", roles=(), produces="application/xml",
           operation_id="getCurrentCertificate", tag="certificates",
           summary="The current signed eCoC (exact bytes)")
    def current_certificate(self, call, vin):
        self._rpc("vehicles", "get", vin)  # scope: 404 outside the caller's entities
        found = self._rpc("signing", "get_current", vin)
        summary = found["summary"]
        return Response(found["document"].encode("utf-8"), status=200, mimetype="application/xml", headers={
            "ETag": f'"{summary["sha256"]}"', "X-Ivi-Reference-Id": summary["reference_id"],
            "X-Ivi-Version-Number": str(summary["version_number"]),
            "Content-Disposition": f'attachment; filename="{vin}-v{summary["version_number"]}.xml"'})

    @route("GET", "/v1/vehicles/{vin}/certificates", roles=(), query=Page, response=CertificatePage,
           operation_id="listCertificateVersions", tag="certificates",
           summary="All certificate versions of a vehicle",
           description="Oldest version first; the legacy system's eCoCs of the VIN (rollout) have status `legacy` "
                       "and are kept byte-exact, never re-signed: ecoc's next version continues their numbers.")
    def certificate_versions(self, call, vin):
        self._rpc("vehicles", "get", vin)
        legacy = [{"reference_id": d["reference_id"], "version_number": d["version_number"], "sha256": d["sha256"],
                   "status": "legacy", "signed_at": None, "legacy_id": d["id"], "format": d["format"]}
                  for d in self._rpc("rollout", "legacy_history", vin)
                  if d["reference_id"] and d["version_number"] is not None]
        own = self._rpc("signing", "versions", vin)
        history = sorted(legacy + own, key=lambda c: (c["version_number"], c["status"] != "legacy"))
        items, next_cursor = page_of(history, call.query)
        return {"vin": vin, "items": items, "next_cursor": next_cursor}

    @route("POST", "/v1/certificates/verify", roles=(), consumes=XML_TYPES, response=Verification,
           summary="Verify an eCoC document")
    def verify_certificate(self, call):
        return self._rpc("signing", "verify", text_body(call.request, "document"))
