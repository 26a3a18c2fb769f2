"""Fault (c): every PostgreSQL connection of the stack is terminated (`pg_terminate_backend`) in the middle of a
2,000-vehicle release, three times over. Pooled connections are re-checked (`pool_pre_ping`), failed handlers
retried, the outbox relays resume; nothing is lost or done twice."""
import time

import pytest

from fault_support import VEHICLES, assert_released_exactly_once, dead_lettered
from tests.support import ReleaseRun, query

pytestmark = [pytest.mark.fault, pytest.mark.slow]


def terminate_backends(stack):
    """Terminate every server connection to the stack's own databases (never anyone else's)."""
    rows = query(stack.database_url("vehicles"), """
        SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
        WHERE datname LIKE :prefix AND pid <> pg_backend_pid()""", prefix=stack.prefix + r"\_%")
    return sum(1 for r in rows if r["done"])


def test_database_connections_terminated_mid_batch(fault_stack):
    stack = fault_stack
    run = ReleaseRun(stack, VEHICLES).prepare()
    run.sign()
    stored = run.wait_signing_started()

    terminated = []
    for _ in range(3):
        terminated.append(terminate_backends(stack))
        time.sleep(1.0)
    assert all(n > 0 for n in terminated), terminated

    run.wait_released(timeout=600)
    assert_released_exactly_once(stack, run)
    assert dead_lettered(stack.settings.amqp_uri) == []
    print(f"\nterminated {terminated} connections after {stored}/{run.count} certificates; "
          f"timings {run.timings}")
