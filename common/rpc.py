"""RPC clients for our services: nameko's `ServiceRpc` with a reply listener that does not die at start-up.

nameko's reply listener checks, each time its consumer (re)connects, that its reply queue still exists while
calls wait for replies, and raises when it does not (the replies would be lost). On the consumer's first
connection that check races with the process's own first calls: a call made while the listener is starting
(the gateway answers `/health` as soon as its HTTP server listens) registers for its reply, then its publish
declares the reply queue; a first connection between the two finds the call pending and the queue not yet
declared, and the listener's thread dies with `NOT_FOUND - no queue 'rpc.reply-…'`, taking the process down.
Before the first connection no reply can have been lost (the queue is declared before any request is sent),
so the check applies from the second connection on."""
from nameko.rpc import ReplyListener, ServiceRpc as NamekoServiceRpc


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
