"""Faults of delivery: the NAP (an `ecoc nap-sim` process over mutual TLS) is down when the release starts, slow
(first attempts answered after the client gave up), rejecting a share of the messages, and the delivery process
is SIGKILLed mid-batch. Each ends with every certificate accepted exactly once by the NAP (at most one acceptance
that is not a duplicate per message) or visibly rejected, no delivery left open, and the audit complete.

One stack serves the four tests (and the release faults); each starts the simulator with its own faults and releases fresh vehicles.
Durations are short and configurable: ECOC_FAULT_NAP_DOWN_SECONDS (the issue's "first minute"),
ECOC_FAULT_DELIVERY_VEHICLES. The stack is the one the release faults share (`fault_stack`)."""
import os
import socket
import subprocess
import sys
import time

import pytest
import requests

from cli import demo_data
from cli.nap_sim import pki
from fault_support import published_event_ids
from tests.support import ReleaseRun, free_port, query, wait_until

pytestmark = [pytest.mark.fault, pytest.mark.slow]

VEHICLES = int(os.environ.get("ECOC_FAULT_DELIVERY_VEHICLES", "24"))
DOWN_SECONDS = float(os.environ.get("ECOC_FAULT_NAP_DOWN_SECONDS", "12"))
ENTITY = demo_data.ENTITY


class Simulator:
    """`ecoc nap-sim` as a process of its own on a fixed port; `start(*options)` (re)starts it."""

    def __init__(self, directory, keys_dir, port):
        self.directory, self.keys_dir, self.port = directory, keys_dir, port
        self.process = None
        self.client = pki.ensure_client(directory, ENTITY)

    @property
    def endpoint(self):
        return f"https://127.0.0.1:{self.port}/nap"

    def start(self, *options, wait=True):
        self.stop()
        log = open(self.directory / "nap-sim.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "nap-sim", "--dir", str(self.directory), "--port", str(self.port),
             "--trust", str(self.keys_dir), *options], stdout=log, stderr=subprocess.STDOUT)
        if wait:
            wait_until(self.listening, 60, "the simulator to listen")

    def listening(self):
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def received(self):
        session = requests.Session()
        session.trust_env = False
        answer = session.get(f"https://127.0.0.1:{self.port}/received", timeout=30,
                             verify=str(self.directory / "ca.pem"), cert=(str(self.client.cert), str(self.client.key)))
        return answer.json()["received"]


@pytest.fixture(scope="module")
def world(fault_stack):
    """The fault stack (its delivery polls every 0.5 s and backs off from 0.5 s to 2 s: `DELIVERY_ENV`) and a
    simulator; the target is disabled afterwards (and delivers by hand only), so the stack's later releases queue
    nothing."""
    simulator = Simulator(fault_stack.keys_dir / "nap", fault_stack.keys_dir, free_port())
    try:
        yield fault_stack, simulator
    finally:
        simulator.stop()
        if fault_stack.client("ada", ["admin"], [ENTITY]).request(
                "GET", f"/v1/delivery-targets/{ENTITY}/nap", expect=None).status_code == 200:
            target(fault_stack, simulator, enabled=False, auto_deliver=False)


def target(stack, simulator, **changes):
    body = dict({"endpoint": simulator.endpoint, "client_cert": simulator.client.cert.name,
                 "client_key": simulator.client.key.name, "ca_cert": "ca.pem", "timeout_seconds": 3,
                 "concurrency": 4}, **changes)
    stack.client("ada", ["admin"], [ENTITY]).put(f"/v1/delivery-targets/{ENTITY}/nap", body)


def deliveries(stack, vins):
    return query(stack.database_url("delivery"), "SELECT vin, reference_id::text AS reference_id, state, attempts "
                                                 "FROM deliveries WHERE vin = ANY(:vins)", vins=vins)


def released_and_settled(stack, run, timeout=300):
    """Wait until `run`'s release (signing asked for) is sealed and each vehicle has one finished delivery."""
    run.wait_released(timeout=300)

    def settled():
        found = deliveries(stack, run.vins)
        done = len(found) == run.count and all(d["state"] not in ("queued", "sending") for d in found)
        return found if done else None

    return wait_until(settled, timeout, "every delivery to finish", interval=0.5)


def assert_accepted_exactly_once(stack, simulator, found, rejected=()):
    """Every delivery accepted (or rejected where expected); the NAP accepted each message once and every other
    acceptance of it is a duplicate; the audit holds every event of the stack, and its chain verifies."""
    assert sorted(d["vin"] for d in found if d["state"] == "rejected") == sorted(rejected)
    assert {d["state"] for d in found} <= {"accepted", "rejected"}
    mine = {d["reference_id"] for d in found}
    received = [r for r in simulator.received() if r["reference_id"] in mine]
    first = {}
    for r in received:
        if r["status"] == "ACCEPTED" and not r["duplicate"]:
            assert r["reference_id"] not in first, f"{r['reference_id']} accepted twice"
            first[r["reference_id"]] = r
    assert set(first) == {d["reference_id"] for d in found if d["state"] == "accepted"}

    def audit_caught_up():
        ids, unpublished = published_event_ids(stack)
        held = {r["e"] for r in query(stack.database_url("audit"), "SELECT event_id::text AS e FROM audit_entries")}
        return unpublished == 0 and ids <= held

    wait_until(audit_caught_up, 120, "the audit log to hold every event")
    events = query(stack.database_url("audit"), """
        SELECT event_type, count(*) AS n FROM audit_entries WHERE source = 'delivery' AND event_type IN
        ('delivery_accepted', 'delivery_rejected', 'delivery_failed') AND subject = ANY(:vins) GROUP BY 1""",
                   vins=[d["vin"] for d in found])
    outcomes = {e["event_type"]: e["n"] for e in events}
    assert outcomes.get("delivery_accepted", 0) == len(first)
    assert outcomes.get("delivery_rejected", 0) == len(rejected)
    assert "delivery_failed" not in outcomes
    chain = stack.client("audrey", ["auditor"], ["*"]).get("/v1/audit/verify")
    assert chain["valid"] is True, chain


def test_nap_down_when_the_release_starts(world):
    stack, simulator = world
    run = ReleaseRun(stack, VEHICLES).prepare()
    target(stack, simulator)
    simulator.start("--down-seconds", str(DOWN_SECONDS), wait=False)
    started = time.monotonic()
    run.sign()
    found = released_and_settled(stack, run)
    assert time.monotonic() - started >= DOWN_SECONDS
    assert max(d["attempts"] for d in found) >= 2  # refused connections were retried
    assert_accepted_exactly_once(stack, simulator, found)


def test_nap_slow_first_attempts_time_out_and_are_answered_as_duplicates(world):
    stack, simulator = world
    simulator.start("--slow-rate", "0.5", "--slow-ms", "2500")
    target(stack, simulator, timeout_seconds=1)
    run = ReleaseRun(stack, VEHICLES).prepare()
    run.sign()
    found = released_and_settled(stack, run)
    assert_accepted_exactly_once(stack, simulator, found)
    duplicates = [r for r in simulator.received() if r["duplicate"] and r["vin"] in run.vins]
    assert duplicates, "no first attempt timed out: the fault did not strike"


def test_nap_rejecting_a_share(world):
    stack, simulator = world
    simulator.start("--reject-rate", "0.25", "--seed", "reject-share")
    target(stack, simulator)
    run = ReleaseRun(stack, VEHICLES).prepare()
    run.sign()
    found = released_and_settled(stack, run)
    rejected = [d["vin"] for d in found if d["state"] == "rejected"]
    assert rejected, "no message was picked for rejection"
    rows = query(stack.database_url("delivery"), "SELECT owner, errors FROM deliveries WHERE state = 'rejected' "
                                                 "AND vin = ANY(:vins)", vins=rejected)
    assert all(r["owner"] == demo_data.SIGNATORY["sub"] and r["errors"][0]["code"] == "INJECTED" for r in rows)
    assert_accepted_exactly_once(stack, simulator, found, rejected=rejected)


def test_delivery_process_killed_mid_batch(world):
    stack, simulator = world
    simulator.start("--latency-ms", "300")
    target(stack, simulator, concurrency=2)
    run = ReleaseRun(stack, VEHICLES).prepare()
    run.sign()
    accepted = lambda: [d for d in deliveries(stack, run.vins) if d["state"] == "accepted"]  # noqa: E731
    wait_until(lambda: len(accepted()) >= 2, 300, "the first deliveries")
    stack.processes.kill("delivery")  # SIGKILL mid-batch: leased deliveries stay `sending`
    before = len(accepted())
    stack.processes.restart("delivery")
    stack.processes.wait_healthy(stack.settings.gateway_url, timeout=90)
    found = released_and_settled(stack, run)
    assert before < run.count, "delivery finished before the kill"
    assert_accepted_exactly_once(stack, simulator, found)
