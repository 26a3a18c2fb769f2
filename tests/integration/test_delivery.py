"""Delivery guarantees on the real broker and database: a failing handler is retried with back-off and then
dead-lettered (never acked and dropped), a malformed envelope goes to the dead-letter queue at once, an event
that no queue takes stays in the outbox (an error, not a drop), and a redelivered event is skipped by the inbox."""
import json
import time
import uuid
from datetime import datetime, timezone

import pytest
from kombu import Connection, Queue
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.standalone.events import get_event_exchange
from sqlalchemy import select

from common.db import make_engine, make_session_factory
from common.dependencies import Database
from common.events import ATTEMPT_HEADER, ERROR_HEADER, QUEUE_HEADER, on_event
from common.outbox import Outbox, OutboxRelay
from common.topology import dead_queue_name, declare_all, event_queue_name, retry_queue_name
from services.signing.models import inbox as signing_inbox
from services.signing.models import outbox as signing_outbox
from tests.support import take, wait_until

pytestmark = pytest.mark.integration

SOURCE = "probe"
DELAYS = "0.3,0.9"  # seconds; production uses 1,5,30


def envelope(event_type, data=None, event_id=None):
    return {
        "event_id": event_id or str(uuid.uuid4()), "event_type": event_type, "source": SOURCE,
        "occurred_at": datetime.now(timezone.utc).isoformat(), "actor": "test", "entity": None,
        "subject": "S1", "subjects": ["S1"], "data": data or {}, "trace": {},
    }


def publish_raw(amqp_uri, payload, routing_key):
    exchange = get_event_exchange(SOURCE)
    Publisher(amqp_uri, use_confirms=True, mandatory=True).publish(
        payload, exchange=exchange, routing_key=routing_key, declare=[exchange])


class Calls:
    log = []  # (event_id, monotonic time)

    @classmethod
    def of(cls, event_id):
        return [t for e, t in cls.log if e == event_id]


class ProbeConsumer:
    name = "probeconsumer"

    @on_event(SOURCE, "flaky")
    def on_flaky(self, event):
        Calls.log.append((event["event_id"], time.monotonic()))
        if len(Calls.of(event["event_id"])) <= event["data"]["fail_times"]:
            raise RuntimeError(f"planned failure {len(Calls.of(event['event_id']))}")


QUEUE = event_queue_name(SOURCE, "flaky", ProbeConsumer.name, "on_flaky")




@pytest.fixture
def probe(container_factory, amqp_uri):
    Calls.log.clear()
    container = container_factory(ProbeConsumer, {"AMQP_URI": amqp_uri, "EVENT_RETRY_DELAYS": DELAYS})
    container.start()
    return container


def test_a_failing_handler_is_retried_with_back_off_then_dead_lettered(probe, amqp_uri):
    event = envelope("flaky", {"fail_times": 99})
    publish_raw(amqp_uri, event, "flaky")

    dead = take(amqp_uri, dead_queue_name(QUEUE), timeout=15)
    assert dead is not None, "the message never reached the dead-letter queue"
    calls = Calls.of(event["event_id"])
    assert len(calls) == 3  # the first delivery and one retry per back-off step
    gaps = [b - a for a, b in zip(calls, calls[1:])]
    assert gaps[0] >= 0.3 - 0.05 and gaps[1] >= 0.9 - 0.05, gaps  # waited in the delay queues
    assert gaps[1] > gaps[0]
    assert dead.headers[ATTEMPT_HEADER] == 3
    assert "RuntimeError: planned failure 3" in dead.headers[ERROR_HEADER]
    assert dead.headers[QUEUE_HEADER] == QUEUE
    assert json.loads(dead.body)["event_id"] == event["event_id"]  # the event itself, unchanged
    for queue in (QUEUE, retry_queue_name(QUEUE, 0.3), retry_queue_name(QUEUE, 0.9), dead_queue_name(QUEUE)):
        assert take(amqp_uri, queue) is None, f"{queue} still holds a message"


def test_a_handler_that_recovers_handles_the_event_once_and_nothing_is_dead_lettered(probe, amqp_uri):
    event = envelope("flaky", {"fail_times": 1})
    publish_raw(amqp_uri, event, "flaky")
    wait_until(lambda: len(Calls.of(event["event_id"])) == 2, 10, "the retry")
    time.sleep(1.2)  # longer than every back-off step: a wrong extra retry would have arrived
    assert len(Calls.of(event["event_id"])) == 2
    assert take(amqp_uri, dead_queue_name(QUEUE)) is None


def test_a_malformed_envelope_is_dead_lettered_at_once(probe, amqp_uri):
    publish_raw(amqp_uri, {"event_id": "not-a-uuid", "event_type": "flaky"}, "flaky")
    dead = take(amqp_uri, dead_queue_name(QUEUE), timeout=10)
    assert dead is not None
    assert "malformed envelope" in dead.headers[ERROR_HEADER] and "event_id" in dead.headers[ERROR_HEADER]
    assert Calls.log == []


def test_an_event_no_queue_takes_stays_in_the_outbox_until_a_consumer_queue_exists(amqp_uri, service_db):
    url = service_db("signing", "delivery")
    engine = make_engine(url, pool_size=2)
    try:
        sessions = make_session_factory(engine)
        outbox = Outbox(SOURCE, signing_outbox)
        relay = OutboxRelay(SOURCE, signing_outbox, sessions, amqp_uri)
        event_type = f"unheard_{uuid.uuid4().hex[:6]}"
        with sessions() as session:
            outbox.store(session, [outbox.envelope(event_type, {}, subject="S1")])
            session.commit()

        assert relay.relay_once() == 0  # mandatory: the broker returned it, so it is kept
        with sessions() as session:
            row = session.execute(select(signing_outbox)).one()
        assert row.published_at is None and row.attempts == 1
        assert row.last_error == "no queue bound for this event"
        with pytest.raises(UndeliverableMessage):  # the plain publisher sees the same: an error, not a drop
            publish_raw(amqp_uri, envelope(event_type), event_type)

        with Connection(amqp_uri) as conn:  # a consumer queue appears …
            Queue(f"listener-{event_type}", exchange=get_event_exchange(SOURCE), routing_key=event_type,
                  durable=True)(conn.channel()).declare()
        assert relay.relay_once() == 1  # … and the kept event goes out
        with sessions() as session:
            assert session.execute(select(signing_outbox.c.published_at)).scalar_one() is not None
        message = take(amqp_uri, f"listener-{event_type}", timeout=5)
        assert message is not None and message.headers is not None
    finally:
        engine.dispose()


class InboxConsumer:
    name = "inboxconsumer"
    db = Database(inbox_table=signing_inbox)
    handled = []
    skipped = []

    @on_event(SOURCE, "once")
    def on_once(self, event):
        with self.db as uow:
            if not uow.inbox.first_time(uow.session, event):
                InboxConsumer.skipped.append(event["event_id"])
                return
            InboxConsumer.handled.append(event["event_id"])
            uow.commit()


def test_a_redelivered_event_is_skipped_by_the_inbox(container_factory, amqp_uri, service_db):
    url = service_db("signing", "inbox")
    InboxConsumer.handled.clear()
    InboxConsumer.skipped.clear()
    container = container_factory(InboxConsumer, {"AMQP_URI": amqp_uri, "DATABASE_URL": url,
                                                  "EVENT_RETRY_DELAYS": DELAYS})
    container.start()
    event = envelope("once")
    publish_raw(amqp_uri, event, "once")
    publish_raw(amqp_uri, event, "once")  # the same event again, as after a lost ack
    wait_until(lambda: len(InboxConsumer.handled) + len(InboxConsumer.skipped) == 2, 10, "both deliveries")
    assert InboxConsumer.handled == [event["event_id"]]
    assert InboxConsumer.skipped == [event["event_id"]]


def test_the_topology_declares_every_consumer_queue_with_its_retry_and_dead_letter_queues(amqp_uri):
    declare_all(amqp_uri, (0.3, 0.9))
    declare_all(amqp_uri, (0.3, 0.9))  # idempotent: the same arguments again
    queue = event_queue_name("vehicles", "release_sign_requested", "signing", "on_release_sign_requested")
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        for name in (queue, retry_queue_name(queue, 0.3), retry_queue_name(queue, 0.9), dead_queue_name(queue)):
            channel.queue_declare(queue=name, passive=True)  # raises when missing
    # before any consumer runs, an event of vehicles already has a queue: published, not returned
    exchange = get_event_exchange("vehicles")
    Publisher(amqp_uri, use_confirms=True, mandatory=True).publish(
        {"x": 1}, exchange=exchange, routing_key="release_sign_requested")
    assert take(amqp_uri, queue, timeout=5) is not None
