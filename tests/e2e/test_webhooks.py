"""The change feed and webhooks over HTTP against the whole stack (docs/webhooks.md).

A receiver runs as its own process (tests/e2e/webhook_receiver.py), over HTTPS with a certificate of a CA the
stack trusts (ECOC_WEBHOOK_CA_BUNDLE), and checks every signature with the snippet of the docs. It is killed while vehicles are imported and validated, and started again: every event of the feed
since the webhook was created still arrives, signed, and the delivery log shows the failed attempts."""
import json
from datetime import datetime

import pytest
import requests

from cli import demo_data
from tests.e2e.webhook_receiver import ReceiverProcess
from tests.support import feed_after, free_port, receiver_ca

pytestmark = pytest.mark.e2e

SEED = 8800
WAIT = 120


def test_the_feed_is_scoped_and_resumes_from_any_event(stack, nordwind, wait):
    reader = stack.client("fran", ["viewer"], [demo_data.ENTITY])
    steward = stack.client("fred", ["data_steward"], [demo_data.ENTITY])
    _, cursor = feed_after(reader, None)
    vins = [v["vin"] for v in demo_data.vehicles(2, seed=SEED)]
    assert steward.post("/v1/vehicles/import", {"vehicles": demo_data.vehicles(2, seed=SEED)})["accepted"] == 2
    statuses = wait(lambda: [e for e in feed_after(reader, cursor)[0] if e["type"] == "vehicle_status_changed"
                             and {v["vin"] for v in e["data"]["vehicles"]} & set(vins)
                             and e["data"]["vehicles"][0]["status"] != "draft"], WAIT, what="status events")
    events, _ = feed_after(reader, cursor)
    assert all(e["entity"] == demo_data.ENTITY for e in events)
    types = [e["type"] for e in events]
    assert "vehicle_changed" in types and "validation_completed" in types and statuses
    validation = next(e for e in events if e["type"] == "validation_completed")
    assert set(validation["data"]["results"][0]["findings"]) == {"errors", "warnings"}
    assert "coc" not in json.dumps(events)

    one = reader.get("/v1/events", params={"after": cursor, "limit": 1})
    rest, _ = feed_after(reader, one["next_cursor"])
    assert [e["id"] for e in one["events"] + rest][:len(events)] == [e["id"] for e in events]
    only = reader.get("/v1/events", params={"after": cursor, "types": "validation_completed"})["events"]
    assert only and {e["type"] for e in only} == {"validation_completed"}

    stranger = stack.client("stan", ["viewer"], ["ACME"])
    assert all(e["entity"] == "ACME" for e in stranger.get("/v1/events", params={"limit": 1000})["events"])
    for after in (events[0]["id"], "00000000-0000-4000-8000-000000000000", "bogus"):
        refused = stranger.request("GET", "/v1/events", params={"after": after}, expect=None)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "after", refused.text
        assert events[0]["id"] not in refused.text
    bad_type = reader.request("GET", "/v1/events", params={"types": "vehicle_changed,nope"}, expect=None)
    assert bad_type.status_code == 422 and bad_type.json()["errors"][0]["field"] == "types"


def test_a_receiver_killed_and_restarted_misses_nothing(stack, nordwind, wait, tmp_path):
    steward = stack.client("wendy", ["data_steward"], [demo_data.ENTITY])
    reader = stack.client("walt", ["viewer"], [demo_data.ENTITY])
    _, before = feed_after(reader, None)
    port = free_port()
    created = steward.request("POST", "/v1/webhooks", json={
        "entity": demo_data.ENTITY, "url": f"https://127.0.0.1:{port}/hook", "description": "e2e receiver"})
    assert created.status_code == 201
    hook = created.json()
    assert hook["secret"].startswith("whsec_")
    assert "secret" not in steward.get(f"/v1/webhooks/{hook['id']}")
    receiver = ReceiverProcess(port, hook["secret"], tmp_path / "received.jsonl", stack.receiver_tls)
    receiver.start()
    try:
        ping = steward.request("POST", f"/v1/webhooks/{hook['id']}/ping")
        assert ping.status_code == 202
        wait(lambda: any(r["event"]["type"] == "webhook_ping" for r in receiver.received()), WAIT, what="the ping")

        vehicles = demo_data.vehicles(6, seed=SEED + 1)
        assert steward.post("/v1/vehicles/import", {"vehicles": vehicles[:3]})["accepted"] == 3
        receiver.kill()
        assert steward.post("/v1/vehicles/import", {"vehicles": vehicles[3:]})["accepted"] == 3
        failing = wait(lambda: [d for d in steward.get(f"/v1/webhooks/{hook['id']}/deliveries",
                                                       params={"status": "pending"})["items"]
                                if d["attempts"] >= 2], WAIT, what="deliveries failing while the receiver is down")
        assert failing[0]["last_attempt"]["status_code"] is None and failing[0]["last_attempt"]["error"]
        receiver.start()

        def all_delivered():
            expected = [e for e in feed_after(reader, before)[0]
                        if datetime.fromisoformat(e["occurred_at"]) >= datetime.fromisoformat(hook["created_at"])]
            got = {r["event"]["id"] for r in receiver.received()}
            settled = not steward.get(f"/v1/webhooks/{hook['id']}/deliveries", params={"status": "pending"})["items"]
            vins_done = sum(1 for e in expected if e["type"] == "vehicle_status_changed"
                            for v in e["data"]["vehicles"] if v["status"] in ("valid", "blocked")) >= 6
            return expected if settled and vins_done and {e["id"] for e in expected} <= got else None

        expected = wait(all_delivered, WAIT, what="every feed event delivered")
        records = receiver.received()
        assert all(r["valid"] for r in records), "a delivery failed the documented signature check"
        by_id = {r["event"]["id"]: r["event"] for r in records}
        assert [by_id[e["id"]] for e in expected] == expected  # the same events, as the feed shows them
        # Anything else delivered is a feed event too (one the webhooks service took in after the webhook was
        # created, though it occurred just before), or the ping.
        whole_feed = {e["id"]: e for e in feed_after(reader, None)[0]}
        assert all(whole_feed[i] == event for i, event in by_id.items() if event["type"] != "webhook_ping")
        assert {"webhook_created", "webhook_pinged", "vehicle_changed", "validation_completed"} <= {
            e["type"] for e in expected}
        log = steward.get(f"/v1/webhooks/{hook['id']}/deliveries", params={"limit": 1000})["items"]
        assert {d["status"] for d in log} == {"delivered"}
        assert any(d["attempts"] > 1 for d in log) and all(d["last_attempt"]["status_code"] == 200 for d in log)
        retried = next(d for d in log if d["attempts"] > 1)
        detail = steward.get(f"/v1/webhooks/{hook['id']}/deliveries/{retried['id']}")
        assert detail["attempts_log"][0]["status_code"] is None and detail["attempts_log"][-1]["status_code"] == 200

        stranger = stack.client("sue", ["data_steward"], ["ACME"])
        for method, path in (("GET", f"/v1/webhooks/{hook['id']}"), ("DELETE", f"/v1/webhooks/{hook['id']}"),
                             ("GET", f"/v1/webhooks/{hook['id']}/deliveries")):
            assert stranger.request(method, path, expect=None).status_code == 404
        assert stranger.get("/v1/webhooks")["items"] == []
        # creating for another entity is answered as for an unknown one: 422 naming the field
        for code in (demo_data.ENTITY, "NOSUCH"):
            refused = stranger.request("POST", "/v1/webhooks", json={"entity": code, "url": hook["url"]},
                                       expect=None)
            assert refused.status_code == 422, refused.text
            assert refused.json()["errors"] == [{"field": "entity", "message": f"no legal entity {code}"}]
    finally:
        if receiver.process and receiver.process.poll() is None:
            receiver.kill()
        requests.delete(stack.url(f"/v1/webhooks/{hook['id']}"),
                        headers={"Authorization": steward.session.headers["Authorization"]}, timeout=30)
    assert steward.request("GET", f"/v1/webhooks/{hook['id']}", expect=None).status_code == 404


def test_a_receiver_whose_certificate_does_not_verify_gets_nothing(stack, nordwind, wait, tmp_path):
    steward = stack.client("wanda", ["data_steward"], [demo_data.ENTITY])
    port = free_port()
    hook = steward.post("/v1/webhooks", {"entity": demo_data.ENTITY, "url": f"https://127.0.0.1:{port}/hook",
                                         "event_types": ["webhook_deleted"]})
    impostor = ReceiverProcess(port, hook["secret"], tmp_path / "received.jsonl", receiver_ca(tmp_path / "other"))
    impostor.start()
    try:
        steward.request("POST", f"/v1/webhooks/{hook['id']}/ping")
        ping = wait(lambda: [d for d in steward.get(f"/v1/webhooks/{hook['id']}/deliveries")["items"]
                             if d["event_type"] == "webhook_ping" and d["last_attempt"]], WAIT, what="an attempt")[0]
        attempt = ping["last_attempt"]
        assert attempt["status_code"] is None and "SSL" in attempt["error"] and "certificate" in attempt["error"]
        assert ping["status"] == "pending" and impostor.received() == []
    finally:
        impostor.kill()
        steward.request("DELETE", f"/v1/webhooks/{hook['id']}")
