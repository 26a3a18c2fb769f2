"""Examples in the OpenAPI document: one of every request body and of every main answer, by the name of its
marshmallow schema (a route may give its own with `example=` / `response_example=`). The data is the demo
manufacturer of `cli.demo_data`, so what the examples show is what `ecoc demo` sends and gets back;
`tests/unit/test_openapi_lint.py` checks every example against its schema."""
from cli import demo_data
from common.contracts.vehicles import CSV_COLUMNS

VIN = demo_data.WMI + "A1B2C3D4E5F6G7"[:14]
APPROVAL_ID = "0b7c6c1e-6a55-4a1f-9a7e-3c1d2e4f5a6b"
RELEASE_ID = "5d2f0a9e-2b1c-4c3d-8e7f-6a5b4c3d2e1f"
WHEN = "2026-03-10T09:15:00+00:00"
_VEHICLE = dict(demo_data.vehicles(1, seed=1)[0], vin=VIN)
_VERSION = demo_data.approval()["versions"][0]
_KEY = {k: _VERSION[k] for k in ("type", "variant", "version")}
_CERTIFICATE = {"reference_id": "NWA-2026-000001", "version_number": 1, "sha256": "9f" * 32,
                "content_sha256": "3a" * 32, "status": "current", "signed_at": WHEN}
_VEHICLE_OUT = dict(_VEHICLE, revision=2, status="valid", findings=[], last_editor="dana", release_id=None,
                    certificate=None, withdrawal=None)
_RELEASE_ITEM = {"vin": VIN, "revision": 2, "state": "in_review", "failure": None, "reopened_reason": None,
                 "reference_id": None, "version_number": None, "approval_id": APPROVAL_ID,
                 "approval_number": demo_data.APPROVAL_NUMBER, "approval_revision": 1,
                 "rule_packs": {"core": "1.0.0"}, "content_sha256": "3a" * 32}
_APPROVAL_OUT = dict(demo_data.approval(), id=APPROVAL_ID, revision=1, status="active", withdrawn_on=None,
                     withdrawal=None, extension=0, history=[])
_APPROVAL_OUT["versions"] = [dict(v, ranges=v.get("ranges", {})) for v in _APPROVAL_OUT["versions"]]

BODIES = {
    "EntityBody": demo_data.entity(),
    "ApprovalIn": demo_data.approval(),
    "ExtensionIn": {"extension": 1, "issue_date": "2026-06-01", "reason": "new tyre size approved",
                    "coc": {"MaximumSpeed": 185}},
    "WithdrawalIn": {"effective_date": "2026-12-31", "reason": "type no longer produced"},
    "ImportIn": {"vehicles": [_VEHICLE], "reason": "production week 10"},
    "VehiclePatch": {"coc": {"MassGroup": {"ActualMass": 1712}}, "reason": "weighed again at end of line"},
    "CorrectionIn": {"coc": {"ColourTable": [{"Colour": "8"}]}, "reason": "colour was entered wrong"},
    "VehicleWithdrawalIn": {"reason": "vehicle destroyed before registration"},
    "ReleaseIn": {"vins": [VIN], "note": "week 10, Belgium"},
    "VinsIn": {"vins": [VIN, "NWAB2C3D4E5F6G7H8"]},
    "RejectIn": {"reason": "the actual mass of the first vehicle looks wrong"},
}

RESPONSES = {
    "Health": {"status": "ok", "gateway": "ok", "services": {"approvals": "ok", "vehicles": "ok"},
               "dead_letters": {}},
    "Contract": {"openapi": "3.1.0", "info": {"title": "ecoc gateway", "version": "1.0.0"}, "paths": {}},
    "EntityOut": dict(demo_data.entity(), code=demo_data.ENTITY, seal_certificate=None, revision=1),
    "EntityPage": {"items": [dict(demo_data.entity(), code=demo_data.ENTITY, seal_certificate=None, revision=1)],
                   "next_cursor": None},
    "ReleasePage": {"next_cursor": None, "items": [{
        "id": RELEASE_ID, "entity": demo_data.ENTITY, "status": "released", "note": "week 10, Belgium",
        "requested_by": "dana", "requested_at": WHEN, "reviewed_by": "rita", "reviewed_at": WHEN, "signer": "sam",
        "sign_requested_at": WHEN, "completed_at": WHEN, "rejection_reason": None, "counts": {"released": 1}}]},
    "VehicleStates": {"items": [{"vin": VIN, "status": "released", "revision": 2, "certificate": {
        "reference_id": "NWA-2026-000001", "version_number": 1}}], "unknown": ["NWAB2C3D4E5F6G7H8"]},
    "ApprovalOut": _APPROVAL_OUT,
    "ApprovalPage": {"items": [_APPROVAL_OUT], "next_cursor": None},
    "ApprovalFromIvi": {"outcome": "registered", "id": APPROVAL_ID, "number": demo_data.APPROVAL_NUMBER,
                        "revision": 1, **_KEY, "warnings": []},
    "VehicleFromIvi": dict(_VEHICLE_OUT, outcome="accepted"),
    "ApprovalImpact": {"approval": {"id": APPROVAL_ID, "number": demo_data.APPROVAL_NUMBER, "status": "active",
                                    "withdrawn_on": None},
                       "unreleased": {"valid": 12, "blocked": 1}, "released": 40},
    "VehicleOut": _VEHICLE_OUT,
    "VehiclePage": {"items": [_VEHICLE_OUT], "next_cursor": None},
    "ImportOutcome": {"accepted": 1, "unchanged": 0, "rejected": [
        {"index": 1, "vin": "NWAO1111111111111", "errors": [{"field": "vin", "message": "must be 17 characters"}]}]},
    "VehicleRevisions": {"vin": VIN, "next_cursor": None, "revisions": [
        {"revision": 1, "actor": "dana", "at": WHEN, "reason": "production week 10", "diff": {}}]},
    "VehicleStages": {"vin": VIN, "stages": []},
    "CertificatePage": {"vin": VIN, "items": [_CERTIFICATE], "next_cursor": None},
    "Verification": {"valid": True, "errors": [], "reference_id": "NWA-2026-000001", "vin": VIN,
                     "signer": {"organisation": demo_data.LEGAL_NAME}},
    "ReleaseRequested": {"id": RELEASE_ID, "status": "in_review", "rejected": [
        {"vin": "NWAB2C3D4E5F6G7H8", "reason": "blocked: not valid"}]},
    "ReleaseOut": {"id": RELEASE_ID, "status": "approved", "entity": demo_data.ENTITY,
                   "counts": {"approved": 1}, "vehicles": [dict(_RELEASE_ITEM, state="approved")]},
    "ReleaseItemContent": dict(_RELEASE_ITEM, content=demo_data.TYPE_LEVEL),
    "RulePage": {"items": [{"id": "VIN-002", "pack": "core", "version": "1.0.0", "severity": "error",
                            "description": "a VIN never uses the letters I, O or Q"}], "next_cursor": None},
    "AuditPage": {"entries": [{"seq": 1, "event_type": "vehicle.imported", "actor": "dana", "subject": VIN,
                               "occurred_at": WHEN}], "next_cursor": None},
    "AuditVerification": {"valid": True, "entries": 1, "head": "ab" * 32},
    "Dashboard": {"generated_at": WHEN, "filters": {}, "states": ["draft", "valid", "blocked"], "entities": [],
                  "expiring_seals": []},
    "CocView": {"vin": VIN, "source": "preview", "certificate": None, "numbered": True, "header": [], "lines": [
        {"item": "13.2", "label": "Actual mass of the vehicle (kg)", "name": "ActualMass",
         "path": "MassGroup.ActualMass", "value": 1707}]},
}

XML = ('<?xml version="1.0" encoding="UTF-8"?>\n<InitialVehicleInformation '
       'xmlns="http://eu.ereg.initialvehicleinformation.v2">…</InitialVehicleInformation>')


def _csv():
    columns = [name for name, _, _ in CSV_COLUMNS[:8]]
    return ",".join(columns) + "\n" + ",".join(str(_VEHICLE[c]) for c in columns) + "\n"


def request(spec):
    """The example JSON body of a route, or None."""
    if spec.example is not None:
        return spec.example
    return BODIES.get(spec.body.__name__) if spec.body else None


def response(spec):
    """The example success body of a route, or None."""
    if spec.response_example is not None:
        return spec.response_example
    return RESPONSES.get(spec.response.__name__) if spec.response else None


def text_request(spec, media):
    """The example of a body that is not JSON: an IVI message, a CSV file, a sign-in form."""
    if isinstance(spec.example, str):
        return spec.example
    if media == "text/csv":
        return _csv()
    if media in ("application/xml", "text/xml"):
        return XML
    if media == "application/x-www-form-urlencoded":
        return "token=eyJhbGciOiJIUzI1NiJ9.e30.signature"
    return None
