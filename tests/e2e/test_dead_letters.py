"""An event no consumer can handle is dead-lettered, and `GET /health` says so: which dead-letter queue holds
how many, so that the operator sees it (a dead letter waits for a person); once taken away, it is gone."""
import json

import pytest
import requests
from kombu import Connection

from common.topology import dead_letter_queues
from tests.support import take, wait_until

pytestmark = pytest.mark.e2e


def health(stack):
    return requests.get(stack.url("/health"), timeout=10).json()


def test_a_dead_letter_shows_in_health_until_taken(stack):
    dead = next(q for q in dead_letter_queues() if q.endswith("--validation.on_vehicle_changed.dead"))
    queue = dead[: -len(".dead")]
    assert health(stack)["dead_letters"] == {}
    with Connection(stack.amqp_uri) as conn:  # not an envelope: the consumer dead-letters it at once
        conn.Producer().publish(json.dumps({"not": "an event"}), routing_key=queue, exchange="",
                                content_type="application/json")
    shown = wait_until(lambda: health(stack)["dead_letters"], 30, f"{dead} in /health")
    assert shown == {dead: 1}

    letter = take(stack.amqp_uri, dead, timeout=5)
    assert letter is not None and json.loads(letter.body) == {"not": "an event"}
    wait_until(lambda: health(stack)["dead_letters"] == {}, 30, "the dead letter gone from /health")
