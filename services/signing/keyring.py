"""The signing service's seals: one loaded key per legal entity, and the schema checks it applies."""
import logging
from functools import lru_cache

from nameko import config
from nameko.extensions import DependencyProvider

from common.config import settings
from common.ivi.schema import load_schema
from common.ivi.xsd import SchemaValidator, schema_available
from services.signing.domain.keys import FileKeyProvider, ensure_local_seal
from services.signing.domain.seal import Sealer

log = logging.getLogger(__name__)


class Keyring:
    def __init__(self, keys_dir, local_mode, schema_path):
        self.keys_dir = keys_dir
        self.local_mode = local_mode
        self.provider = FileKeyProvider(keys_dir)
        self.schema_path = schema_path
        self._sealers = {}

    def sealer(self, entity):
        if entity not in self._sealers:
            self._sealers[entity] = Sealer(self.provider.get(entity))
        return self._sealers[entity]

    def ensure_seal(self, entity, organisation):
        if self.provider.has(entity):
            return self.provider.get(entity).certificate_pem.decode()
        if not self.local_mode:
            return None
        return ensure_local_seal(self.keys_dir, entity, organisation).decode()

    def trusted_certificates(self):
        """Every seal certificate this installation holds: the pinned trust anchors for verification."""
        from pathlib import Path

        entities = {p.name.split(".")[0] for p in Path(self.keys_dir).glob("*.cert.pem")}
        entities |= {p.stem for p in Path(self.keys_dir).glob("*.p12")}
        return [self.provider.get(e).certificate for e in sorted(entities) if self.provider.has(e)]

    @property
    def schema(self):
        return _schema(self.schema_path)

    @property
    def validator(self):
        return _validator(self.schema_path) if schema_available(self.schema_path) else None


@lru_cache(maxsize=4)
def _schema(path):
    return load_schema(path)


@lru_cache(maxsize=4)
def _validator(path):
    return SchemaValidator(path)


class Seals(DependencyProvider):
    def setup(self):
        s = settings()
        self.keyring = Keyring(config.get("KEYS_DIR", s.keys_dir), s.local_mode, config.get("IVI_SCHEMA", s.schema_path))
        if not schema_available(self.keyring.schema_path):
            log.warning("IVI schema not found at %r: certificates cannot be built. Download IVI2.0.xsd from the "
                        "EUCARIS eCoC documentation page and set ECOC_IVI_SCHEMA.", self.keyring.schema_path)

    def get_dependency(self, worker_ctx):
        return self.keyring
