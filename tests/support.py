"""Throwaway infrastructure for the integration and end-to-end tests: a RabbitMQ vhost and databases
of their own, on the real broker and PostgreSQL server of this machine (URLs from the environment)."""
import contextlib
import os
import shutil
import subprocess
import uuid
from urllib.parse import quote

from common.config import settings
from common.db import drop_database, migrate


def _rabbitmqctl(*args):
    try:
        return subprocess.run(["rabbitmqctl", *args], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@contextlib.contextmanager
def throwaway_vhost(label):
    """An AMQP URI on a vhost of its own, so no other consumer on the shared broker takes our messages.

    Falls back to the configured URI when `rabbitmqctl` is not at hand or ECOC_AMQP_URI is set."""
    base = os.environ.get("ECOC_AMQP_URI")
    if base or not shutil.which("rabbitmqctl"):
        yield base or settings().amqp_uri
        return
    vhost = f"ecoc-test-{label}-{uuid.uuid4().hex[:8]}"
    made = _rabbitmqctl("add_vhost", vhost) and _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    if not made:
        yield settings().amqp_uri
        return
    try:
        yield settings().amqp_uri.rstrip("/") + "/" + quote(vhost, safe="")
    finally:
        _rabbitmqctl("delete_vhost", vhost)


@contextlib.contextmanager
def throwaway_database(service, label=None):
    """A freshly migrated database for one service, dropped afterwards."""
    name = f"ecoc_test_{label or service}_{uuid.uuid4().hex[:8]}"
    url = f"{settings().database_server.rstrip('/')}/{name}"
    migrate(service, url)
    try:
        yield url
    finally:
        drop_database(url)


def throwaway_prefix():
    """A database prefix for a whole stack (`<prefix>_<service>`)."""
    return f"ecoc_test_{uuid.uuid4().hex[:8]}"


def drop_stack_databases(prefix):
    server = settings().database_server.rstrip("/")
    for service in ("approvals", "vehicles", "validation", "signing", "audit"):
        drop_database(f"{server}/{prefix}_{service}")


def xmlsec1_command():
    """The independent `xmlsec1` verifier. Its absence fails a CI run (the Makefile installs it) and skips
    a test elsewhere."""
    import pytest

    path = shutil.which("xmlsec1")
    if path is None:
        message = "xmlsec1 is not installed (apt-get install -y xmlsec1)"
        if os.environ.get("CI"):
            pytest.fail(message + ": it is required in CI")
        pytest.skip(message)
    return path


def xmlsec1_verify(document_path, trusted_pem_path, reference_uris="empty"):
    """`xmlsec1 --verify` trusting only the pinned seal certificate. URI="" needs no --id-attr; references
    are restricted to `reference_uris` ("empty,same-doc" for XAdES) and keys to the X.509 data."""
    return subprocess.run(
        [xmlsec1_command(), "--verify", "--enabled-reference-uris", reference_uris, "--enabled-key-data", "x509",
         "--trusted-pem", str(trusted_pem_path), str(document_path)],
        capture_output=True, text=True, timeout=30)
