"""Rollout beside a legacy system: scopes and their modes, the legacy system's eCoCs, parity, cut-over, roll-back."""
import base64
import csv
import io
from datetime import datetime

from marshmallow import Schema, fields, validate
from werkzeug.wrappers import Response

from common.contracts.responses import LegacyOutcome, ParityReport, RolloutOverview, RolloutScope, RolloutScopePage
from common.contracts.rollout import CutoverIn, ExplanationIn, RollbackIn, ScopeIn, ScopePatch
from gateway.auth import may_see
from gateway.http import route
from gateway.problems import unknown_entity, unsupported_media
from gateway.routes.paging import Page, page_of
from services.rollout.domain.report import CSV_COLUMNS, csv_rows

LEGACY_TYPES = ("application/xml", "text/xml", "application/zip")


class ScopeQuery(Page):
    entity = fields.String(validate=validate.Length(1, 32))


class OverviewQuery(Schema):
    entity = fields.String(validate=validate.Length(1, 32))


class LegacyQuery(Schema):
    entity = fields.String(required=True, validate=validate.Length(1, 32),
                           metadata={"description": "the legal entity whose legacy system issued the documents"})


class RolloutRoutes:

    @route("GET", "/v1/rollout/scopes", roles=(), query=ScopeQuery, response=RolloutScopePage,
           summary="Rollout scopes of the caller's entities")
    def list_scopes(self, call):
        items, next_cursor = page_of(self._rpc("rollout", "list_scopes", call.query.get("entity")), call.query)
        return {"items": items, "next_cursor": next_cursor}

    @route("GET", "/v1/rollout/overview", roles=(), query=OverviewQuery, response=RolloutOverview,
           operation_id="getRolloutOverview",
           summary="Every scope of the caller's entities with mode, parity, gate and volume of the last 7 and 30 days",
           description="What the page /dashboard/rollout shows.")
    def rollout_overview(self, call):
        return {"scopes": self._rpc("rollout", "overview", call.query.get("entity"))}

    @route("POST", "/v1/rollout/scopes", roles=("admin",), body=ScopeIn, response=RolloutScope, status=201,
           location="/v1/rollout/scopes/{id}",
           summary="Save a rollout scope (off or shadow)",
           description="Selector dimensions: approval_numbers (without the extension: every extension), types "
           "(type, optional variant), vin_prefixes (WMI or longer: a plant), categories, countries. A vehicle falls "
           "in the most specific scope that matches it (specificity: the number of dimensions named); a scope of "
           "equal specificity that could match the same vehicle is refused (409, field `selector`). A scope goes "
           "live only by a cut-over decision.")
    def create_scope(self, call):
        return self._rpc("rollout", "create_scope", call.body)

    @route("GET", "/v1/rollout/scopes/{id}", roles=(), response=RolloutScope, summary="A rollout scope")
    def get_scope(self, call, id):
        return self._rpc("rollout", "get_scope", id)

    @route("PATCH", "/v1/rollout/scopes/{id}", roles=("admin",), body=ScopePatch, response=RolloutScope,
           summary="Rename a scope, change its selector or its mode (off or shadow)",
           description="A live scope changes only its name: its mode goes back by a roll-back.")
    def update_scope(self, call, id):
        return self._rpc("rollout", "update_scope", id, call.body)

    @route("POST", "/v1/rollout/scopes/{id}/rollback", roles=("admin",), body=RollbackIn, response=RolloutScope,
           operation_id="withdrawScopeFromLive",
           summary="Roll a live scope back to shadow, at once",
           description="ecoc stops issuing for the scope's vehicles; certificates it issued stay valid. Audited.")
    def rollback_scope(self, call, id):
        return self._rpc("rollout", "rollback", id, call.body)

    @route("POST", "/v1/rollout/scopes/{id}/cutover", roles=("admin",), body=CutoverIn, response=RolloutScope,
           summary="Request the cut-over of a shadow scope to live (first of two people)",
           description="Refused (409, field `gate`) unless the gate holds: parity at or above the threshold over "
           "at least the minimum volume within the window, and no unexplained mismatch in a mandatory field.")
    def request_cutover(self, call, id):
        return self._rpc("rollout", "request_cutover", id, call.body)

    @route("POST", "/v1/rollout/scopes/{id}/cutover/approve", roles=("admin",), response=RolloutScope,
           summary="Approve a requested cut-over (another person than the requester)",
           description="The gate is checked again; the decision records the parity report's digest in the audit.")
    def approve_cutover(self, call, id):
        return self._rpc("rollout", "approve_cutover", id)

    @route("POST", "/v1/rollout/scopes/{id}/explanations", roles=("admin",), body=ExplanationIn,
           operation_id="createScopeExplanation",
           response=RolloutScope, summary="Explain the mismatches of a field (the gate then lets them pass)",
           description="`path` is a field as the parity report ranks it, without row indexes.")
    def explain_mismatch(self, call, id):
        return self._rpc("rollout", "explain", id, call.body)

    @route("GET", "/v1/rollout/scopes/{id}/parity", roles=(), response=ParityReport,
           operation_id="getScopeParity",
           summary="Parity of ecoc with the legacy system in a scope",
           description="Parity rate and volume in the window, differing fields ranked with examples (exact paths "
           "and both values), legacy findings, what the comparison excludes and the cut-over gate.")
    def scope_parity(self, call, id):
        return self._rpc("rollout", "parity", id)

    @route("GET", "/v1/rollout/scopes/{id}/parity.csv", roles=(), produces="text/csv",
           operation_id="exportScopeParity",
           summary="Parity of a scope as CSV: one row per differing field (or per matching vehicle)")
    def scope_parity_csv(self, call, id):
        report = self._rpc("rollout", "parity", id, True)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        for row in csv_rows(_dated(report["rows"])):
            writer.writerow(row)
        return Response(out.getvalue().encode("utf-8"), status=200, mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="parity-{id}.csv"', "X-Parity-Digest": report["digest"]})

    @route("POST", "/v1/rollout/legacy", roles=("data_steward",), query=LegacyQuery, consumes=LEGACY_TYPES,
           operation_id="importLegacyDocuments",
           response=LegacyOutcome, errors=(415,),
           summary="The legacy system's eCoCs: one IVI 2.0 or IVI 1.11 XML, or a zip of them",
           description="Kept byte-exact. IVI 2.0 seals are checked against their own certificate and the result "
           "recorded (a legacy seal is never trusted); IVI 1.11 messages are checked against the 1.11 schema and "
           "converted into IVI 2.0 terms with a conversion report. Every file is accounted for.")
    def receive_legacy(self, call):
        request = call.request
        if request.mimetype not in LEGACY_TYPES:
            raise unsupported_media("the body must be an eCoC XML document (application/xml) or a zip of them",
                                    "application/xml or application/zip")
        entity = call.query["entity"]
        if not may_see(call.identity, entity):
            raise unknown_entity(entity)
        body = request.get_data(as_text=False)
        return self._rpc("rollout", "receive_legacy", entity, base64.b64encode(body).decode("ascii"))

    @route("GET", "/v1/rollout/legacy/{id}", roles=(), produces="application/xml",
           operation_id="getLegacyDocument",
           summary="A legacy document exactly as received (status legacy, never re-signed)")
    def legacy_document(self, call, id):
        found = self._rpc("rollout", "legacy_document", id)
        return Response(base64.b64decode(found["document"]), status=200, mimetype="application/xml", headers={
            "ETag": f'"{found["sha256"]}"', "X-Legacy-Format": found["format"],
            "X-Legacy-Seal": found["seal"]["status"],
            "Content-Disposition": f'attachment; filename="{found["vin"]}-legacy-{id}.xml"'})


def _dated(rows):
    return [dict(r, computed_at=datetime.fromisoformat(r["computed_at"])) for r in rows]
