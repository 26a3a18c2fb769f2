"""`ECOC_REPLICAS=2`: two processes of every service and of the gateway, competing consumers of the same queues,
take a 2,000-vehicle release through; every process does part of the work and nothing is done twice."""
from collections import Counter

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from cli.stack import instances, service_of
from common.config import PROCESSES, SERVICES, parse_replicas
from tests.stack_fixtures import REPLICAS_STACK as REPLICAS
from tests.support import ReleaseRun, query, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

COUNT = 2000  # eight chunks of 250 per step: enough for both processes of each service
EMITTING = [s for s in SERVICES if s != "audit"]  # the audit log emits nothing; it records the others' events
STATUS_HISTORY = ["valid", "in_review", "approved", "released"]  # after the import (draft)


def worker_runs(stack, process):
    """{outcome: workers} a process ran for callers and events (not health checks, not timers), from /metrics."""
    port = stack.processes.ops_ports[process]
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    runs = Counter()
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "ecoc_worker_total" and s.labels["entrypoint"] != "health" and s.labels["kind"] != "timer":
                runs[s.labels["outcome"]] += s.value
    return runs


def rows(stack, service, statement, **params):
    return query(stack.database_url(service), statement, **params)


def outbox_event_ids(stack):
    return {service: [r["event_id"] for r in rows(stack, service, "SELECT event_id FROM outbox")]
            for service in EMITTING}


def unpublished(stack):
    return sum(rows(stack, s, "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")[0]["n"] for s in EMITTING)


def audit_entries(stack):
    return rows(stack, "audit", "SELECT CAST(event_id AS text) AS event_id, event_type, occurred_at, seq, "
                                "payload->'data' AS data FROM audit_entries ORDER BY seq")


def test_two_of_every_process_release_2000_vehicles_once(replicas_stack):
    stack = replicas_stack
    names = instances(parse_replicas(REPLICAS))
    assert list(stack.processes.children) == names
    run = ReleaseRun(stack, COUNT, seed=14)
    second = stack.processes.gateway_urls()[1]  # review and seal through the other gateway process
    run.reviewer.base_url = run.signer.base_url = second
    run.prepare()
    run.sign()
    run.wait_released(timeout=300)
    done = run.release()
    wait_until(lambda: unpublished(stack) == 0, 60, "every outbox row published")
    emitted = outbox_event_ids(stack)
    total = sum(map(len, emitted.values()))
    wait_until(lambda: len(audit_entries(stack)) >= total, 60, f"the audit log to record {total} events")
    entries = audit_entries(stack)
    work = {name: worker_runs(stack, name) for name in names}
    # this release's (the stack is shared with test_signing_processes)
    mine = set(run.vins)
    certificates = rows(stack, "signing", "SELECT vin, version_number, reference_id FROM certificates "
                                          "WHERE vin = ANY(:vins)", vins=run.vins)
    items = rows(stack, "vehicles", "SELECT vin, state, reference_id, version_number FROM release_items "
                                    "WHERE release_id = :id", id=run.release_id)
    vehicles = rows(stack, "vehicles", "SELECT status, count(*) AS n FROM vehicles WHERE vin = ANY(:vins) "
                                       "GROUP BY status", vins=run.vins)
    answers = rows(stack, "vehicles", "SELECT count(*) AS n FROM inbox WHERE event_type = 'certificate_signed'")
    sealed = rows(stack, "audit", "SELECT seq, count(*) AS n FROM audit_checkpoints GROUP BY seq")
    chain = run.auditor.get("/v1/audit/verify", params={"full": "true"}, timeout=120)

    assert done["status"] == "released" and done["counts"] == {"released": COUNT}
    assert {r["status"]: r["n"] for r in vehicles} == {"released": COUNT}

    # signing: one certificate per VIN, version 1
    assert len(certificates) == COUNT and {c["vin"] for c in certificates} == set(run.vins)
    assert {c["version_number"] for c in certificates} == {1}

    # every outbox row of every service published once: recorded once in the audit log, nothing else recorded
    recorded = Counter(e["event_id"] for e in entries)
    assert set(recorded.values()) == {1}
    assert set(recorded) == {event_id for ids in emitted.values() for event_id in ids}

    # each release item answered once, with the one certificate of its VIN
    signed = [e for e in entries if e["event_type"] == "certificate_signed"]
    by_vin = {c["vin"]: (str(c["reference_id"]), c["version_number"]) for c in certificates}
    assert answers[0]["n"] == len(signed)
    answered = Counter(c["vin"] for e in signed for c in e["data"]["certificates"] if c["vin"] in mine)
    assert answered == Counter(run.vins)
    assert {i["vin"]: (i["state"], str(i["reference_id"]), i["version_number"]) for i in items} == {
        vin: ("released", *certificate) for vin, certificate in by_vin.items()}
    assert not [e for e in entries if e["event_type"] == "certificate_failed"]

    # each vehicle's status history, in the order the vehicles service changed it (competing audit consumers
    # record concurrent events in arrival order, so the sequence number is not the order of causes)
    history = {vin: [] for vin in run.vins}
    for e in sorted((e for e in entries if e["event_type"] == "vehicle_status_changed"),
                    key=lambda e: (e["occurred_at"], e["seq"])):
        for vehicle in e["data"]["vehicles"]:
            if vehicle["vin"] in mine:
                history[vehicle["vin"]].append(vehicle["status"])
    wrong = {vin: h for vin, h in history.items() if h != STATUS_HISTORY}
    assert not wrong, f"{len(wrong)} vehicles with another history, e.g. {next(iter(wrong.items()))}"

    # both processes of every service (and of the gateway) did part of the work
    # (webhooks takes no RPC or event in a release: it reads the change feed on a timer that runs once per cluster)
    idle = [name for name, runs in work.items() if not runs["ok"] and service_of(name) != "webhooks"]
    assert not idle, f"processes that did no work: {idle} ({work})"
    failed = {name: runs["failed"] for name, runs in work.items() if runs["failed"]}
    assert not failed, f"workers failed (their messages retried): {failed}"
    assert {service_of(n) for n in names} == set(PROCESSES)

    # the audit checkpoints: sealed by one process at a time, never two of one head; the chain holds
    assert sealed and all(s["n"] == 1 for s in sealed), sealed
    assert chain["valid"], chain
