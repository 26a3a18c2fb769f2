"""The RPC reply listener of our clients (`common.rpc`): a call made while it starts never kills the process;
a reply queue lost after it was connected is still reported, as nameko reports it."""
import uuid

import nameko
import pytest
from kombu import Queue
from nameko.exceptions import ReplyQueueExpiredWithPendingReplies
from nameko.rpc import get_rpc_exchange

from common.rpc import StartingReplyListener

pytestmark = pytest.mark.integration


def listener_waiting_on_an_undeclared_queue():
    listener = StartingReplyListener()
    listener.queue = Queue(f"rpc.reply-test-{uuid.uuid4()}", exchange=get_rpc_exchange(), routing_key="x")
    listener.register_for_reply(str(uuid.uuid4()))  # a call waits for its reply
    return listener


def test_a_call_pending_at_the_first_connection_is_not_a_lost_reply(amqp_uri):
    with nameko.config.patch({"AMQP_URI": amqp_uri}):
        listener = listener_waiting_on_an_undeclared_queue()
        listener.check_for_lost_replies()  # first connection: the call's publish declares the queue next
        with pytest.raises(ReplyQueueExpiredWithPendingReplies):
            listener.check_for_lost_replies()  # a reconnection that finds the queue gone: replies were lost
