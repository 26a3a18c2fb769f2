"""Fixtures of the fault tests (tests/faults): the official schema, a scratch directory, a private RabbitMQ node.

Scratch space is a temporary directory of our own, not pytest's `tmp_path`: pytest removes old numbered base
directories when another session starts on the same machine, which must not pull the keys, logs or broker
data out from under a stack that runs for minutes."""
import tempfile
from pathlib import Path

import pytest

from fault_support import SCHEMA_PATH, PrivateRabbitMQ, rabbitmq_tool


@pytest.fixture
def fault_schema():
    if not SCHEMA_PATH.is_file():
        pytest.fail(f"the official IVI 2.0 schema is missing at {SCHEMA_PATH} (set ECOC_IVI_SCHEMA)")
    return SCHEMA_PATH


@pytest.fixture
def scratch():
    with tempfile.TemporaryDirectory(prefix="ecoc-fault-") as root:
        yield Path(root)


@pytest.fixture
def private_rabbitmq():
    import shutil

    if not shutil.which(rabbitmq_tool("rabbitmq-server")):
        pytest.skip("rabbitmq-server is not installed on this machine")
    with tempfile.TemporaryDirectory(prefix="ecoc-fault-rabbitmq-") as root:
        node = PrivateRabbitMQ(Path(root))
        node.start()
        try:
            yield node
        finally:
            node.stop()
