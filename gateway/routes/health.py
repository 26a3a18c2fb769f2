"""Open routes: liveness and the contract."""
from common.config import SERVICES
from gateway.http import http, json_response, with_timeout
from gateway.openapi import openapi_document


class HealthRoutes:

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
