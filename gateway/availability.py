"""Whether a service is running at all: some consumer is on its RPC queue. The gateway asks when a call
timed out, to tell a service that is down (503) from one that is slow (504)."""
import logging

from kombu import Connection
from nameko.rpc import RPC_QUEUE_TEMPLATE

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 2.0  # seconds for the broker to answer


def consumers(amqp_uri, service):
    """How many consumers the service's RPC queue has (0 when the queue does not exist); None when the broker
    cannot tell."""
    try:
        with Connection(amqp_uri, connect_timeout=CHECK_TIMEOUT, transport_options={"max_retries": 0}) as conn:
            channel = conn.channel()
            try:
                return channel.queue_declare(RPC_QUEUE_TEMPLATE.format(service), passive=True).consumer_count
            except conn.channel_errors:  # 404: never declared
                return 0
    except Exception as exc:  # the broker itself is unreachable: say nothing about the service
        log.warning("cannot ask the broker about %s: %s", service, exc)
        return None
