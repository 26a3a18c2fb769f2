"""Fault (a): RabbitMQ is stopped (`rabbitmqctl stop_app`) and started again in the middle of a 2,000-vehicle
release. The broker is a private node of the fault tests' stack, never the shared one. Services reconnect, durable
queues keep their persistent messages, the outbox relays resume; nothing is lost or done twice."""
import time

import pytest

from fault_support import VEHICLES, assert_released_exactly_once, dead_lettered
from tests.support import ReleaseRun

pytestmark = [pytest.mark.fault, pytest.mark.slow]

OUTAGE_SECONDS = 5


def test_broker_stopped_and_started_mid_batch(fault_stack):
    stack, broker = fault_stack, fault_stack.rabbitmq
    if broker is None:
        pytest.skip("rabbitmq-server is not installed on this machine")
    run = ReleaseRun(stack, VEHICLES).prepare()
    run.sign()
    stored = run.wait_signing_started()

    broker.stop_app()
    time.sleep(OUTAGE_SECONDS)
    broker.start_app()

    run.wait_released(timeout=600)
    assert stack.processes.alive()
    assert_released_exactly_once(stack, run)
    assert dead_lettered(broker.amqp_uri) == []
    print(f"\nbroker down {OUTAGE_SECONDS}s after {stored}/{run.count} certificates; timings {run.timings}")
