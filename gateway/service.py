"""gateway: the v1 HTTP API. Authenticates, applies roles and entity scope, calls the services by RPC."""


from nameko.rpc import ServiceRpc
from werkzeug.wrappers import Response

from common.config import SERVICES, settings
from common.contracts.approvals import EntityBody
from common.dependencies import Identity
from common.errors import load_or_raise
from gateway.auth import authenticate, may_see, require, scoped
from gateway.http import http, json_body, json_response, with_timeout
from gateway.openapi import openapi_document
from gateway.problems import forbidden, invalid

SETTINGS = settings()


class GatewayService:
    name = "gateway"

    caller = Identity()
    approvals = ServiceRpc("approvals")
    vehicles = ServiceRpc("vehicles")
    validation = ServiceRpc("validation")
    signing = ServiceRpc("signing")
    audit = ServiceRpc("audit")

    def _who(self, request, *roles):
        identity = require(authenticate(request, SETTINGS), *roles)
        self.caller.set(identity)
        return identity

    def _rpc(self, service, method, *args, **kwargs):
        return with_timeout(SETTINGS.rpc_timeout, getattr(getattr(self, service), method), *args, **kwargs)

    # -- open ----------------------------------------------------------------------------------

    @http("GET", "/health")
    def health(self, request):
        services = {}
        for name in SERVICES:
            try:
                with_timeout(3, getattr(self, name).health)
                services[name] = "ok"
            except Exception as exc:  # report, never fail the liveness answer itself
                services[name] = f"unreachable: {type(exc).__name__}"
        ok = all(v == "ok" for v in services.values())
        return json_response({"status": "ok" if ok else "degraded", "gateway": "ok", "services": services})

    @http("GET", "/openapi.json")
    def openapi(self, request):
        return json_response(openapi_document())

    # -- entities ------------------------------------------------------------------------------

    @http("PUT", "/v1/entities/<string:code>")
    def put_entity(self, request, code):
        self._who(request, "admin")
        body = load_or_raise(EntityBody(), json_body(request))
        if not body.get("seal_certificate") and SETTINGS.local_mode:
            body["seal_certificate"] = self._rpc("signing", "ensure_seal", code, body["legal_name"])
        payload = dict(body, code=code)
        return json_response(self._rpc("approvals", "put_entity", payload))

    @http("GET", "/v1/entities/<string:code>")
    def get_entity(self, request, code):
        identity = self._who(request)
        scoped(identity, code, f"legal entity {code}")
        return json_response(self._rpc("approvals", "get_entity", code))

    # -- approvals -----------------------------------------------------------------------------

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

    # -- vehicles ------------------------------------------------------------------------------

    @http("POST", "/v1/vehicles/import")
    def import_vehicles(self, request):
        self._who(request, "data_steward")
        return json_response(self._rpc("vehicles", "import_vehicles", json_body(request)))

    @http("GET", "/v1/vehicles")
    def list_vehicles(self, request):
        self._who(request)
        args = request.args
        limit = _limit(args.get("limit"))
        return json_response(self._rpc("vehicles", "list", args.get("status"), args.get("entity"),
                                       args.get("approval_number"), limit, args.get("cursor")))

    @http("GET", "/v1/vehicles/<string:vin>")
    def get_vehicle(self, request, vin):
        self._who(request)
        return json_response(self._rpc("vehicles", "get", vin))

    @http("GET", "/v1/vehicles/<string:vin>/history")
    def vehicle_history(self, request, vin):
        self._who(request)
        return json_response({"vin": vin, "revisions": self._rpc("vehicles", "history", vin)})

    @http("GET", "/v1/vehicles/<string:vin>/certificate")
    def current_certificate(self, request, vin):
        self._who(request)
        self._rpc("vehicles", "get", vin)  # scope: 404 outside the caller's entities
        found = self._rpc("signing", "get_current", vin)
        summary = found["summary"]
        return Response(found["document"].encode("utf-8"), status=200, mimetype="application/xml", headers={
            "ETag": f'"{summary["sha256"]}"', "X-Ivi-Reference-Id": summary["reference_id"],
            "X-Ivi-Version-Number": str(summary["version_number"]),
            "Content-Disposition": f'attachment; filename="{vin}-v{summary["version_number"]}.xml"'})

    @http("GET", "/v1/vehicles/<string:vin>/certificates")
    def certificate_versions(self, request, vin):
        self._who(request)
        self._rpc("vehicles", "get", vin)
        return json_response({"vin": vin, "items": self._rpc("signing", "versions", vin)})

    @http("POST", "/v1/certificates/verify")
    def verify_certificate(self, request):
        self._who(request)
        document = request.get_data(as_text=False)
        try:
            text = document.decode("utf-8")
        except UnicodeDecodeError:
            raise invalid("The document is not UTF-8.", [{"field": "_body", "message": "not UTF-8"}]) from None
        return json_response(self._rpc("signing", "verify", text))

    # -- releases ------------------------------------------------------------------------------

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

    # -- audit ---------------------------------------------------------------------------------

    @http("GET", "/v1/audit")
    def audit_entries(self, request):
        identity = self._who(request, "auditor")
        subject = request.args.get("subject")
        if not subject:
            raise invalid("A subject is required.", [{"field": "subject", "message": "give a VIN or approval number"}])
        found = self._rpc("audit", "query", subject, _limit(request.args.get("limit")), request.args.get("cursor"))
        found["entries"] = [e for e in found["entries"] if e.get("entity") is None or may_see(identity, e["entity"])]
        return json_response(found)

    @http("GET", "/v1/audit/verify")
    def audit_verify(self, request):
        self._who(request, "auditor")
        return json_response(self._rpc("audit", "verify_chain"))


def _limit(raw):
    if raw is None:
        return 100
    try:
        value = int(raw)
    except ValueError:
        raise invalid("Bad limit.", [{"field": "limit", "message": "must be an integer"}]) from None
    if not 1 <= value <= 1000:
        raise invalid("Bad limit.", [{"field": "limit", "message": "must be between 1 and 1000"}])
    return value



