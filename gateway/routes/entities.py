"""Legal entities with their signatories and seal certificate."""
from common.contracts.approvals import EntityBody
from common.errors import load_or_raise
from gateway.auth import scoped
from gateway.http import http, json_body, json_response


class EntityRoutes:

    @http("PUT", "/v1/entities/<string:code>")
    def put_entity(self, request, code):
        self._who(request, "admin")
        body = load_or_raise(EntityBody(), json_body(request))
        if not body.get("seal_certificate") and self.settings.local_mode:
            body["seal_certificate"] = self._rpc("signing", "ensure_seal", code, body["legal_name"])
        payload = dict(body, code=code)
        return json_response(self._rpc("approvals", "put_entity", payload))

    @http("GET", "/v1/entities/<string:code>")
    def get_entity(self, request, code):
        identity = self._who(request)
        scoped(identity, code, f"legal entity {code}")
        return json_response(self._rpc("approvals", "get_entity", code))
