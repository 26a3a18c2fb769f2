"""Delivery end to end: released certificates go from the gateway's release sequence to the NAP simulator over
mutual TLS (the stack's delivery service with NORDWIND's client certificate from the simulator's CA; the simulator
trusts the stack's seals and checks schema, seal and header rules). An authority's rejection shows on the vehicle,
in the deliveries list with its owner and in the audit; the correction is delivered as version 2; a redelivery is
answered as a duplicate; other entities see nothing of it."""
import pytest

from cli import demo_data
from cli.nap_sim import pki
from cli.nap_sim.nap import Nap, TrustedSeals
from cli.nap_sim.faults import FaultPlan
from cli.nap_sim.server import start_in_thread
from common.ivi.xsd import SchemaValidator

pytestmark = pytest.mark.e2e

SEED = 1818
ENTITY = demo_data.ENTITY


@pytest.fixture(scope="module")
def actors(stack):
    e = [ENTITY]
    return {"admin": stack.client("ada", ["admin"], e), "steward": stack.client("dana", ["data_steward"], e),
            "reviewer": stack.client("rita", ["reviewer"], e),
            "signer": stack.client(demo_data.SIGNATORY["sub"], ["signer"], e),
            "viewer": stack.client("vic", ["viewer"], e), "auditor": stack.client("audrey", ["auditor"], e),
            "outsider": stack.client("otto", ["admin"], ["OTHER"])}


@pytest.fixture(scope="module")
def vehicles():
    return demo_data.vehicles(3, seed=SEED)


@pytest.fixture(scope="module")
def nap(stack, nordwind, actors, vehicles):
    """The simulator, and NORDWIND's default target pointing at it (disabled again when the module ends, so the
    session's other releases are not queued for a simulator that is gone)."""
    directory = stack.keys_dir / "nap"  # the stack's ECOC_DELIVERY_CREDENTIALS_DIR (KEYS_DIR/nap)
    client = pki.ensure_client(directory, ENTITY)
    rejected_first = vehicles[2]["vin"]
    sim = Nap(SchemaValidator(str(stack.settings.schema_path)), TrustedSeals([stack.keys_dir]),
              faults=FaultPlan(reject_vin=f"^{rejected_first}/1$"))
    server, _ = start_in_thread(sim, directory)
    body = {"endpoint": server.endpoint, "client_cert": client.cert.name, "client_key": client.key.name,
            "ca_cert": "ca.pem", "timeout_seconds": 20, "concurrency": 4}
    actors["admin"].put(f"/v1/delivery-targets/{ENTITY}/nap-sim", body)
    yield server
    actors["admin"].put(f"/v1/delivery-targets/{ENTITY}/nap-sim", dict(body, enabled=False, auto_deliver=False))
    server.shutdown()


def released(actors, wait, vins, note):
    viewer = actors["viewer"]
    wait(lambda: all(viewer.get(f"/v1/vehicles/{v}")["status"] == "valid" for v in vins) or None, 60,
         interval=0.3, what=f"{vins} to be valid")
    release = actors["steward"].post("/v1/releases", {"vins": vins, "note": note})
    actors["reviewer"].request("POST", f"/v1/releases/{release['id']}/approve")
    actors["signer"].request("POST", f"/v1/releases/{release['id']}/sign")
    final = wait(lambda: (lambda r: r if r["status"] not in ("approved", "signing") else None)(
        viewer.get(f"/v1/releases/{release['id']}")), 90, interval=0.3, what="the release to be sealed")
    assert final["status"] == "released", final
    return final


def deliveries(actors, vin):
    return actors["viewer"].get(f"/v1/vehicles/{vin}/deliveries")["items"]


def settled(actors, wait, vin, count):
    def done():
        items = deliveries(actors, vin)
        return items if len(items) == count and all(d["state"] not in ("queued", "sending") for d in items) else None

    return wait(done, 90, interval=0.3, what=f"{count} finished deliveries of {vin}")


@pytest.fixture(scope="module")
def delivered(nap, actors, wait, vehicles):
    result = actors["steward"].post("/v1/vehicles/import", {"vehicles": vehicles})
    assert result["accepted"] == 3, result
    released(actors, wait, [v["vin"] for v in vehicles], "delivery e2e")
    return {v["vin"]: settled(actors, wait, v["vin"], 1) for v in vehicles}


def test_released_certificates_are_accepted_by_the_nap_over_mutual_tls(delivered, nap, actors, vehicles):
    for vehicle in vehicles[:2]:
        [d] = delivered[vehicle["vin"]]
        assert (d["state"], d["trigger"], d["target_name"], d["attempts"]) == ("accepted", "auto", "nap-sim", 1)
        [certificate] = actors["viewer"].get(f"/v1/vehicles/{vehicle['vin']}/certificates")["items"]
        assert (d["reference_id"], d["sha256"]) == (certificate["reference_id"], certificate["sha256"])
        [attempt] = d["attempt_log"]
        assert (attempt["outcome"], attempt["http_status"], attempt["receipt_id"]) == ("accepted", 200, d["receipt_id"])
        [received] = nap.nap.listing(vehicle["vin"])
        assert (received["status"], received["client"], received["reference_id"]) == (
            "ACCEPTED", ENTITY, d["reference_id"])


def test_a_rejection_is_visible_owned_and_audited_and_the_correction_is_delivered(delivered, actors, wait,
                                                                                  vehicles, nap):
    vin = vehicles[2]["vin"]
    [rejected] = delivered[vin]
    assert (rejected["state"], rejected["owner"]) == ("rejected", demo_data.SIGNATORY["sub"])
    assert [e["code"] for e in rejected["errors"]] == ["INJECTED"]
    listed = actors["viewer"].get("/v1/deliveries", params={"state": "rejected", "vin": vin})["items"]
    assert [d["id"] for d in listed] == [rejected["id"]]

    def audited():
        entries = actors["auditor"].get("/v1/audit", params={"subject": vin})["entries"]
        return [e for e in entries if e["event_type"] == "delivery_rejected"] or None

    [entry] = wait(audited, 60, interval=0.5, what="the rejection in the audit")
    assert entry["source"] == "delivery"
    board = actors["viewer"].get("/v1/dashboard", params={"entity": ENTITY})["delivery_exceptions"]
    assert [(d["vin"], d["state"], d["owner"], d["reason"]) for d in board if d["vin"] == vin] == [
        (vin, "rejected", demo_data.SIGNATORY["sub"], f"INJECTED: rejected for VINs matching '^{vin}/1$'")]
    page = actors["viewer"].request("GET", "/dashboard", params={"entity": ENTITY})
    assert vin in page.text and "Not delivered to the National Access Point" in page.text

    correction = actors["steward"].request("POST", f"/v1/vehicles/{vin}/corrections", json={
        "coc": {"MassGroup": {"ActualMass": 1999}}, "reason": "rejected by the NAP"})
    assert correction.status_code == 201, correction.text
    released(actors, wait, [vin], "correction after rejection")
    first, second = settled(actors, wait, vin, 2)
    assert (first["version_number"], first["state"]) == (1, "rejected")
    assert (second["version_number"], second["state"]) == (2, "accepted")
    assert [(r["version_number"], r["status"]) for r in nap.nap.listing(vin)] == [(1, "REJECTED"), (2, "ACCEPTED")]
    board = actors["viewer"].get("/v1/dashboard", params={"entity": ENTITY})["delivery_exceptions"]
    assert [d for d in board if d["vin"] == vin] == []  # delivered since: no longer an exception


def test_a_redelivery_sends_the_same_bytes_and_is_answered_as_a_duplicate(delivered, actors, wait, vehicles):
    vin = vehicles[0]["vin"]
    [accepted] = delivered[vin]
    shown = actors["viewer"].get(f"/v1/deliveries/{accepted['id']}")
    assert (shown["state"], shown["receipt_id"], len(shown["attempt_log"])) == ("accepted", accepted["receipt_id"], 1)
    refused = actors["viewer"].request("POST", f"/v1/deliveries/{accepted['id']}/redelivery", expect=None)
    assert refused.status_code == 403
    again = actors["steward"].post(f"/v1/deliveries/{accepted['id']}/redelivery")
    assert (again["trigger"], again["sha256"], again["state"]) == ("redelivery", accepted["sha256"], "queued")
    first, second = settled(actors, wait, vin, 2)
    assert second["state"] == "accepted" and second["receipt_id"] == first["receipt_id"]
    assert second["attempt_log"][0]["detail"].startswith("duplicate")
    manual = actors["steward"].request("POST", "/v1/deliveries", json={"vins": [vin, "NOSUCHVIN00000000"]},
                                       expect=(202,)).json()
    assert [q["vin"] for q in manual["queued"]] == [vin]
    assert manual["skipped"] == [{"vin": "NOSUCHVIN00000000", "reason": "no current certificate"}]
    settled(actors, wait, vin, 3)


def test_other_entities_see_no_deliveries_and_bad_input_is_named(delivered, actors, vehicles):
    vin = vehicles[0]["vin"]
    outsider = actors["outsider"]
    assert outsider.request("GET", f"/v1/vehicles/{vin}/deliveries", expect=None).status_code == 404
    assert outsider.request("GET", f"/v1/deliveries/{delivered[vin][0]['id']}", expect=None).status_code == 404
    assert outsider.get("/v1/deliveries")["items"] == []
    assert outsider.get("/v1/delivery-targets")["items"] == []
    assert outsider.request("GET", f"/v1/delivery-targets/{ENTITY}/nap-sim", expect=None).status_code == 404
    assert outsider.request("POST", "/v1/deliveries", json={"vins": [vin]}, expect=None).status_code == 202
    assert outsider.post("/v1/deliveries", {"vins": [vin]})["queued"] == []

    bad = actors["admin"].request("PUT", f"/v1/delivery-targets/{ENTITY}/x", json={
        "endpoint": "http://plain", "client_cert": "a", "client_key": "b", "colour": "red"}, expect=None)
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"colour"}
    plain = actors["admin"].request("PUT", f"/v1/delivery-targets/{ENTITY}/x", json={
        "endpoint": "http://plain", "client_cert": "a", "client_key": "b"}, expect=None)
    assert plain.status_code == 422 and [e["field"] for e in plain.json()["errors"]] == ["endpoint"]
    assert actors["viewer"].request("POST", "/v1/deliveries", json={"vins": [vin]}, expect=None).status_code == 403
    assert actors["viewer"].request("GET", "/v1/deliveries", params={"state": "lost"},
                                    expect=None).status_code == 422
