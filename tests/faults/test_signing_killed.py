"""Fault (b): the signing service's process is killed with SIGKILL in the middle of a 2,000-vehicle release and
started again. Its unacked batches are redelivered; no vehicle is sealed twice or lost."""
import pytest

from fault_support import VEHICLES, assert_released_exactly_once, dead_lettered
from tests.support import ReleaseRun

pytestmark = [pytest.mark.fault, pytest.mark.slow]


def test_signing_killed_mid_batch(fault_stack):
    stack = fault_stack
    run = ReleaseRun(stack, VEHICLES).prepare()
    run.sign()
    stored = run.wait_signing_started()

    stack.processes.kill("signing")  # SIGKILL: no graceful stop, unacked messages go back to the queue
    stack.processes.restart("signing")
    stack.processes.wait_healthy(stack.settings.gateway_url, timeout=90)

    run.wait_released(timeout=600)
    assert_released_exactly_once(stack, run)
    assert dead_lettered(stack.settings.amqp_uri) == []
    assert stored < run.count
    print(f"\nsigning killed after {stored}/{run.count} certificates; timings {run.timings}")
