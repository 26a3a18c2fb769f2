"""The audit trail: entries, chain verification and a vehicle's evidence pack."""
from marshmallow import Schema, fields, validate
from werkzeug.wrappers import Response

from common.contracts.events import EVENTS_BY_SOURCE
from common.contracts.responses import AuditPage, AuditVerification
from gateway.http import route
from gateway.routes.paging import Page
from services.audit.domain.evidence import build_pack


EVENT_TYPES = tuple(sorted({t for types in EVENTS_BY_SOURCE.values() for t in types}))  # what the audit records


class AuditQuery(Page):
    subject = fields.String(metadata={"description": "entries naming this VIN, approval number or release id"})
    actor = fields.String(metadata={"description": "entries of this actor (`sub`)"})
    event_type = fields.String(validate=validate.OneOf(EVENT_TYPES),
                               metadata={"description": "entries of this event type"})
    since = fields.String(metadata={"description": "occurred at or after this ISO-8601 date-time (with zone)"})
    until = fields.String(metadata={"description": "occurred before this ISO-8601 date-time (with zone)"})


class VerifyQuery(Schema):
    full = fields.Boolean(load_default=False, metadata={
        "description": "re-hash the whole chain and check every checkpoint's seal (slow for a long history: "
                       "`ecoc audit verify` does the same without a time limit)"})


class AuditRoutes:

    @route("GET", "/v1/audit", roles=("auditor",), query=AuditQuery, response=AuditPage,
           operation_id="listAuditEntries",
           summary="Audit entries of the caller's entities by subject, actor, event type and time window, in order "
                   "(at least one filter)")
    def audit_entries(self, call):
        q = call.query
        return self._rpc("audit", "query", q.get("subject"), q["limit"], q.get("cursor"), actor=q.get("actor"),
                         event_type=q.get("event_type"), since=q.get("since"), until=q.get("until"))

    @route("GET", "/v1/audit/verify", roles=("auditor",), query=VerifyQuery, response=AuditVerification,
           operation_id="verifyAuditChain",
           summary="Check the audit chain against its sealed checkpoints (by default the entries since the newest "
                   "one; `full=true` re-hashes the whole chain); names the first broken entry")
    def audit_verify(self, call):
        return self._rpc("audit", "verify_chain", call.query["full"])

    @route("GET", "/v1/vehicles/{vin}/evidence", roles=("auditor",), produces="application/zip",
           operation_id="getVehicleEvidence", tag="audit",
           summary="Evidence pack: every certificate version, data revisions, validation reports, the VIN's audit "
                   "entries (of batch events only its part) with chain proof, the sealed checkpoint and the sealed "
                   "index of the VIN's entries (check it with `ecoc evidence verify`)")
    def vehicle_evidence(self, call, vin):
        vehicle = self._rpc("vehicles", "get", vin)  # scope: 404 outside the caller's entities
        pack = build_pack(
            vin, vehicle, self._rpc("vehicles", "history", vin), self._rpc("validation", "report_history", vin),
            self._rpc("signing", "documents", vin), self._rpc("audit", "evidence", vin))
        return Response(pack, status=200, mimetype="application/zip", headers={
            "Content-Disposition": f'attachment; filename="{vin}-evidence.zip"'})
