"""gateway: the v1 HTTP API. Authenticates, applies roles and entity scope, calls the services by RPC.

The routes live in `gateway/routes/`, one mixin per area; this class holds what they share."""
from nameko.rpc import ServiceRpc

from common.config import settings
from common.dependencies import Identity
from gateway.auth import authenticate, require
from gateway.http import with_timeout
from gateway.routes.approvals import ApprovalRoutes
from gateway.routes.audit import AuditRoutes
from gateway.routes.entities import EntityRoutes
from gateway.routes.health import HealthRoutes
from gateway.routes.releases import ReleaseRoutes
from gateway.routes.rules import RuleRoutes
from gateway.routes.vehicles import VehicleRoutes

SETTINGS = settings()


class GatewayService(HealthRoutes, EntityRoutes, ApprovalRoutes, VehicleRoutes, ReleaseRoutes, AuditRoutes,
                     RuleRoutes):
    name = "gateway"

    caller = Identity()
    approvals = ServiceRpc("approvals")
    vehicles = ServiceRpc("vehicles")
    validation = ServiceRpc("validation")
    signing = ServiceRpc("signing")
    audit = ServiceRpc("audit")

    settings = SETTINGS

    def _who(self, request, *roles):
        """The verified caller, holding one of `roles`; carried in the context of every RPC made after."""
        identity = require(authenticate(request, SETTINGS), *roles)
        self.caller.set(identity)
        return identity

    def _rpc(self, service, method, *args, **kwargs):
        return with_timeout(SETTINGS.rpc_timeout, getattr(getattr(self, service), method), *args, **kwargs)
