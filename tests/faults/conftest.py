"""Fixtures of the fault tests (tests/faults): `fault_stack`, the stack the release faults share; the official
schema and a scratch directory for a fault test that needs a stack of its own configuration.

Scratch space is a temporary directory of our own, not pytest's `tmp_path`: pytest removes old numbered base
directories when another session starts on the same machine, which must not pull the keys, logs or broker
data out from under a stack that runs for minutes."""
import tempfile
from pathlib import Path

import pytest

from fault_support import FAULT_ENV, SCHEMA_PATH, PrivateRabbitMQ, rabbitmq_tool
from tests.stack_fixtures import shared_stack
from tests.support import running_stack, throwaway_vhost


@pytest.fixture
def fault_schema():
    if not SCHEMA_PATH.is_file():
        pytest.fail(f"the official IVI 2.0 schema is missing at {SCHEMA_PATH} (set ECOC_IVI_SCHEMA)")
    return SCHEMA_PATH


@pytest.fixture
def scratch():
    with tempfile.TemporaryDirectory(prefix="ecoc-fault-") as root:
        yield Path(root)


@shared_stack
def fault_stack():
    """The stack the release faults share (the broker stopped, the signing process killed, database connections
    terminated; `stack.rabbitmq` is its private RabbitMQ node, None where `rabbitmq-server` is not installed and
    the stack runs on a vhost of its own instead). Each test releases fresh vehicles and checks them, and the
    whole stack's outboxes and audit log; a fault the stack did not recover from fails the tests after it too."""
    import contextlib
    import shutil

    if not SCHEMA_PATH.is_file():
        pytest.fail(f"the official IVI 2.0 schema is missing at {SCHEMA_PATH} (set ECOC_IVI_SCHEMA)")
    with contextlib.ExitStack() as resources:
        root = Path(resources.enter_context(tempfile.TemporaryDirectory(prefix="ecoc-fault-")))
        node = None
        if shutil.which(rabbitmq_tool("rabbitmq-server")):
            (root / "rabbitmq").mkdir()
            node = PrivateRabbitMQ(root / "rabbitmq")
            node.start()
            resources.callback(node.stop)
            amqp_uri = node.amqp_uri
        else:
            amqp_uri = resources.enter_context(throwaway_vhost("faults"))
        stack = resources.enter_context(running_stack(amqp_uri, root / "stack", SCHEMA_PATH, **FAULT_ENV))
        stack.rabbitmq = node
        yield stack
