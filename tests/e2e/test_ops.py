"""Each process's operations endpoint as Kubernetes and Prometheus use it: /livez, /readyz (broker and
database reachable) and /metrics, whose numbers move when a release goes through."""
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from cli import demo_data
from cli.stack import PROCESSES
from tests.support import ReleaseRun

pytestmark = pytest.mark.e2e

COUNT = 3


def ops(stack, process, path):
    return requests.get(f"http://127.0.0.1:{stack.ops_ports[process]}{path}", timeout=10)


def scrape(stack, process):
    """{(name, labels as a sorted tuple): value} of one process's /metrics."""
    response = ops(stack, process, "/metrics")
    assert response.status_code == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def total(samples, name, **labels):
    return sum(v for (n, ls), v in samples.items() if n == name and labels.items() <= dict(ls).items())


def test_every_process_is_live_and_ready(stack):
    assert set(stack.ops_ports) == set(PROCESSES)
    for process in PROCESSES:
        assert ops(stack, process, "/livez").json() == {"status": "ok", "service": process}
        ready = ops(stack, process, "/readyz")
        assert ready.status_code == 200 and ready.json()["checks"] == {"broker": "ok", "database": "ok"}, ready.text


def test_metrics_move_after_a_release(stack, nordwind, wait):  # nordwind: the session registers it first
    before = {p: scrape(stack, p) for p in ("gateway", "vehicles", "signing", "validation")}
    run = ReleaseRun(stack, COUNT, seed=9393).prepare()
    run.sign()
    run.wait_released(timeout=120)
    after = {p: scrape(stack, p) for p in ("gateway", "vehicles", "signing", "validation")}

    def grew(process, name, by=1, **labels):
        return total(after[process], name, **labels) - total(before[process], name, **labels) >= by

    assert grew("gateway", "ecoc_http_requests_total", method="POST", route="/v1/releases/{id}/sign")
    assert grew("gateway", "ecoc_http_request_seconds_count", method="POST", route="/v1/vehicles/import")
    assert grew("vehicles", "ecoc_worker_total", kind="rpc", entrypoint="request_release", outcome="ok")
    assert grew("signing", "ecoc_seals_total", COUNT, entity=demo_data.ENTITY)
    assert grew("signing", "ecoc_seal_chunk_seconds_count")
    assert grew("validation", "ecoc_worker_total", kind="event", entrypoint="on_vehicle_changed", outcome="ok")
    assert total(after["vehicles"], "ecoc_vehicles", entity=demo_data.ENTITY, state="released") >= COUNT
    assert total(after["signing"], "ecoc_seal_certificate_days_left", entity=demo_data.ENTITY) > 30
    assert ("ecoc_rpc_queue_consumers", (("service", "signing"),)) in after["gateway"]
    assert wait(lambda: total(scrape(stack, "vehicles"), "ecoc_outbox_backlog") == 0, 30,
                what="the vehicles outbox drained")
