"""Type approvals: registration (JSON or from an IVI message), extensions, withdrawal, impact."""
from marshmallow import Schema, fields, validate

from common.contracts.approvals import ApprovalIn, ExtensionIn, WithdrawalIn
from common.contracts.responses import ApprovalFromIvi, ApprovalImpact, ApprovalOut, ApprovalPage
from gateway.auth import may_see, scoped
from gateway.http import json_response, route
from gateway.problems import bad_request, invalid, unknown_entity
from gateway.routes.paging import Page, page_of

XML_TYPES = ("application/xml", "text/xml")


class ApprovalQuery(Page):
    number = fields.String(validate=validate.Length(1, 64), metadata={"description": "approval number"})


class EntityQuery(Schema):
    entity = fields.String(required=True, validate=validate.Length(1, 32),
                           metadata={"description": "legal-entity code the message belongs to"})


class ApprovalRoutes:

    @route("POST", "/v1/approvals", roles=("approvals_manager",), body=ApprovalIn, response=ApprovalOut, status=201,
           location="/v1/approvals/{id}", summary="Register a type approval")
    def register_approval(self, call):
        if not may_see(call.identity, call.body["entity"]):
            raise unknown_entity(call.body["entity"])
        return self._rpc("approvals", "register", call.body)

    @route("POST", "/v1/approvals/from-ivi", roles=("approvals_manager",), query=EntityQuery, status=201,
           consumes=XML_TYPES, response=ApprovalFromIvi, location="/v1/approvals/{id}",
           summary="Register an approval, or add its version, from an IVI 2.0 message",
           description="201 when the approval or its version is new, 200 when the message adds nothing.")
    def register_approval_from_ivi(self, call):
        entity, request = call.query["entity"], call.request
        if not may_see(call.identity, entity):
            raise unknown_entity(entity)
        if request.mimetype not in XML_TYPES:
            raise bad_request("the body must be an IVI 2.0 message as application/xml", "Content-Type")
        try:
            document = request.get_data(as_text=False).decode("utf-8")
        except UnicodeDecodeError:
            raise invalid("The message is not UTF-8.", [{"field": "_body", "message": "not UTF-8"}]) from None
        result = self._rpc("approvals", "from_ivi", entity, document)
        return json_response(result, status=200 if result["outcome"] == "unchanged" else 201)

    @route("GET", "/v1/approvals", roles=(), query=ApprovalQuery, response=ApprovalPage, operation_id="listApprovals",
           summary="Find approvals (by number) in the caller's entities")
    def find_approvals(self, call):
        entities = None if "*" in call.identity["entities"] else call.identity["entities"]
        items, next_cursor = page_of(self._rpc("approvals", "find", call.query.get("number"), entities), call.query)
        return {"items": items, "next_cursor": next_cursor}

    @route("GET", "/v1/approvals/{id}", roles=(), response=ApprovalOut,
           summary="An approval with its extension history")
    def get_approval(self, call, id):
        return self._visible_approval(call, id)

    @route("POST", "/v1/approvals/{id}/extensions", roles=("approvals_manager",), body=ExtensionIn,
           response=ApprovalOut, status=201, location="/v1/approvals/{id}",
           summary="A new extension (immutable revision)")
    def extend_approval(self, call, id):
        self._visible_approval(call, id)
        return self._rpc("approvals", "extend", id, call.body)

    @route("POST", "/v1/approvals/{id}/withdrawal", roles=("approvals_manager",), body=WithdrawalIn,
           response=ApprovalOut, summary="Withdraw an approval with effect from a date")
    def withdraw_approval(self, call, id):
        self._visible_approval(call, id)
        return self._rpc("approvals", "withdraw", id, call.body)

    @route("GET", "/v1/approvals/{id}/impact", roles=(), response=ApprovalImpact, operation_id="getApprovalImpact",
           summary="Vehicles an approval change touches: unreleased ones by state (re-validated), released ones")
    def approval_impact(self, call, id):
        approval = self._visible_approval(call, id)
        impact = self._rpc("vehicles", "impact", approval["number"], approval["entity"])
        return dict(impact, approval={
            "id": approval["id"], "number": approval["number"], "status": approval["status"],
            "withdrawn_on": approval["withdrawn_on"]})

    def _visible_approval(self, call, approval_id):
        """The approval; one of another entity is not found."""
        approval = self._rpc("approvals", "get", approval_id)
        scoped(call.identity, approval["entity"], f"approval {approval_id}")
        return approval
