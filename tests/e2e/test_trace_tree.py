"""One trace spans the signing of a release: the gateway request → vehicles → (event) signing → approvals →
(events) vehicles and audit, across RPCs and events, with W3C trace context.

The stack (`short_timeout_stack`, shared with the modules that wait for its RPC timeout) exports its spans over
OTLP/HTTP (the standard `OTEL_*` variables) to a small receiver in this test process (tests/otlp_receiver.py),
which decodes them with `opentelemetry-proto` and keeps them in memory. The broker password
never appears in a span attribute; the services' log lines carry the trace id."""
import os
import signal
import time
from urllib.parse import urlsplit

import pytest

from tests.support import ReleaseRun, wait_until

pytestmark = pytest.mark.e2e

COUNT = 3


def test_one_trace_spans_the_signing_of_a_release(short_timeout_stack):
    stack = short_timeout_stack
    password = urlsplit(stack.settings.amqp_uri.replace("pyamqp://", "http://")).password
    run = ReleaseRun(stack, COUNT, seed=77).prepare()
    run.sign()
    trace_id = run.signer.last_trace_id
    assert trace_id and len(trace_id) == 32
    run.wait_released(timeout=90)
    assert run.release()["status"] == "released"

    def in_trace():
        return stack.traces.spans(trace_id)

    wanted = {"ecoc-gateway", "ecoc-vehicles", "ecoc-signing", "ecoc-approvals", "ecoc-audit"}
    try:
        wait_until(lambda: wanted <= {s["service"] for s in in_trace()}
                   and any(s["service"] == "ecoc-vehicles" and "on_certificate_signed" in s["name"]
                           for s in in_trace()), 30, f"spans of {wanted} in trace {trace_id}")
    except AssertionError as exc:
        seen = sorted({(s["service"], s["name"], s["trace_id"] == trace_id) for s in stack.traces.spans()})
        raise AssertionError(f"{exc}; spans received (service, name, in the trace): {seen}") from None
    time.sleep(1.0)  # the last batches of every process
    spans = in_trace()
    logs = {name: stack.log(name) for name in ("vehicles", "signing", "audit")}

    by_id = {s["span_id"]: s for s in spans}
    roots = [s for s in spans if s["parent_id"] is None]
    assert len(roots) == 1, [(s["service"], s["name"]) for s in roots]
    [root] = roots
    assert root["service"] == "ecoc-gateway"
    assert [s for s in spans if s["parent_id"] and s["parent_id"] not in by_id] == []  # no broken parent link

    def chain(span):
        path = [span]
        while path[-1]["parent_id"]:
            path.append(by_id[path[-1]["parent_id"]])
        return [(s["service"], s["name"]) for s in reversed(path)]

    def find(service, name_part):
        found = [s for s in spans if s["service"] == service and name_part in s["name"]]
        assert found, f"no {service} span named like {name_part}: {sorted({(s['service'], s['name']) for s in spans})}"
        return found[0]

    sign_rpc = find("ecoc-vehicles", "sign_release")
    signing = find("ecoc-signing", "on_release_sign_requested")
    answered = find("ecoc-vehicles", "on_certificate_signed")
    audit_of_signing = find("ecoc-audit", "on_signing_event")
    resolve = find("ecoc-approvals", "resolve")

    assert root["span_id"] in _ancestors(sign_rpc, by_id)
    assert sign_rpc["span_id"] in _ancestors(signing, by_id)  # RPC → event: vehicles emitted, signing handled
    assert signing["span_id"] in _ancestors(resolve, by_id)  # signing asked approvals over RPC
    assert signing["span_id"] in _ancestors(answered, by_id)  # signing's event answered in vehicles
    assert signing["span_id"] in _ancestors(audit_of_signing, by_id)
    assert chain(answered)[0] == ("ecoc-gateway", root["name"])

    for span in spans:  # the broker password never leaves a process
        for key, value in span["attributes"].items():
            assert f":{password}@" not in str(value), (span["name"], key, value)
    uris = [v for s in spans for k, v in s["attributes"].items() if "amqp_uri" in k]
    assert uris and all("***" in u for u in uris), uris[:3]

    # the services' log lines carry the trace id
    assert f'"trace_id": "{trace_id}"' in logs["signing"]
    assert f'"trace_id": "{trace_id}"' in logs["vehicles"]


def _ancestors(span, by_id):
    found = []
    while span["parent_id"]:
        found.append(span["parent_id"])
        span = by_id[span["parent_id"]]
    return found


def test_a_timed_out_call_is_an_error_span_of_its_request(short_timeout_stack):
    """The gateway gives up on a service that does not answer (504): the RPC's client span is still ended and
    exported, marked as an error, in the trace of the request, and nothing is left open to be collected later
    ("Failed to detach context")."""
    stack = short_timeout_stack
    admin = stack.client("ada", ["admin"])
    approvals = stack.processes.children["approvals"]
    os.kill(approvals.pid, signal.SIGSTOP)
    try:
        response = admin.request("GET", "/v1/entities/NOBODY", expect=None, timeout=60)
    finally:
        os.kill(approvals.pid, signal.SIGCONT)
    assert response.status_code == 504
    trace_id = admin.last_trace_id

    def client_span():
        return next((s for s in stack.traces.spans(trace_id) if s["service"] == "ecoc-gateway"
                     and s["name"] == "RPC to approvals.get_entity"), None)

    span = wait_until(client_span, 30, f"the client span of get_entity in trace {trace_id}")
    gateway_log = stack.log("gateway")
    assert span["status"] == 2  # STATUS_CODE_ERROR
    assert span["parent_id"] is not None  # a child of the request's span
    assert "Failed to detach context" not in gateway_log
