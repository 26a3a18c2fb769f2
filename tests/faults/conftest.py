"""Fixtures of the fault tests (tests/faults): `fault_stack`, the stack the release faults and the webhooks fault
share; the official a scratch directory for files of a test.

Scratch space is a temporary directory of our own, not pytest's `tmp_path`: pytest removes old numbered base
directories when another session starts on the same machine, which must not pull the keys, logs or broker
data out from under a stack that runs for minutes."""
import tempfile
from pathlib import Path

import pytest

from fault_support import FAULT_ENV, SCHEMA_PATH, PrivateRabbitMQ, rabbitmq_tool
from tests.stack_fixtures import shared_stack
from tests.support import receiver_ca, running_stack, throwaway_vhost

# webhooks (test_webhooks_killed): receivers with certificates of a CA of the test's own, retries in seconds, and a
# timeout well over the receiver's delay (a lease is a timeout per 20 deliveries + 5 s)
WEBHOOK_ENV = {"ECOC_WEBHOOK_RETRY_BASE_SECONDS": "0.5", "ECOC_WEBHOOK_RETRY_MAX_SECONDS": "2",
               "ECOC_WEBHOOK_TIMEOUT_SECONDS": "5"}
# delivery (test_delivery_faults): polls every 0.5 s, backs off from 0.5 s to 2 s, for at most 5 min
DELIVERY_ENV = {"ECOC_DELIVERY_POLL_SECONDS": "0.5", "ECOC_DELIVERY_BACKOFF_BASE": "0.5",
                "ECOC_DELIVERY_BACKOFF_MAX": "2", "ECOC_DELIVERY_RETRY_FOR": "300"}


@pytest.fixture
def scratch():
    with tempfile.TemporaryDirectory(prefix="ecoc-fault-") as root:
        yield Path(root)


@shared_stack
def fault_stack():
    """The stack the release faults share (the broker stopped, the signing process killed, database connections
    terminated; `stack.rabbitmq` is its private RabbitMQ node, None where `rabbitmq-server` is not installed and
    the stack runs on a vhost of its own instead; `stack.webhook_tls` the webhook receivers' CA). Each test releases fresh vehicles and checks them, and the
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
        tls = receiver_ca(root / "webhook-ca")
        env = dict(FAULT_ENV, **WEBHOOK_ENV, **DELIVERY_ENV, ECOC_WEBHOOK_CA_BUNDLE=tls["bundle"])
        stack = resources.enter_context(running_stack(amqp_uri, root / "stack", SCHEMA_PATH, **env))
        stack.rabbitmq, stack.webhook_tls = node, tls
        yield stack
