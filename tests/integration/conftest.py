"""Shared fixtures of the integration tests: one service in a real nameko container, on real RabbitMQ
and PostgreSQL, isolated by a throwaway vhost per test module and throwaway databases per test.

Fixtures (all built on `tests.support`):
- `amqp_uri`       module-scoped AMQP URI on a vhost of its own
- `service_db`     factory: `service_db("vehicles")` → URL of a freshly migrated database, dropped with the module's
- `service_config` factory: `service_config("vehicles", db_url, KEY=value)` → nameko config on both
- `as_user`        `as_user(sub, roles, entities)` → nameko context data carrying that identity
- `call`           `call(container, "method", *args, context_data=None, **kwargs)` → the RPC's result
- `outbox_rows`    `outbox_rows(db_url, event_type=None)` → the envelopes a service stored in its outbox
- `db_rows`        `db_rows(db_url, "SELECT …", **params)` → result rows as dicts
- `publish_event`  publishes an envelope to its source's events exchange (retried until a queue takes it)
"""
import sys
import time

import pytest
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.standalone.events import get_event_exchange
from nameko.testing.services import entrypoint_hook
from sqlalchemy import create_engine, text

from common.config import REPO_ROOT, nameko_config
from common.dependencies import caller_context

if str(REPO_ROOT) not in sys.path:  # `tests` has no __init__.py: make `tests.support` importable
    sys.path.append(str(REPO_ROOT))

from tests.support import drop_databases, new_throwaway_database, throwaway_vhost  # noqa: E402

PUBLISH_RETRY_SECONDS = 10


@pytest.fixture(scope="module")
def amqp_uri(request):
    """A vhost per test module, so no consumer elsewhere on the broker takes or sends our messages."""
    label = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_").removesuffix("_service")
    with throwaway_vhost(label.replace("_", "-")) as uri:
        yield uri


@pytest.fixture(scope="module")
def module_databases():
    """The throwaway databases of a module's tests (`service_db`), dropped together when the module ends: PostgreSQL
    makes each DROP DATABASE wait for a checkpoint, and drops waiting together share one (`drop_databases`)."""
    urls = []
    yield urls
    drop_databases(urls)


@pytest.fixture
def service_db(module_databases):
    """`service_db(service)` → the URL of a throwaway, migrated database of that service, for this test alone."""

    def make(service, label=None):
        module_databases.append(new_throwaway_database(service, label))
        return module_databases[-1]

    return make


@pytest.fixture
def service_config(amqp_uri):
    """`service_config(service, database_url, **extra)` → the service's nameko config on our vhost and database."""

    def make(service, database_url, **extra):
        config = nameko_config(service)
        config.update(AMQP_URI=amqp_uri, DATABASE_URL=database_url, **extra)
        return config

    return make


def identity_context(sub, roles=(), entities=("*",)):
    """Context data as the gateway sends it: the verified caller as a passport signed with the internal secret."""
    return caller_context({"sub": sub, "roles": list(roles), "entities": list(entities)})


@pytest.fixture
def as_user():
    """`as_user(sub, roles, entities)` → context data for `entrypoint_hook`: the gateway's verified caller."""
    return identity_context


def call_rpc(container, method, *args, context_data=None, **kwargs):
    with entrypoint_hook(container, method, context_data=context_data) as hook:
        return hook(*args, **kwargs)


@pytest.fixture
def call():
    """`call(container, method, *args, context_data=None, **kwargs)`: run one entrypoint and return its result."""
    return call_rpc


@pytest.fixture
def db_rows():
    """`db_rows(url, statement, **params)` → list of dicts (one short-lived engine per database)."""
    engines = {}

    def query(url, statement, **params):
        if url not in engines:
            engines[url] = create_engine(url, pool_size=1, max_overflow=0)
        with engines[url].connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(statement), params)]

    yield query
    for engine in engines.values():
        engine.dispose()


@pytest.fixture
def outbox_rows(db_rows):
    """`outbox_rows(url, event_type=None)` → the envelopes in a service's outbox, in the order stored."""

    def read(url, event_type=None):
        if event_type is None:
            rows = db_rows(url, "SELECT payload FROM outbox ORDER BY id")
        else:
            rows = db_rows(url, "SELECT payload FROM outbox WHERE event_type = :t ORDER BY id", t=event_type)
        return [r["payload"] for r in rows]

    return read


def publish_to(amqp_uri, envelope, retry_seconds=PUBLISH_RETRY_SECONDS):
    """Publish `envelope` to `<source>.events` with its event type as routing key, mandatory and confirmed;
    retried while no queue is bound yet (a consumer that is still starting)."""
    exchange = get_event_exchange(envelope["source"])
    publisher = Publisher(amqp_uri, serializer="json", use_confirms=True, mandatory=True)
    deadline = time.monotonic() + retry_seconds
    while True:
        try:
            publisher.publish(envelope, exchange=exchange, routing_key=envelope["event_type"], declare=[exchange])
            return envelope
        except UndeliverableMessage:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def publish_event(amqp_uri):
    """`publish_event(envelope)`: publish an event as its source service would (see `publish_to`)."""
    return lambda envelope, **kwargs: publish_to(amqp_uri, envelope, **kwargs)


@pytest.fixture
def container_factory(container_factory, amqp_uri):
    """nameko's factory, plus: when a test ends, its containers stop and their event queues are emptied.

    The vhost lives for the whole module while each test has its own databases: an event one test left
    unconsumed must not reach the next test's service."""
    made = []

    def make(*args, **kwargs):
        container = container_factory(*args, **kwargs)
        made.append(container)
        return container

    yield make
    from kombu import Connection

    for container in made:
        container.stop()
        queues = [ep.queue.name for ep in container.entrypoints if getattr(ep, "queue", None) is not None]
        with Connection(amqp_uri) as connection:
            channel = connection.channel()
            for name in queues:
                try:
                    channel.queue_purge(name)
                except Exception:  # noqa: BLE001 - a queue that was never declared has nothing to purge
                    channel = connection.channel()
