"""Two processes of a service each run an outbox relay on the same outbox (replicas): they take turns, so every
row is published once and in the order it was stored."""
import json
import uuid

import eventlet
import pytest
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange

from common.db import make_engine, make_session_factory
from common.outbox import Outbox, OutboxRelay
from services.signing.models import outbox as signing_outbox

pytestmark = pytest.mark.integration

SOURCE = "relays"
ROWS = 600  # three batches of 200 per relay's turn: the second relay finds work while the first publishes


def test_two_relays_publish_each_row_once_in_order(amqp_uri, service_db):
    url = service_db("signing", "relays")
    engines = [make_engine(url, pool_size=2) for _ in range(2)]  # one per process
    event_type = f"relayed_{uuid.uuid4().hex[:6]}"
    queue = f"listener-{event_type}"
    try:
        with Connection(amqp_uri) as conn:
            Queue(queue, exchange=get_event_exchange(SOURCE), routing_key=event_type, durable=True)(
                conn.channel()).declare()
        outbox = Outbox(SOURCE, signing_outbox)
        sessions = [make_session_factory(engine) for engine in engines]
        stored = [outbox.envelope(event_type, {"n": n}, subject=f"S{n}") for n in range(ROWS)]
        with sessions[0]() as session:
            outbox.store(session, stored)
            session.commit()
        relays = [OutboxRelay(SOURCE, signing_outbox, factory, amqp_uri) for factory in sessions]

        def drain(relay):
            while relay.relay_once():
                pass

        for thread in [eventlet.spawn(drain, relay) for relay in relays]:
            thread.wait()

        received = []
        with Connection(amqp_uri) as conn:
            channel = conn.channel()
            while (message := channel.basic_get(queue=queue, no_ack=True)) is not None:
                received.append(json.loads(message.body)["event_id"])
        assert received == [e["event_id"] for e in stored]  # every row once, in the order stored
    finally:
        for engine in engines:
            engine.dispose()
