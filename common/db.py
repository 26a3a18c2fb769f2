"""Database access for a service: engine, unit of work, database creation and migrations.

Every service owns one PostgreSQL database. `Database` is the nameko dependency provider that
hands a worker a fresh `UnitOfWork`; it rolls back unless committed, and writes the events
collected during the work to the outbox inside the same transaction.
"""
import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_selector")

import logging  # noqa: E402
from pathlib import Path  # noqa: E402

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

log = logging.getLogger(__name__)


KEPT_IDLE = 4  # connections a pool keeps open while idle; a burst opens more, up to its size, closed after use


def make_engine(url, pool_size=10):
    """An engine whose pool opens at most `pool_size` connections and keeps at most `KEPT_IDLE` of them open when
    idle, so that a quiet process holds few of PostgreSQL's `max_connections`."""
    kept = min(pool_size, KEPT_IDLE)
    return create_engine(url, pool_pre_ping=True, pool_size=kept, max_overflow=pool_size - kept, future=True)


def make_session_factory(engine):
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


class UnitOfWork:
    """One transaction. Use as a context manager; call `commit()` to keep the work.

    `emit()` queues an event; the events are written to the outbox table in the same
    transaction on commit, so a state change and its event are stored together or not at all.
    """

    def __init__(self, session_factory, outbox=None, on_commit=None, context=None):
        self._session_factory = session_factory
        self._outbox = outbox
        self._on_commit = on_commit
        self.context = context or {}
        self.session = None
        self.events = []
        self._committed = False

    def fork(self):
        """Another unit of work on the same database, for the green threads one worker runs at once (a unit of
        work holds one session and may not be shared between them)."""
        return UnitOfWork(self._session_factory, self._outbox, self._on_commit, dict(self.context))

    def __enter__(self):
        self.session = self._session_factory()
        self.events = []
        self._committed = False
        return self

    def __exit__(self, *exc):
        try:
            if not self._committed:
                self.session.rollback()
        finally:
            self.session.close()

    def emit(self, event_type, data, *, subject, subjects=None, entity=None, actor=None):
        if self._outbox is None:
            raise RuntimeError("this unit of work has no outbox")
        own = actor is None or actor == self.context.get("actor")  # the caller's roles go with the caller only
        self.events.append(self._outbox.envelope(
            event_type, data, subject=subject, subjects=subjects, entity=entity,
            actor=actor or self.context.get("actor"), roles=self.context.get("roles") if own else None,
        ))

    def commit(self):
        if self.events:
            self._outbox.store(self.session, self.events)
        self.session.commit()
        self._committed = True
        had_events, self.events = bool(self.events), []
        if had_events and self._on_commit:
            self._on_commit()


def server_url(url):
    """The libpq connection string for the maintenance database of the server holding `url`."""
    u = make_url(url)
    return u.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)


def create_database_if_missing(url):
    u = make_url(url)
    with psycopg.connect(server_url(url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (u.database,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(u.database)))
            log.info("created database %s", u.database)
            return True
    return False


def drop_database(url):
    """Drop a database and the login role its service may have created for itself (`<database>_writer`)."""
    u = make_url(url)
    with psycopg.connect(server_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(u.database)))
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(f"{u.database}_writer")))


def migrations_dir(service):
    """The service's own alembic revisions; the environment and the revision template are shared
    (`common/migrations`)."""
    root = Path(__file__).resolve().parent.parent
    return (root / "gateway" if service == "gateway" else root / "services" / service) / "migrations" / "versions"


def migrate(service, url):
    """Create the service's database if missing and upgrade it to the newest alembic revision."""
    from alembic import command

    create_database_if_missing(url)
    command.upgrade(alembic_config(service, url), "head")


def alembic_config(service, url):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).resolve().parent / "migrations"))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(migrations_dir(service)))
    cfg.set_main_option("ecoc_service", service)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def make_migration(service, url, message):
    """Developer tool: autogenerate a new alembic revision from the service's models."""
    from alembic import command

    create_database_if_missing(url)
    command.upgrade(alembic_config(service, url), "head")
    command.revision(alembic_config(service, url), message=message, autogenerate=True)
