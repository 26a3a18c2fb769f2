"""The signing service's seals: one loaded key per legal entity, how each entity seals, and the schema checks.

Configuration (the nameko config key when set, else the environment variable):

- ``KEY_PROVIDER`` / ``ECOC_KEY_PROVIDER``: where seal keys come from; ``files`` (default) reads ``KEYS_DIR``
  / ``ECOC_KEYS_DIR``. Other providers (an HSM via PKCS#11) register with ``register_key_provider``.
- ``XADES_ENTITIES`` / ``ECOC_XADES_ENTITIES``: entity codes, comma-separated, whose seals are XAdES
  baseline-B; ``*`` for every entity. Default: none (plain XML-DSig, the EUCARIS minimum).
- ``SEAL_ALGORITHMS`` (a mapping entity → algorithm) / ``ECOC_SEAL_ALGORITHM_<ENTITY>``: ``rsa-sha256`` or
  ``ecdsa-sha256``. Default: what the entity's key is (an EC key seals with ecdsa-sha256).
"""
import logging
import os
from dataclasses import dataclass, field
from functools import lru_cache

from nameko import config
from nameko.extensions import DependencyProvider

from common.config import settings
from common.ivi.schema import load_schema
from common.ivi.xsd import SchemaValidator, schema_available
from services.signing import sealing_threads
from services.signing.domain.keys import SealKeyError, entity_env_var, make_key_provider
from services.signing.domain.seal import Sealer

log = logging.getLogger(__name__)

ALGORITHM_ENV_PREFIX = "ECOC_SEAL_ALGORITHM_"


@dataclass(frozen=True)
class SealPolicy:
    """Per entity: the seal algorithm (None: the key's own) and whether the seal is XAdES baseline-B."""

    xades_entities: frozenset = frozenset()
    algorithms: dict = field(default_factory=dict)
    environ: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_config(cls, cfg, environ=None):
        environ = dict(os.environ if environ is None else environ)
        xades = cfg.get("XADES_ENTITIES", environ.get("ECOC_XADES_ENTITIES", ""))
        if isinstance(xades, str):
            xades = xades.split(",")
        return cls(frozenset(e.strip() for e in xades or () if e and e.strip()),
                   dict(cfg.get("SEAL_ALGORITHMS") or {}), environ)

    def xades(self, entity):
        return "*" in self.xades_entities or entity in self.xades_entities

    def algorithm(self, entity):
        return self.algorithms.get(entity) or self.environ.get(entity_env_var(ALGORITHM_ENV_PREFIX, entity)) or None


@dataclass(frozen=True)
class Anchor:
    entity: str
    certificate: object


class Keyring:
    def __init__(self, provider, policy, local_mode, schema_path):
        self.provider = provider
        self.policy = policy
        self.local_mode = local_mode
        self.schema_path = schema_path
        self._sealers = {}

    def sealer(self, entity):
        """The entity's sealer, made once; SealKeyError when its key is missing or unfit for its policy."""
        if entity not in self._sealers:
            key = self.provider.get(entity)
            try:
                self._sealers[entity] = Sealer(key, self.policy.algorithm(entity), xades=self.policy.xades(entity))
            except ValueError as exc:
                raise SealKeyError(f"the seal of {entity} cannot be used: {exc}") from None
        return self._sealers[entity]

    def ensure_seal(self, entity, organisation):
        if not self.provider.has(entity):
            if not self.local_mode:
                return None
            self.provider.create_local(entity, organisation)
        return self.provider.get(entity).certificate_pem.decode()

    def anchors(self):
        """Every seal this installation holds, by certificate fingerprint: the pinned trust anchors of
        verification, each with the entity that holds it."""
        found = {}
        for entity in self.provider.entities():
            try:
                key = self.provider.get(entity)
            except SealKeyError as exc:
                log.warning("seal of %s is not a trust anchor: %s", entity, exc)
                continue
            found[key.fingerprint_sha256] = Anchor(entity, key.certificate)
        return found

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
        provider = make_key_provider(config.get("KEY_PROVIDER", os.environ.get("ECOC_KEY_PROVIDER", "files")),
                                     keys_dir=config.get("KEYS_DIR", s.keys_dir))
        self.keyring = Keyring(provider, SealPolicy.from_config(config), s.local_mode,
                               config.get("IVI_SCHEMA", s.schema_path))
        sealing_threads.prepare()
        if not schema_available(self.keyring.schema_path):
            log.warning("IVI schema not found at %r: certificates cannot be built. Download IVI2.0.xsd from the "
                        "EUCARIS eCoC documentation page and set ECOC_IVI_SCHEMA.", self.keyring.schema_path)

    def get_dependency(self, worker_ctx):
        return self.keyring
