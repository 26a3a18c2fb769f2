"""The delivery service's senders: one `Transports` per process (connections kept per target) and the back-off
of transient failures, from the nameko config (`common.config.nameko_config` fills it from the settings)."""
from nameko import config
from nameko.extensions import DependencyProvider

from common.config import settings
from services.delivery.domain.backoff import Backoff
from services.delivery.transport import Transports


class Senders(DependencyProvider):
    def setup(self):
        s = settings()
        self.transports = Transports(config.get("DELIVERY_CREDENTIALS_DIR", s.delivery_credentials_dir))
        self.retry_for = float(config.get("DELIVERY_RETRY_FOR", s.delivery_retry_for))
        self.backoff = Backoff(float(config.get("DELIVERY_BACKOFF_BASE", s.delivery_backoff_base)),
                               float(config.get("DELIVERY_BACKOFF_MAX", s.delivery_backoff_max)), self.retry_for)

    def stop(self):
        self.transports.close()

    def kill(self):
        self.transports.close()

    def get_dependency(self, worker_ctx):
        return self
