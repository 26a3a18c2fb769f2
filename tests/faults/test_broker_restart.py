"""Fault (a): RabbitMQ is stopped (`rabbitmqctl stop_app`) and started again in the middle of a 2,000-vehicle
release. The broker is a private node of this test, never the shared one. Services reconnect, durable queues
keep their persistent messages, the outbox relays resume; nothing is lost or done twice."""
import time

import pytest

from fault_support import FAULT_ENV, VEHICLES, assert_released_exactly_once, dead_lettered
from tests.support import ReleaseRun, running_stack

pytestmark = [pytest.mark.fault, pytest.mark.slow]

OUTAGE_SECONDS = 5


def test_broker_stopped_and_started_mid_batch(scratch, fault_schema, private_rabbitmq):
    with running_stack(private_rabbitmq.amqp_uri, scratch, fault_schema, **FAULT_ENV) as stack:
        run = ReleaseRun(stack, VEHICLES).prepare()
        run.sign()
        stored = run.wait_signing_started()

        private_rabbitmq.stop_app()
        time.sleep(OUTAGE_SECONDS)
        private_rabbitmq.start_app()

        run.wait_released(timeout=600)
        assert stack.processes.alive()
        assert_released_exactly_once(stack, run)
        assert dead_lettered(private_rabbitmq.amqp_uri) == []
        print(f"\nbroker down {OUTAGE_SECONDS}s after {stored}/{run.count} certificates; timings {run.timings}")
