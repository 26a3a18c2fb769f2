"""Type approvals."""
from gateway.auth import may_see, scoped
from gateway.http import http, json_body, json_response
from gateway.problems import invalid


class ApprovalRoutes:

    @http("POST", "/v1/approvals")
    def register_approval(self, request):
        identity = self._who(request, "approvals_manager")
        body = json_body(request)
        if isinstance(body, dict) and isinstance(body.get("entity"), str) and not may_see(identity, body["entity"]):
            raise invalid("Unknown legal entity.", [{"field": "entity", "message": f"no legal entity {body['entity']}"}])
        return json_response(self._rpc("approvals", "register", body), status=201)

    @http("GET", "/v1/approvals")
    def find_approvals(self, request):
        identity = self._who(request)
        entities = None if "*" in identity["entities"] else identity["entities"]
        found = self._rpc("approvals", "find", request.args.get("number"), entities)
        return json_response({"items": found, "next_cursor": None})

    @http("GET", "/v1/approvals/<string:approval_id>")
    def get_approval(self, request, approval_id):
        identity = self._who(request)
        approval = self._rpc("approvals", "get", approval_id)
        scoped(identity, approval["entity"], f"approval {approval_id}")
        return json_response(approval)
