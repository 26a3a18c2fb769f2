"""nameko dependency providers shared by the services."""
import json
import logging

from nameko import config
from nameko.extensions import DependencyProvider

from common.db import UnitOfWork, make_engine, make_session_factory
from common.outbox import Inbox, Outbox, OutboxRelay

log = logging.getLogger(__name__)

IDENTITY_KEY = "ecoc_identity"


class Database(DependencyProvider):
    """Hands each worker a `UnitOfWork` on the service's own database and runs its outbox relay."""

    def __init__(self, outbox_table=None, inbox_table=None):
        self.outbox_table = outbox_table
        self.inbox_table = inbox_table
        self.engine = None
        self.session_factory = None
        self.outbox = None
        self.inbox = None
        self.relay = None

    def setup(self):
        pool = max(int(config.get("max_workers", 10)), 5) + 2
        self.engine = make_engine(config["DATABASE_URL"], pool_size=pool)
        self.session_factory = make_session_factory(self.engine)
        name = self.container.service_name
        if self.outbox_table is not None:
            self.outbox = Outbox(name, self.outbox_table)
            self.relay = OutboxRelay(name, self.outbox_table, self.session_factory, config["AMQP_URI"])
        if self.inbox_table is not None:
            self.inbox = Inbox(self.inbox_table)

    def start(self):
        if self.relay is not None:
            self.relay.start()

    def stop(self):
        if self.relay is not None:
            self.relay.stop()
        if self.engine is not None:
            self.engine.dispose()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        uow = UnitOfWork(
            self.session_factory, self.outbox,
            on_commit=self.relay.wake if self.relay else None,
            context={"actor": identity_of(worker_ctx).get("sub")},
        )
        uow.inbox = self.inbox
        return uow


def identity_of(worker_ctx):
    raw = worker_ctx.context_data.get(IDENTITY_KEY)
    if not raw:
        return {}
    return json.loads(raw) if isinstance(raw, str) else dict(raw)


class Identity(DependencyProvider):
    """The verified caller (`sub`, `roles`, `entities`) that the gateway put into the context data.

    On the gateway it can also be set, so every RPC made by the worker carries it onwards.
    """

    def get_dependency(self, worker_ctx):
        return CallerIdentity(worker_ctx)


class CallerIdentity:
    def __init__(self, worker_ctx):
        self._ctx = worker_ctx

    def set(self, identity):
        self._ctx.context_data[IDENTITY_KEY] = json.dumps(identity, sort_keys=True)

    def get(self):
        return identity_of(self._ctx)

    @property
    def sub(self):
        return self.get().get("sub")


class IviSchema(DependencyProvider):
    """Hands workers what `build(path)` makes of the official IVI schema, built once per container; None
    when schema checks are off.

    The path comes from nameko config `IVI_SCHEMA_PATH` when given (an empty value turns checks off), else
    from ECOC_IVI_SCHEMA. A configured path that does not exist stops the service: a schema the operator
    meant to use is never skipped silently. By default the schema is read as data with its document checks
    compiled before the first request."""

    def __init__(self, build=None):
        self.build = build or _schema_with_checks
        self.value = None

    def setup(self):
        from common.config import settings
        from common.ivi.xsd import schema_missing_message

        path = config.get("IVI_SCHEMA_PATH")
        if path is None:
            path = settings().schema_path
        if not path:
            log.warning(schema_missing_message(path))
            return
        self.value = self.build(path)
        log.info("IVI schema loaded from %s", path)

    def get_dependency(self, worker_ctx):
        return self.value


def _schema_with_checks(path):
    from common.ivi.document import document_checker
    from common.ivi.schema import load_schema

    schema = load_schema(path)
    document_checker(schema)
    return schema
