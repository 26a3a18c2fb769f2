"""Releases through review and signing."""
from gateway.http import http, json_body, json_response
from gateway.problems import forbidden


class ReleaseRoutes:

    @http("POST", "/v1/releases")
    def request_release(self, request):
        self._who(request, "data_steward")
        return json_response(self._rpc("vehicles", "request_release", json_body(request)), status=201)

    @http("GET", "/v1/releases/<string:release_id>")
    def get_release(self, request, release_id):
        self._who(request)
        return json_response(self._rpc("vehicles", "get_release", release_id))

    @http("POST", "/v1/releases/<string:release_id>/approve")
    def approve_release(self, request, release_id):
        self._who(request, "reviewer")
        return json_response(self._rpc("vehicles", "approve_release", release_id))

    @http("POST", "/v1/releases/<string:release_id>/reject")
    def reject_release(self, request, release_id):
        self._who(request, "reviewer")
        return json_response(self._rpc("vehicles", "reject_release", release_id, json_body(request)))

    @http("POST", "/v1/releases/<string:release_id>/sign")
    def sign_release(self, request, release_id):
        identity = self._who(request, "signer")
        release = self._rpc("vehicles", "get_release", release_id)
        entity = self._rpc("approvals", "get_entity", release["entity"])
        signatory = next((s for s in entity["signatories"] if s["sub"] == identity["sub"]), None)
        if signatory is None:
            raise forbidden(f"{identity['sub']} is not an authorised signatory of {release['entity']}")
        return json_response(self._rpc("vehicles", "sign_release", release_id, signatory), status=202)
