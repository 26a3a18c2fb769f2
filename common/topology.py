"""The broker topology of ecoc, declared before any producer publishes.

Every service publishes to its topic exchange `<service>.events`. Every event handler consumes its own
durable queue `evt-<source>-<event type>--<service>.<method>` (nameko's naming), bound to the source's
exchange with the event type. Beside each such queue `Q` live:

- one delay queue per back-off step, `Q.retry.<ms>ms`: a failed message waits there (`x-message-ttl`) and is
  then dead-lettered back to `Q` through the default exchange;
- `Q.dead`: the durable dead-letter queue of messages that failed every attempt or cannot be handled at all.

Names carry the delay, so changing the back-off never redeclares a queue with other arguments
(PRECONDITION_FAILED); `Q` itself gets no arguments, exactly as nameko declares it.
"""
import importlib

from kombu import Connection, Queue
from nameko.events import EventHandler
from nameko.standalone.events import get_event_exchange

from common.config import SERVICES

DEFAULT_RETRY_DELAYS = (1.0, 5.0, 30.0)


def event_queue_name(source, event_type, service, method):
    return f"evt-{source}-{event_type}--{service}.{method}"


def retry_queue_name(queue_name, delay):
    return f"{queue_name}.retry.{int(round(delay * 1000))}ms"


def dead_queue_name(queue_name):
    return f"{queue_name}.dead"


def parse_delays(value):
    """`"1,5,30"` (seconds) → (1.0, 5.0, 30.0); a tuple or list passes through."""
    if value in (None, ""):
        return DEFAULT_RETRY_DELAYS
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    delays = tuple(float(v) for v in value)
    if any(d <= 0 for d in delays):
        raise ValueError(f"retry delays must be positive seconds: {value!r}")
    return delays


def failure_queues(queue_name, delays):
    """The delay queues (one per back-off step) and the dead-letter queue of consumer queue `queue_name`."""
    retries = [
        Queue(retry_queue_name(queue_name, d), durable=True, auto_delete=False, queue_arguments={
            "x-message-ttl": int(round(d * 1000)),
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": queue_name,
        })
        for d in delays
    ]
    return retries + [Queue(dead_queue_name(queue_name), durable=True, auto_delete=False)]


def service_class(name):
    module = importlib.import_module(f"services.{name}.service")
    return getattr(module, f"{name.capitalize()}Service")


def event_handlers(cls):
    """(source, event_type, method name) of every event handler of a nameko service class."""
    found = []
    for attr in dir(cls):
        method = getattr(cls, attr, None)
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, EventHandler):
                found.append((entrypoint.source_service, entrypoint.event_type, attr))
    return sorted(found)


def declarations(services=SERVICES, delays=DEFAULT_RETRY_DELAYS):
    """The exchanges and queues (with bindings) of the whole installation, in declaration order."""
    entities = [get_event_exchange(name) for name in SERVICES]
    for service in services:
        for source, event_type, method in event_handlers(service_class(service)):
            name = event_queue_name(source, event_type, service, method)
            entities.append(Queue(name, exchange=get_event_exchange(source), routing_key=event_type,
                                  durable=True, auto_delete=False, exclusive=False))
            entities.extend(failure_queues(name, delays))
    return entities


def dead_letter_queues(services=SERVICES):
    """The names of every dead-letter queue of the installation."""
    return [dead_queue_name(event_queue_name(source, event_type, service, method))
            for service in services for source, event_type, method in event_handlers(service_class(service))]


def declare(amqp_uri, entities):
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        try:
            for entity in entities:
                entity(channel).declare()
        finally:
            channel.close()
    return len(entities)


def declare_all(amqp_uri, delays=DEFAULT_RETRY_DELAYS):
    """Declare every exchange, consumer queue, binding, delay queue and dead-letter queue of ecoc."""
    return declare(amqp_uri, declarations(delays=delays))
