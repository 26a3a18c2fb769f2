"""Open routes: liveness, the contract and its interactive documentation."""
import eventlet

from common.config import SERVICES
from common.contracts.responses import Contract, Health
from gateway.http import route, with_timeout
from gateway import docs
from gateway.openapi import openapi_document

HEALTH_TIMEOUT = 3.0  # seconds each service has to answer; all are asked at once


class HealthRoutes:

    @route("GET", "/health", response=Health, operation_id="getHealth", tag="service",
           summary="Liveness of the gateway, reachability of each service, and events waiting in dead-letter queues")
    def health(self, call):
        def ask(name):
            if self.availability.known_down(name):  # no consumer: calling would only wait, or fail to route
                return name, "unreachable: not running"
            try:
                with_timeout(HEALTH_TIMEOUT, getattr(self, name).health)
                return name, "ok"
            except Exception as exc:  # report, never fail the liveness answer itself
                return name, f"unreachable: {type(exc).__name__}"

        services = dict(eventlet.GreenPool(len(SERVICES)).imap(ask, SERVICES))
        ok = all(v == "ok" for v in services.values())
        return {"status": "ok" if ok else "degraded", "gateway": "ok", "services": services,
                "dead_letters": dict(self.availability.dead_letters)}

    @route("GET", "/openapi.json", summary="This contract (OpenAPI 3.1)", response=Contract,
           operation_id="getOpenapi", tag="service")
    def openapi(self, call):
        return openapi_document()

    @route("GET", "/docs", produces="text/html", operation_id="getDocs", tag="service",
           summary="Interactive documentation of this contract (Swagger UI, served by the gateway itself)")
    def docs_page(self, call):
        return docs.page()

    @route("GET", "/docs/assets/{name}", produces="*/*", operation_id="getDocsAsset",
           tag="service", summary="A script, style sheet or icon of the documentation page")
    def docs_asset(self, call, name):
        return docs.asset(name)
