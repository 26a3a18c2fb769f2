"""Open routes: liveness and the contract."""
import eventlet

from common.config import SERVICES
from gateway.http import http, json_response, with_timeout
from gateway.openapi import openapi_document

HEALTH_TIMEOUT = 3.0  # seconds each service has to answer; all are asked at once


class HealthRoutes:

    @http("GET", "/health")
    def health(self, request):
        def ask(name):
            try:
                with_timeout(HEALTH_TIMEOUT, getattr(self, name).health)
                return name, "ok"
            except Exception as exc:  # report, never fail the liveness answer itself
                return name, f"unreachable: {type(exc).__name__}"

        services = dict(eventlet.GreenPool(len(SERVICES)).imap(ask, SERVICES))
        ok = all(v == "ok" for v in services.values())
        return json_response({"status": "ok" if ok else "degraded", "gateway": "ok", "services": services})

    @http("GET", "/openapi.json")
    def openapi(self, request):
        return json_response(openapi_document())
