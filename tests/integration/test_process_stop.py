"""A service process stops once, gracefully, however many stop signals reach it (a terminal's Ctrl-C and a
supervisor's SIGTERM together, or a supervisor that repeats its SIGTERM)."""
import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from common.config import REPO_ROOT
from tests.support import throwaway_database, wait_until

pytestmark = pytest.mark.integration


def test_a_second_stop_signal_is_ignored_while_the_first_stops_the_service(amqp_uri):
    with throwaway_database("audit") as db_url, tempfile.TemporaryDirectory() as keys, \
            tempfile.NamedTemporaryFile("w+b", suffix=".log") as log:
        env = dict(os.environ, ECOC_AMQP_URI=amqp_uri, ECOC_AUDIT_DATABASE_URL=db_url, ECOC_KEYS_DIR=keys,
                   ECOC_LOG_FORMAT="plain", PSYCOPG_WAIT_FUNC="wait_selector")
        process = subprocess.Popen([sys.executable, "-m", "cli.run_service", "audit"], cwd=REPO_ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: b"starting services: audit" in open(log.name, "rb").read()
                       and b"Connected to" in open(log.name, "rb").read(), 60, "the audit process to start")
            time.sleep(0.5)  # its timer and consumers running
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGTERM):
                process.send_signal(sig)
                time.sleep(0.02)
            assert process.wait(60) == 0
        finally:
            if process.poll() is None:
                process.kill()
        output = open(log.name, "rb").read().decode(errors="replace")
    assert "stopping services: audit" in output
    assert "Traceback" not in output and "re-send" not in output, output[-3000:]
