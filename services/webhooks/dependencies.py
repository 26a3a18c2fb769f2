"""The delivery policy of the webhooks service, read once from its nameko config (`common.config.nameko_config`),
so a test can run the service with seconds where production waits hours."""
from dataclasses import dataclass

from nameko.extensions import DependencyProvider

from common.config import settings


@dataclass(frozen=True)
class Policy:
    retry_base_seconds: float
    retry_max_seconds: float
    retry_hours: float
    disable_after_hours: float
    timeout_seconds: float
    insecure_targets: bool  # plain http and any address (local mode)
    private_targets: bool  # https to private addresses too (a receiver inside the operator's network)
    log_days: float = 30  # delivered and failed deliveries are kept this long
    ca_bundle: str = ""  # PEM file of the CAs receivers' certificates must chain to ("": the system's)


class DeliveryPolicy(DependencyProvider):

    def setup(self):
        s, config = settings(), self.container.config
        self.policy = Policy(
            retry_base_seconds=float(config.get("WEBHOOK_RETRY_BASE_SECONDS", s.webhook_retry_base_seconds)),
            retry_max_seconds=float(config.get("WEBHOOK_RETRY_MAX_SECONDS", s.webhook_retry_max_seconds)),
            retry_hours=float(config.get("WEBHOOK_RETRY_HOURS", s.webhook_retry_hours)),
            disable_after_hours=float(config.get("WEBHOOK_DISABLE_AFTER_HOURS", s.webhook_disable_after_hours)),
            timeout_seconds=float(config.get("WEBHOOK_TIMEOUT_SECONDS", s.webhook_timeout_seconds)),
            insecure_targets=bool(config.get("WEBHOOK_INSECURE_TARGETS", s.local_mode)),
            private_targets=bool(config.get("WEBHOOK_PRIVATE_TARGETS", s.webhook_private_targets)),
            log_days=float(config.get("WEBHOOK_LOG_DAYS", s.webhook_log_days)),
            ca_bundle=config.get("WEBHOOK_CA_BUNDLE", s.webhook_ca_bundle) or "",
        )

    def get_dependency(self, worker_ctx):
        return self.policy
