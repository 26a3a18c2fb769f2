"""Whether a service is running at all: some consumer is on its RPC queue; and which events were dead-lettered.

The gateway asks the broker when a call timed out, to tell a service that is down (503) from one that is slow
(504). `Availability` also watches every service's RPC queue in the background (one passive declare per
queue every `WATCH_SECONDS`), so that a call to a service seen without consumers is answered 503 at once,
after one live re-check, instead of after the whole RPC timeout. The same watch counts the messages in every
dead-letter queue (`common.topology`), which `GET /health` reports: a dead letter waits for a person."""
import logging

import eventlet
from amqp.protocol import queue_declare_ok_t
from kombu import Connection
from nameko.extensions import DependencyProvider
from nameko.rpc import RPC_QUEUE_TEMPLATE

from common import metrics
from common.config import SERVICES
from common.topology import dead_letter_queues

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 2.0  # seconds for the broker to answer
WATCH_SECONDS = 5.0


def consumers(amqp_uri, service):
    """How many consumers the service's RPC queue has (0 when the queue does not exist); None when the broker
    cannot tell."""
    try:
        with Connection(amqp_uri, connect_timeout=CHECK_TIMEOUT, transport_options={"max_retries": 0}) as conn:
            return _count(conn, service)
    except Exception as exc:  # the broker itself is unreachable: say nothing about the service
        log.warning("cannot ask the broker about %s: %s", service, exc)
        return None


def _count(conn, service):
    return _declared(conn, RPC_QUEUE_TEMPLATE.format(service)).consumer_count


def _declared(conn, queue):
    """The broker's (queue, message_count, consumer_count) of `queue`; zeros when it was never declared."""
    channel = conn.channel()
    try:
        return channel.queue_declare(queue, passive=True)
    except conn.channel_errors:  # 404: never declared (and the channel is closed by the broker)
        return queue_declare_ok_t(queue, 0, 0)
    finally:
        if channel.is_open:
            channel.close()


def _measure(rpc_queues, dead_letters):
    for service, queue in rpc_queues.items():
        metrics.RPC_CONSUMERS.labels(service).set(queue.consumer_count)
        metrics.RPC_MESSAGES.labels(service).set(queue.message_count)
    for queue, count in dead_letters.items():
        metrics.DEAD_LETTERS.labels(queue).set(count)


class Availability(DependencyProvider):
    """What the gateway knows of each service's consumers: watched in the background, checked on demand."""

    def __init__(self, amqp_uri):
        self.amqp_uri = amqp_uri
        self.seen = {}  # service -> consumer count at the last watch (None: the broker could not tell)
        self.dead_letters = {}  # dead-letter queue -> messages in it, for the non-empty ones
        self._running = False

    def start(self):
        self._running = True
        self.container.spawn_managed_thread(self._watch, identifier="availability-watch")

    def stop(self):
        self._running = False

    def _watch(self):
        dead_queues = dead_letter_queues()
        while self._running:
            try:
                with Connection(self.amqp_uri, connect_timeout=CHECK_TIMEOUT,
                                transport_options={"max_retries": 0}) as conn:
                    while self._running:
                        rpc_queues = {s: _declared(conn, RPC_QUEUE_TEMPLATE.format(s)) for s in SERVICES}
                        self.seen = {service: q.consumer_count for service, q in rpc_queues.items()}
                        counts = {queue: _declared(conn, queue).message_count for queue in dead_queues}
                        self.dead_letters = {queue: n for queue, n in counts.items() if n}
                        _measure(rpc_queues, counts)
                        eventlet.sleep(WATCH_SECONDS)
            except Exception as exc:  # the broker is away: forget what was seen, try again later
                self.seen, self.dead_letters = {}, {}
                log.warning("availability watch: %s", exc)
                eventlet.sleep(WATCH_SECONDS)

    def known_down(self, service):
        """True when the watcher (or the last check) saw the service without consumers and it still has none."""
        return self.seen.get(service) == 0 and self.check(service) == 0

    def check(self, service):
        """The consumer count of the service's RPC queue now (None: the broker cannot tell); remembered."""
        self.seen[service] = consumers(self.amqp_uri, service)
        return self.seen[service]

    def get_dependency(self, worker_ctx):
        return self
