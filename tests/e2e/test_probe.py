"""`ecoc probe NAME`, as container probes run it, asks the broker the process is configured with."""
import os
import subprocess
import sys

import pytest

from common.config import REPO_ROOT

pytestmark = pytest.mark.e2e


def probe(name, amqp_uri):
    env = dict(os.environ, ECOC_AMQP_URI=amqp_uri)
    return subprocess.run([sys.executable, "-m", "cli.main", "probe", name], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_the_probe_uses_the_configured_broker(stack):
    assert probe("vehicles", stack.amqp_uri).returncode == 0  # running on the stack's own vhost
    elsewhere = stack.amqp_uri.rsplit("/", 1)[0] + "/ecoc-no-such-vhost"
    refused = probe("vehicles", elsewhere)
    assert refused.returncode == 1 and "vehicles: not healthy" in refused.stderr
