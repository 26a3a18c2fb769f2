"""An event no consumer can handle is dead-lettered, and `GET /health` says so: which dead-letter queue holds
how many, so that the operator sees it (a dead letter waits for a person); once taken away, it is gone."""
import json
import os
import subprocess
import sys
import uuid

import pytest
import requests
from kombu import Connection

from common.config import REPO_ROOT
from common.topology import dead_letter_queues
from tests.support import query, take, wait_until

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


def ecoc(stack, *args):
    env = dict(os.environ, ECOC_AMQP_URI=stack.amqp_uri)
    done = subprocess.run([sys.executable, "-m", "cli.main", "dead-letters", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_an_operator_lists_shows_and_redrives_dead_letters(stack, wait):
    """A dead letter whose cause is gone goes back to its consumer with `ecoc dead-letters redrive`, which
    handles it; `list` and `show` tell where it waits and why, without taking it."""
    dead = next(q for q in dead_letter_queues() if q.endswith("--validation.on_vehicle_changed.dead"))
    event_id = str(uuid.uuid4())
    envelope = {"event_id": event_id, "event_type": "vehicle_changed", "source": "vehicles",
                "occurred_at": "2026-12-01T10:00:00+00:00", "actor": "dana", "roles": ["data_steward"],
                "entity": "DLQCO", "subject": "DLQ00000000000001", "subjects": ["DLQ00000000000001"],
                "data": {"vehicles": []}, "trace": {}}
    with Connection(stack.amqp_uri) as conn:  # as FailureRoute leaves an event that failed every attempt
        conn.Producer().publish(json.dumps(envelope), routing_key=dead, exchange="", content_type="application/json",
                                headers={"x-ecoc-attempt": 4, "x-ecoc-error": "OperationalError: database away",
                                         "x-ecoc-failed-at": "2026-12-01T10:01:00+00:00",
                                         "x-ecoc-queue": dead[: -len(".dead")]})
    wait(lambda: f"       1  {dead}" in ecoc(stack, "list"), 20, what="the dead letter listed")
    [shown] = [json.loads(line) for line in ecoc(stack, "show", dead).splitlines()]
    assert (shown["event_id"], shown["attempts"], shown["reason"]) == (event_id, 4, "OperationalError: database away")
    assert f"       1  {dead}" in ecoc(stack, "list")  # show took nothing

    assert ecoc(stack, "redrive", dead).strip() == f"1 dead letter(s) handed back to {dead[: -len('.dead')]}"
    handled = wait(lambda: query(stack.database_url("validation"), "SELECT event_id FROM inbox WHERE event_id = :e",
                                 e=event_id), 30, what="the redriven event handled by validation")
    assert handled and ecoc(stack, "list").strip() == "no dead letters"
