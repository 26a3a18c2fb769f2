"""gateway: the v1 HTTP API. Authenticates, applies roles and entity scope, calls the services by RPC.

The routes live in `gateway/routes/`, one mixin per area; this class holds what they share."""
from nameko.exceptions import UnknownService

from common.config import settings
from common.dependencies import Identity
from common.ops import Ops
from common.rpc import ServiceRpc
from gateway.auth import authenticate, require
from gateway.availability import Availability
from gateway.dashboard.session_store import DashboardSessions
from gateway.http import ServiceTimeout, with_timeout
from gateway.idempotency import Idempotency
from gateway.problems import HttpProblem
from gateway.rate_limits import RateLimits
from gateway.routes.approvals import ApprovalRoutes
from gateway.routes.audit import AuditRoutes
from gateway.routes.comments import CommentRoutes
from gateway.routes.dashboard import DashboardRoutes
from gateway.routes.dashboard_actions import DashboardActionRoutes
from gateway.routes.dashboard_signin import DashboardSignInRoutes
from gateway.routes.dashboard_work import DashboardWorkRoutes
from gateway.routes.deliveries import DeliveryRoutes
from gateway.routes.entities import EntityRoutes
from gateway.routes.events import EventRoutes
from gateway.routes.exceptions import ExceptionRoutes
from gateway.routes.health import HealthRoutes
from gateway.routes.paper import PaperRoutes
from gateway.routes.releases import ReleaseRoutes
from gateway.routes.rollout import RolloutRoutes
from gateway.routes.rules import RuleRoutes
from gateway.routes.webhooks import WebhookRoutes
from gateway.routes.vehicles import VehicleRoutes
from gateway.routes.work import WorkRoutes

SETTINGS = settings()


class GatewayService(HealthRoutes, EntityRoutes, ApprovalRoutes, VehicleRoutes, ReleaseRoutes, AuditRoutes,
                     EventRoutes, WebhookRoutes, RuleRoutes, CommentRoutes, ExceptionRoutes, WorkRoutes,
                     DashboardRoutes, DashboardSignInRoutes, DashboardActionRoutes, PaperRoutes, RolloutRoutes,
                     DeliveryRoutes, DashboardWorkRoutes):
    name = "gateway"

    caller = Identity()
    ops = Ops()  # /livez, /readyz, /metrics; measures every worker
    # a request nobody took within the timeout expires in its queue: it never runs after the caller got 503/504
    approvals = ServiceRpc("approvals", expiration=SETTINGS.rpc_timeout)
    vehicles = ServiceRpc("vehicles", expiration=SETTINGS.rpc_timeout)
    validation = ServiceRpc("validation", expiration=SETTINGS.rpc_timeout)
    signing = ServiceRpc("signing", expiration=SETTINGS.rpc_timeout)
    audit = ServiceRpc("audit", expiration=SETTINGS.rpc_timeout)
    webhooks = ServiceRpc("webhooks", expiration=SETTINGS.rpc_timeout)
    rollout = ServiceRpc("rollout", expiration=SETTINGS.rpc_timeout)
    delivery = ServiceRpc("delivery", expiration=SETTINGS.rpc_timeout)
    idempotency = Idempotency()
    rate_limits = RateLimits()  # buckets in the gateway's database, shared by its replicas
    sessions = DashboardSessions()  # the dashboard's sign-ins
    availability = Availability(SETTINGS.amqp_uri)

    settings = SETTINGS

    def _who(self, request, *roles):
        """The verified caller, holding one of `roles`; carried in the context of every RPC made after."""
        identity = require(authenticate(request, SETTINGS), *roles)
        self.caller.set(identity)
        return identity

    def _rpc(self, service, method, *args, **kwargs):
        """The service's answer; 504 when it did not come in time, 503 when the service is not running (at once
        when the availability watch has seen it without consumers)."""
        if self.availability.known_down(service):
            raise UnknownService(service)
        try:
            return with_timeout(SETTINGS.rpc_timeout, getattr(getattr(self, service), method), *args, **kwargs)
        except ServiceTimeout:
            if self.availability.check(service) == 0:  # it stopped, or hung until the broker dropped it
                raise HttpProblem(503, "urn:ecoc:problem:unavailable", "Service unavailable",
                                  f"service {service} did not answer within {SETTINGS.rpc_timeout:g} s and no "
                                  "process of it is connected now (stopped, or hung)") from None
            raise
