"""The rollout service's shadow sealer: the IVI schema, its validator and the in-memory test seal, made once per
container (None when no IVI 2.0 schema is configured: shadow vehicles are then composed and compared only)."""
import logging

from nameko.extensions import DependencyProvider

from common.config import settings

log = logging.getLogger(__name__)


class ShadowSealing:
    def __init__(self, schema, validator, sealer):
        self.schema, self.validator, self.sealer = schema, validator, sealer


class ShadowSealer(DependencyProvider):
    def setup(self):
        from common.ivi import SchemaValidator, load_schema
        from services.rollout.domain.shadow_seal import make_test_sealer

        self.value = None
        path = settings().schema_path
        if path:
            self.value = ShadowSealing(load_schema(path), SchemaValidator(path), make_test_sealer())
            log.info("shadow mode seals with an in-memory test seal (not for production)")

    def get_dependency(self, worker_ctx):
        return self.value
