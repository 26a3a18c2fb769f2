"""A service that is slow answers 504 and one that is down answers 503, each within the RPC timeout, never a
hang, and once the gateway knows a service is down, at once; a request that nobody took expires and does not
run once the service is back."""
import os
import signal
import time

import pytest
import requests

from tests.stack_fixtures import SHORT_RPC_TIMEOUT as RPC_TIMEOUT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ENTITY = {"legal_name": "LATE MOTORS", "role": "manufacturer",
          "address": {"line1": "2 TEST STREET", "place": "GENT", "country": "BELGIUM"}}


def _timed(client, method, path, **kwargs):
    started = time.monotonic()
    response = client.request(method, path, expect=None, timeout=RPC_TIMEOUT * 10, **kwargs)
    return response, time.monotonic() - started


def _problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return response.json()


def test_slow_is_504_and_down_is_503(short_timeout_stack):
    stack = short_timeout_stack
    admin = stack.client("ada", ["admin"])
    registered = admin.put("/v1/entities/LATE", ENTITY)
    approvals = stack.processes.children["approvals"]

    os.kill(approvals.pid, signal.SIGSTOP)  # running, but not answering
    try:
        slow, took = _timed(admin, "GET", "/v1/entities/LATE")
    finally:
        os.kill(approvals.pid, signal.SIGCONT)
    assert _problem(slow, 504)["type"] == "urn:ecoc:problem:timeout"
    assert RPC_TIMEOUT <= took < RPC_TIMEOUT + 5

    stack.processes.kill("approvals")
    changed = dict(ENTITY, legal_name="LATER MOTORS", seal_certificate=registered["seal_certificate"])
    down, took = _timed(admin, "PUT", "/v1/entities/LATE", json=changed)
    body = _problem(down, 503)
    assert body["type"] == "urn:ecoc:problem:unavailable" and "approvals" in body["detail"]
    assert took < RPC_TIMEOUT + 5
    again, took = _timed(admin, "GET", "/v1/entities/LATE")  # now known to be down: no waiting
    assert _problem(again, 503)["type"] == "urn:ecoc:problem:unavailable" and took < 2

    stack.processes.restart("approvals")
    stack.processes.wait_healthy(stack.settings.gateway_url, timeout=90)
    time.sleep(1)  # the change, had it stayed in the queue, would have run by now
    entity = admin.get("/v1/entities/LATE")
    assert (entity["legal_name"], entity["revision"]) == ("LATE MOTORS", registered["revision"])
    assert requests.get(f"{stack.settings.gateway_url}/health", timeout=10).json()["status"] == "ok"
