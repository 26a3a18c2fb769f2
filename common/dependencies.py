"""nameko dependency providers shared by the services."""
import contextlib
import logging

from nameko import config
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.web.handlers import HttpRequestHandler

from common import authz
from common.config import settings
from common.db import UnitOfWork, make_engine, make_session_factory
from common.errors import Forbidden
from common.logs import CALLER_SUB
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
            context=_actor_context(worker_ctx),
        )
        uow.inbox = self.inbox
        return uow


class Stopping(DependencyProvider):
    """`self.stopping()` in a timer's worker: whether the service has begun to stop. nameko's stop waits for the
    running tick, so a tick that works through a queue checks it between items and ends after the current one
    (what is left waits for the next process) rather than holding the stop up until it is killed."""

    def get_dependency(self, worker_ctx):
        should_stop = getattr(worker_ctx.entrypoint, "should_stop", None)
        return lambda: should_stop is not None and should_stop.ready()


def _actor_context(worker_ctx):
    """Who the events of a worker are attributed to: the caller's `sub` and roles; for an event handler, whoever
    caused the event it handles (the worker acts as the service, but on that person's behalf)."""
    if isinstance(worker_ctx.entrypoint, EventHandler) and worker_ctx.args and isinstance(worker_ctx.args[0], dict):
        cause = worker_ctx.args[0]
        return {"actor": cause.get("actor"), "roles": cause.get("roles")}
    identity = identity_of(worker_ctx)
    return {"actor": identity.get("sub"), "roles": identity.get("roles")}


def caller_context(identity, s=None):
    """Context data carrying `identity` as the gateway hands it on (for standalone RPC clients and tests)."""
    return {IDENTITY_KEY: authz.passport(identity, s or settings())}


def identity_of(worker_ctx, s=None):
    """The caller identity of a worker, verified from its passport; {} when there is none or it is forged."""
    try:
        return passport_identity(worker_ctx, s)
    except authz.BadPassport:
        return {}


def passport_identity(worker_ctx, s=None):
    """The identity of the worker's passport (verified once per worker); BadPassport when it does not verify."""
    raw = worker_ctx.context_data.get(IDENTITY_KEY)
    if not raw:
        return {}
    verified = getattr(worker_ctx, "ecoc_verified", None)
    if verified is None or verified[0] != raw:
        verified = (raw, authz.read_passport(raw, s or settings()))
        worker_ctx.ecoc_verified = verified
    return dict(verified[1])


class Identity(DependencyProvider):
    """The verified caller (`sub`, `roles`, `entities`) whose passport the gateway put into the context data
    (see `common.authz`). Services re-check roles and entity scope with it (`require`, `entities`, `scope`).

    On the gateway it is set, so every RPC made by the worker carries it onwards. A worker that serves no
    caller (an event handler, a timer) calls other services as this service (`service:<name>`)."""

    def setup(self):
        self.settings = settings()

    def worker_setup(self, worker_ctx):
        if isinstance(worker_ctx.entrypoint, (Rpc, HttpRequestHandler)) or worker_ctx.context_data.get(IDENTITY_KEY):
            CALLER_SUB.set(identity_of(worker_ctx, self.settings).get("sub"))  # for this worker's log lines
            return
        worker_ctx.context_data[IDENTITY_KEY] = authz.service_passport(self.container.service_name, self.settings)

    def get_dependency(self, worker_ctx):
        return CallerIdentity(worker_ctx, self.settings)


class CallerIdentity:
    def __init__(self, worker_ctx, s):
        self._ctx = worker_ctx
        self._settings = s

    def set(self, identity):
        self._ctx.context_data[IDENTITY_KEY] = authz.passport(identity, self._settings)
        CALLER_SUB.set(identity.get("sub"))

    @contextlib.contextmanager
    def as_service(self):
        """RPCs made inside go out as this service (`service:<name>`): reads a service makes for itself, not
        for its caller (the caller's own identity is back afterwards)."""
        data = self._ctx.context_data
        saved = data.get(IDENTITY_KEY)
        data[IDENTITY_KEY] = authz.service_passport(self._ctx.container.service_name, self._settings)
        try:
            yield
        finally:
            if saved is None:
                data.pop(IDENTITY_KEY, None)
            else:
                data[IDENTITY_KEY] = saved

    def get(self):
        return identity_of(self._ctx, self._settings)

    @property
    def sub(self):
        return self.get().get("sub")

    def require(self, *roles, service=False):
        """The caller, when it holds one of `roles` (none: any role); `service`: other services may call too."""
        try:
            identity = passport_identity(self._ctx, self._settings)
        except authz.BadPassport as exc:
            raise Forbidden(str(exc)) from None
        return authz.require(identity, *roles, service=service)

    def entities(self, *roles, service=False):
        """The entities the caller acts for (None: all), once it is found to hold one of `roles`."""
        return authz.entities_of(self.require(*roles, service=service))

    def scope(self, entity, what, *roles, service=False):
        """NotFound for an object of an entity the caller does not act for."""
        authz.scope(self.require(*roles, service=service), entity, what)


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
