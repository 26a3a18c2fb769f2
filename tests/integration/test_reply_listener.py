"""`common.rpc`: the RPC reply listener of our clients — a call made while it starts never kills the process; a
reply queue lost after it was connected is still reported, as nameko reports it — and the `rpc` entrypoint, which
outlives a reply the broker does not take."""
import uuid

import nameko
import pytest
from kombu import Queue
from kombu.exceptions import OperationalError
from nameko.exceptions import ReplyQueueExpiredWithPendingReplies
from nameko.rpc import get_rpc_exchange
from nameko.standalone.rpc import ClusterRpcClient

from common.rpc import StartingReplyListener, rpc

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


class Answering:
    name = "answering"
    calls = []

    @rpc
    def answer(self, value):
        Answering.calls.append(value)
        return value * 2


def test_a_reply_the_broker_does_not_take_leaves_the_process_running_and_the_request_is_answered_again(
        container_factory, amqp_uri, monkeypatch):
    """nameko lets a failed reply publish (the broker down for longer than its retries) end the worker's thread, and
    the container then kills the process. Our `rpc`: the reply is given up, the request handed back to the broker,
    and answered when it comes again."""
    container = container_factory(Answering, {"AMQP_URI": amqp_uri})
    container.start()
    failures = []
    send_response = nameko.rpc.Responder.send_response

    def broker_down_once(self, result, exc_info):
        if not failures:
            failures.append(result)
            raise OperationalError("[Errno 111] ECONNREFUSED")
        return send_response(self, result, exc_info)

    monkeypatch.setattr(nameko.rpc.Responder, "send_response", broker_down_once)
    Answering.calls.clear()
    with nameko.config.patch({"AMQP_URI": amqp_uri}), ClusterRpcClient(timeout=30) as client:
        assert client.answering.answer(21) == 42
    assert failures == [42] and Answering.calls == [21, 21]
    assert not container._died.ready()
