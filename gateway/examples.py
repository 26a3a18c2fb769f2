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
TEAM_ID = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
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

# change feed, webhooks and their deliveries
WEBHOOK_ID = "7e1d4c2b-3a5f-4b6e-9c8d-0f1e2d3c4b5a"
EVENT_ID = "c4a1e7d2-8b3f-4e5a-9d6c-1b2a3f4e5d6c"
WEBHOOK_DELIVERY_ID = "2f9e8d7c-6b5a-4c3d-8e1f-0a9b8c7d6e5f"
_FEED_EVENT = {"id": EVENT_ID, "type": "certificate_signed", "source": "signing", "occurred_at": WHEN,
               "entity": demo_data.ENTITY, "subject": VIN, "subjects": [VIN], "actor": "sam",
               "data": {"release_id": RELEASE_ID, "certificates": [
                   {"vin": VIN, "reference_id": "NWA-2026-000001", "version_number": 1}]}}
_WEBHOOK_IN = {"entity": demo_data.ENTITY, "url": "https://erp.nordwind.example/ecoc/events",
               "event_types": ["certificate_signed", "release_completed"], "description": "ERP: certificates issued"}
_WEBHOOK_OUT = dict(_WEBHOOK_IN, id=WEBHOOK_ID, active=True, disabled_reason=None, revision=1, created_by="dana",
                    created_at=WHEN, updated_at=WHEN, deliveries={"pending": 0, "delivered": 41, "failed": 1})
_ATTEMPT = {"at": WHEN, "status_code": 200, "latency_ms": 84, "error": None}
_WEBHOOK_DELIVERY = {"id": WEBHOOK_DELIVERY_ID, "event_id": EVENT_ID, "event_type": "certificate_signed",
                     "status": "delivered", "attempts": 1, "queued_at": WHEN, "next_attempt_at": None,
                     "delivered_at": WHEN, "last_attempt": _ATTEMPT}

# delivery to National Access Points
DELIVERY_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
_TARGET_IN = {"endpoint": "https://nap.example.be/ivi/v2", "profile": "soap11-embedded", "country": "B",
              "client_cert": "nordwind-nap-client.pem", "client_key": "nordwind-nap-client.key",
              "ca_cert": "nap-be-ca.pem", "timeout_seconds": 30.0, "concurrency": 4, "auto_deliver": True,
              "enabled": True}
_TARGET_OUT = dict(_TARGET_IN, entity=demo_data.ENTITY, name="be-nap", wsdl=None, revision=1)
_DELIVERY = {"id": DELIVERY_ID, "entity": demo_data.ENTITY, "vin": VIN, "reference_id": "NWA-2026-000001",
             "version_number": 1, "sha256": "9f" * 32, "target_name": "be-nap", "state": "accepted",
             "trigger": "auto", "requested_by": None, "owner": None, "attempts": 1, "queued_at": WHEN,
             "next_attempt_at": None, "finished_at": WHEN, "receipt_id": "BE-NAP-2026-0004711", "errors": [],
             "last_error": None, "attempt_log": [
                 {"number": 1, "started_at": WHEN, "finished_at": WHEN, "latency_ms": 412.0, "http_status": 200,
                  "outcome": "accepted", "receipt_id": "BE-NAP-2026-0004711", "errors": [], "detail": None}]}
_QUEUED = dict(_DELIVERY, state="queued", trigger="manual", requested_by="dana", attempts=0, finished_at=None,
               receipt_id=None, attempt_log=[])

# rollout beside a legacy system
SCOPE_ID = "4b3a2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d"
_SELECTOR = {"approval_numbers": [demo_data.APPROVAL_NUMBER], "countries": ["B"]}
_GATE = {"threshold": 99.5, "min_volume": 200, "window_days": 14, "holds": True, "reasons": []}
_SCOPE = {"id": SCOPE_ID, "entity": demo_data.ENTITY, "name": "Belgian registrations", "selector": _SELECTOR,
          "mode": "shadow", "revision": 2, "cutover": None,
          "explanations": {"MassGroup.MassInRunningOrder": {
              "reason": "the legacy system rounds to 5 kg", "by": "alex", "at": WHEN}},
          "created_by": "alex", "updated_by": "alex", "created_at": WHEN, "updated_at": WHEN}
_PARITY = {"scope_id": SCOPE_ID, "entity": demo_data.ENTITY, "name": "Belgian registrations", "mode": "shadow",
           "window_days": 14, "volume": 412, "matched": 411, "parity_rate": 99.757,
           "volume_7_days": 205, "volume_30_days": 412,
           "differing_fields": [{"field": "MassGroup.MassInRunningOrder", "vehicles": 1, "mandatory": True,
                                 "explained": _SCOPE["explanations"]["MassGroup.MassInRunningOrder"], "examples": [
                                     {"vin": VIN, "path": "MassGroup.MassInRunningOrder", "legacy": 1905,
                                      "ecoc": 1903}]}],
           "legacy_findings": [{"rule": "VIN-002", "severity": "error",
                                "message": "a VIN never uses the letters I, O or Q", "vehicles": 1,
                                "examples": ["NWAO1111111111111"]}],
           "excluded": [{"field": "Signature", "why": "each system seals with its own key"}],
           "test_sealed": {"sealed": 412, "failed": 0, "examples": []},
           "gate": _GATE, "digest": "5c" * 32, "generated_at": WHEN}

_COMMENT = {"id": "2b1e9c4d-7a3f-4e2b-9c1d-5f6a7b8c9d0e", "vin": VIN, "release_id": None, "author": "rita",
            "body": "mass checked again at end of line: 1,712 kg is right", "created_at": WHEN}
_EXCEPTION = {"id": "7c2d4e6f-8a9b-4c1d-2e3f-4a5b6c7d8e9f", "entity": demo_data.ENTITY, "rule": "REG-012", "vin": VIN,
              "approval_number": None, "approval_revision": None,
              "reason": "registration country confirmed by the importer", "expires_on": "2026-06-30",
              "requested_by": "dana", "requested_at": WHEN, "decision": "accepted", "decided_by": "rita",
              "decided_at": WHEN, "decision_note": "confirmed with the homologation team", "state": "accepted"}
_TEAM = {"id": TEAM_ID, "entity": demo_data.ENTITY, "name": "Plant Gent homologation", "members": ["dana", "rita"],
         "groups": ["homologation-gent"], "updated_by": "tom", "updated_at": WHEN}
_RULE = {"id": "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b", "entity": demo_data.ENTITY, "team_id": TEAM_ID, "field": "wmi",
         "pattern": demo_data.WMI, "position": 10, "created_by": "tom", "created_at": WHEN}
_PAPER_JOB = {"id": "4f3e2d1c-0b9a-4877-a665-544332211000", "release_id": RELEASE_ID, "form": "pdf",
              "status": "queued", "count": 100, "requested_by": "vera", "requested_at": WHEN, "started_at": None,
              "finished_at": None, "reason": None, "filename": f"release-{RELEASE_ID}.pdf",
              "media_type": "application/pdf", "size": None, "sha256": None, "parts": 1, "parts_done": 0}

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
    "WebhookIn": _WEBHOOK_IN,
    "WebhookPatch": {"event_types": ["certificate_signed"], "active": True},
    "TargetIn": _TARGET_IN,
    "DeliverIn": {"vins": [VIN], "target": "be-nap"},
    "PaperLayoutIn": {"margins": {"top": 12.0, "right": 10.0, "bottom": 14.0, "left": 10.0},
                      "background_svg": None, "watermark": None, "language": "en", "pades": True},
    "ScopeIn": {"entity": demo_data.ENTITY, "name": "Belgian registrations", "selector": _SELECTOR,
                "mode": "shadow"},
    "ScopePatch": {"name": "Belgian and Dutch registrations",
                   "selector": dict(_SELECTOR, countries=["B", "NL"])},
    "RollbackIn": {"reason": "the NAP refuses our certificates since this morning"},
    "CutoverIn": {"note": "parity above 99.5 % for two weeks"},
    "ExplanationIn": {"path": "MassGroup.MassInRunningOrder", "reason": "the legacy system rounds to 5 kg"},
    "CommentIn": {"body": "mass checked again at end of line: 1,712 kg is right"},
    "ExceptionIn": {"rule": "REG-012", "vin": VIN, "reason": "registration country confirmed by the importer",
                    "expires_on": "2026-06-30"},
    "DecisionIn": {"note": "confirmed with the homologation team"},
    "TeamIn": {"entity": demo_data.ENTITY, "name": "Plant Gent homologation", "members": ["dana", "rita"],
               "groups": ["homologation-gent"]},
    "TeamChangeIn": {"add_members": ["sam"], "remove_members": ["rita"], "add_groups": ["homologation-l-cat"]},
    "AssigneeIn": {"assignee": "dana"},
    "OwnershipRuleIn": {"team_id": TEAM_ID, "field": "wmi", "pattern": demo_data.WMI, "position": 10},
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
                  "expiring_seals": [], "delivery_exceptions": [{
                      "id": DELIVERY_ID, "vin": VIN, "version_number": 1, "entity": demo_data.ENTITY,
                      "state": "rejected", "target": "be-nap", "owner": "dana", "since": WHEN,
                      "reason": "E101: IntendedCountryRegistration is not B", "error_count": 1,
                      "coc_view": f"/dashboard/vehicles/{VIN}/coc"}]},
    "EventPage": {"events": [_FEED_EVENT], "next_cursor": EVENT_ID, "has_more": False},
    "WebhookCreated": dict(_WEBHOOK_OUT, deliveries={"pending": 0, "delivered": 0, "failed": 0},
                           secret="whsec_3q2+7w9Xk1bLr0Zp8yTn5Q=="),
    "WebhookOut": _WEBHOOK_OUT,
    "WebhookPage": {"items": [_WEBHOOK_OUT], "next_cursor": None},
    "WebhookDeliveryOut": _WEBHOOK_DELIVERY,
    "WebhookDeliveryPage": {"items": [_WEBHOOK_DELIVERY], "next_cursor": None},
    "WebhookDeliveryDetail": dict(_WEBHOOK_DELIVERY, event=_FEED_EVENT, attempts_log=[_ATTEMPT]),
    "DeliveryTargetOut": _TARGET_OUT,
    "DeliveryTargetList": {"items": [_TARGET_OUT], "next_cursor": None},
    "DeliveryOut": _DELIVERY,
    "DeliveryPage": {"items": [_DELIVERY], "next_cursor": None},
    "VehicleDeliveries": {"vin": VIN, "items": [_DELIVERY], "next_cursor": None},
    "DeliveriesQueued": {"queued": [_QUEUED], "skipped": [
        {"vin": "NWAB2C3D4E5F6G7H8", "reason": "no current certificate"}]},
    "PaperLayoutOut": {"margins": {"top": 12.0, "right": 10.0, "bottom": 14.0, "left": 10.0},
                       "background_svg": None, "watermark": None, "language": "en", "pades": True},
    "RolloutScope": _SCOPE,
    "RolloutScopePage": {"items": [_SCOPE], "next_cursor": None},
    "RolloutOverview": {"scopes": [dict(_SCOPE, **{k: _PARITY[k] for k in (
        "volume", "matched", "parity_rate", "volume_7_days", "volume_30_days", "gate", "digest")})]},
    "ParityReport": _PARITY,
    "LegacyOutcome": {"accepted": 1, "unchanged": 0, "documents": [{
        "id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "vin": VIN, "format": "ivi2.0", "filename": "NWA-000001.xml",
        "sha256": "7d" * 32, "reference_id": "LEG-2025-118842", "version_number": 1,
        "seal": {"status": "intact", "trusted": False, "errors": [], "signer": {
            "organisation": demo_data.LEGAL_NAME, "common_name": "NORDWIND legacy CoC seal",
            "fingerprint_sha256": "e1" * 32}},
        "conversion": None, "findings": [], "status": "legacy", "received_at": WHEN, "file": "NWA-000001.xml",
        "outcome": "accepted"}], "rejected": [{"file": "readme.txt", "errors": ["not an XML document"]}]},
    "CocView": {"vin": VIN, "source": "preview", "certificate": None, "numbered": True, "header": [], "lines": [
        {"item": "13.2", "label": "Actual mass of the vehicle (kg)", "name": "ActualMass",
         "path": "MassGroup.ActualMass", "value": 1707}]},
    "CommentOut": _COMMENT,
    "CommentList": {"items": [_COMMENT]},
    "ExceptionOut": _EXCEPTION,
    "ExceptionPage": {"items": [_EXCEPTION], "next_cursor": None},
    "TeamOut": _TEAM,
    "TeamList": {"items": [_TEAM]},
    "OwnershipRuleOut": _RULE,
    "OwnershipRuleList": {"items": [_RULE]},
    "WorkList": {"items": [{"kind": "release", "id": RELEASE_ID, "entity": demo_data.ENTITY, "waiting_for": "review",
                            "since": WHEN, "team_id": TEAM_ID, "team": "Plant Gent homologation", "age_hours": 30,
                            "overdue": False, "assignee": "rita", "assigned_by": "rita", "assigned_at": WHEN}],
                 "next_cursor": None},
    "WorkAssignmentOut": {"kind": "release", "id": RELEASE_ID, "entity": demo_data.ENTITY, "team_id": TEAM_ID,
                          "assignee": "dana", "assigned_by": "tom", "assigned_at": WHEN},
    "PaperJobOut": _PAPER_JOB,
}

XML = ('<?xml version="1.0" encoding="UTF-8"?>\n<InitialVehicleInformation '
       'xmlns="http://eu.ereg.initialvehicleinformation.v2">…</InitialVehicleInformation>')


# a zip is binary: its example shows how its bytes begin (the local file header signature)
ZIP = "PK\u0003\u0004…"


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
    """The example of a body that is not JSON: an IVI message, a CSV file, a zip of IVI messages, a sign-in
    form."""
    if isinstance(spec.example, str):
        return spec.example
    if media == "text/csv":
        return _csv()
    if media in ("application/xml", "text/xml"):
        return XML
    if media == "application/zip":
        return ZIP
    if media == "application/x-www-form-urlencoded":
        return "token=eyJhbGciOiJIUzI1NiJ9.e30.signature"
    return None
