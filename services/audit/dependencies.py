"""Dependency providers of the audit service: its database as the append-only writer role, and the
checkpoint key."""
from nameko import config
from nameko.extensions import DependencyProvider
from sqlalchemy.engine import make_url

from common.config import settings
from common.db import make_engine, make_session_factory
from common.dependencies import Database
from services.audit.domain import checkpoints


def writer_url(url):
    """The service's URL with the database's writer role (INSERT and SELECT only, migration 0002), which has
    the same password."""
    u = make_url(url)
    return u.set(username=f"{u.database}_writer").render_as_string(hide_password=False)


class AuditDatabase(Database):
    """`Database`, connected as the writer role: the service itself cannot change or delete an entry."""

    def setup(self):
        super().setup()
        self.engine.dispose()
        self.engine = make_engine(writer_url(config["DATABASE_URL"]), pool_size=5)
        self.session_factory = make_session_factory(self.engine)


class CheckpointKey(DependencyProvider):
    """The Ed25519 key that seals checkpoints (`KEYS_DIR`, else ECOC_AUDIT_KEYS_DIR, which defaults to
    ECOC_KEYS_DIR; made on first use in local mode)."""

    def __init__(self):
        self.key = None

    def setup(self):
        s = settings()
        self.key = checkpoints.load_or_create_key(config.get("KEYS_DIR", s.audit_keys_dir), s.local_mode)

    def get_dependency(self, worker_ctx):
        return self.key
