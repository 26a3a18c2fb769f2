"""nameko's RPC, with two fixes: an entrypoint that outlives a broker outage while it replies, and clients whose
reply listener does not die at start-up.

`rpc`: nameko sends a worker's reply from the worker's own thread and lets a failed publish end it; the
container takes that for a crashed extension and kills the whole process. A broker that is down for longer than
the publish's retries (a few seconds; a broker restart) killed every process that was answering a call at that
moment. Here the reply is given up instead, and the request handed back to the broker (on a lost connection the
broker requeues it anyway): it is delivered again once the broker is back, and its caller, whose reply was lost,
gets a timeout. Every service's RPC entrypoints use this `rpc` (one consumer per service queue).

`ServiceRpc`: nameko's reply listener checks, each time its consumer (re)connects, that its reply queue still
exists while calls wait for replies, and raises when it does not (the replies would be lost). On the consumer's first
connection that check races with the process's own first calls: a call made while the listener is starting
(the gateway answers `/health` as soon as its HTTP server listens) registers for its reply, then its publish
declares the reply queue; a first connection between the two finds the call pending and the queue not yet
declared, and the listener's thread dies with `NOT_FOUND - no queue 'rpc.reply-…'`, taking the process down.
Before the first connection no reply can have been lost (the queue is declared before any request is sent),
so the check applies from the second connection on."""
import logging

from kombu.exceptions import OperationalError
from nameko.rpc import ReplyListener, Rpc as NamekoRpc, RpcConsumer, ServiceRpc as NamekoServiceRpc

log = logging.getLogger(__name__)


class OutageProofRpcConsumer(RpcConsumer):

    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        except (OperationalError, OSError) as exc:  # kombu's, once its publish retries are spent
            log.warning("the reply to %s could not be sent, the broker is unreachable (%s): the request goes back "
                        "to the broker", message.delivery_info.get("routing_key"), exc)
            self.consumer.requeue_message(message)
            return result, exc_info


class Rpc(NamekoRpc):
    rpc_consumer = OutageProofRpcConsumer()


rpc = Rpc.decorator


class StartingReplyListener(ReplyListener):

    def __init__(self, **consumer_options):
        super().__init__(**consumer_options)
        self._connected_before = False

    def check_for_lost_replies(self):
        if self._connected_before:
            super().check_for_lost_replies()
        self._connected_before = True


class ServiceRpc(NamekoServiceRpc):
    """`nameko.rpc.ServiceRpc` with `StartingReplyListener` (one per process, shared by every client)."""

    reply_listener = StartingReplyListener()
