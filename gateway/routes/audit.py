"""The audit trail."""
from gateway.auth import may_see
from gateway.http import http, json_response
from gateway.problems import invalid
from gateway.routes.paging import limit_param


class AuditRoutes:

    @http("GET", "/v1/audit")
    def audit_entries(self, request):
        identity = self._who(request, "auditor")
        subject = request.args.get("subject")
        if not subject:
            raise invalid("A subject is required.", [{"field": "subject", "message": "give a VIN or approval number"}])
        found = self._rpc("audit", "query", subject, limit_param(request.args.get("limit")), request.args.get("cursor"))
        found["entries"] = [e for e in found["entries"] if e.get("entity") is None or may_see(identity, e["entity"])]
        return json_response(found)

    @http("GET", "/v1/audit/verify")
    def audit_verify(self, request):
        self._who(request, "auditor")
        return json_response(self._rpc("audit", "verify_chain"))
