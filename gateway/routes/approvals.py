"""Type approvals: registration (JSON or from an IVI message), extensions, withdrawal, impact."""
from gateway.auth import may_see, scoped
from gateway.http import http, json_body, json_response
from gateway.problems import bad_request, invalid

XML_TYPES = ("application/xml", "text/xml")


def _unknown_entity(entity):
    return invalid("Unknown legal entity.", [{"field": "entity", "message": f"no legal entity {entity}"}])


class ApprovalRoutes:

    @http("POST", "/v1/approvals")
    def register_approval(self, request):
        identity = self._who(request, "approvals_manager")
        body = json_body(request)
        if isinstance(body, dict) and isinstance(body.get("entity"), str) and not may_see(identity, body["entity"]):
            raise _unknown_entity(body["entity"])
        return json_response(self._rpc("approvals", "register", body), status=201)

    @http("POST", "/v1/approvals/from-ivi")
    def register_approval_from_ivi(self, request):
        """201 when the approval or its version is new, 200 when the message adds nothing."""
        identity = self._who(request, "approvals_manager")
        entity = request.args.get("entity")
        if not entity:
            raise invalid("A legal entity is required.",
                          [{"field": "entity", "message": "give the entity as ?entity=CODE"}])
        if not may_see(identity, entity):
            raise _unknown_entity(entity)
        if request.mimetype not in XML_TYPES:
            raise bad_request("the body must be an IVI 2.0 message as application/xml", "Content-Type")
        try:
            document = request.get_data(as_text=False).decode("utf-8")
        except UnicodeDecodeError:
            raise invalid("The message is not UTF-8.", [{"field": "_body", "message": "not UTF-8"}]) from None
        result = self._rpc("approvals", "from_ivi", entity, document)
        return json_response(result, status=200 if result["outcome"] == "unchanged" else 201)

    @http("GET", "/v1/approvals")
    def find_approvals(self, request):
        identity = self._who(request)
        entities = None if "*" in identity["entities"] else identity["entities"]
        found = self._rpc("approvals", "find", request.args.get("number"), entities)
        return json_response({"items": found, "next_cursor": None})

    @http("GET", "/v1/approvals/<string:approval_id>")
    def get_approval(self, request, approval_id):
        return json_response(self._visible_approval(request, approval_id))

    @http("POST", "/v1/approvals/<string:approval_id>/extensions")
    def extend_approval(self, request, approval_id):
        self._visible_approval(request, approval_id, "approvals_manager")
        return json_response(self._rpc("approvals", "extend", approval_id, json_body(request)), status=201)

    @http("POST", "/v1/approvals/<string:approval_id>/withdrawal")
    def withdraw_approval(self, request, approval_id):
        self._visible_approval(request, approval_id, "approvals_manager")
        return json_response(self._rpc("approvals", "withdraw", approval_id, json_body(request)))

    @http("GET", "/v1/approvals/<string:approval_id>/impact")
    def approval_impact(self, request, approval_id):
        """Vehicles of the approval (any extension): unreleased ones by state (re-validated), released ones."""
        approval = self._visible_approval(request, approval_id)
        impact = self._rpc("vehicles", "impact", approval["number"])
        return json_response(dict(impact, approval={
            "id": approval["id"], "number": approval["number"], "status": approval["status"],
            "withdrawn_on": approval["withdrawn_on"]}))

    def _visible_approval(self, request, approval_id, *roles):
        """The approval, for a caller holding one of `roles`; one of another entity is not found."""
        identity = self._who(request, *roles)
        approval = self._rpc("approvals", "get", approval_id)
        scoped(identity, approval["entity"], f"approval {approval_id}")
        return approval
