"""The audit trail over HTTP against the whole running stack: every event each service emitted is in the
chain exactly once (counted from the services' own outboxes), the chain verifies with a sealed checkpoint,
and a vehicle's evidence pack, with two certificate versions, checks offline against the audit key."""
import io
import zipfile

import psycopg
import pytest

from cli import demo_data
from cli.main import main as ecoc
from common.contracts.events import EVENTS_BY_SOURCE
from services.audit.domain import checkpoints
from services.audit.domain.evidence import verify_pack

pytestmark = pytest.mark.e2e

PRODUCERS = tuple(EVENTS_BY_SOURCE)
JUDGED = ("valid", "blocked")


@pytest.fixture(scope="module")
def actors(stack, nordwind):
    e = [demo_data.ENTITY]
    return {
        "steward": stack.client("dana", ["data_steward"], e),
        "editor": stack.client("bob", ["data_steward"], e),
        "reviewer": stack.client("rita", ["reviewer"], e),
        "signer": stack.client(demo_data.SIGNATORY["sub"], ["signer"], e),
        "viewer": stack.client("vic", ["viewer"], e),
        "auditor": stack.client("audrey", ["auditor"], ["*"]),
    }


def sql(stack, service, statement):
    url = stack.settings.database_url(service).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        return conn.execute(statement).fetchall()


def status_of(actors, vin, wanted, wait, timeout=60):
    return wait(lambda: (lambda v: v if v["status"] in wanted else None)(actors["viewer"].get(f"/v1/vehicles/{vin}")),
                timeout, interval=0.3, what=f"{vin} to become {' or '.join(wanted)}")


def release_and_sign(actors, wait, vins):
    release = actors["steward"].post("/v1/releases", {"vins": vins, "note": "audit evidence"})
    assert release["accepted"] == len(vins), release
    actors["reviewer"].post(f"/v1/releases/{release['id']}/approve")
    actors["signer"].request("POST", f"/v1/releases/{release['id']}/sign")
    for vin in vins:
        status_of(actors, vin, ("released",), wait)


@pytest.fixture(scope="module")
def corrected_vin(actors, wait):
    """A vehicle imported, released, corrected and released again: certificate versions 1 and 2."""
    batch = demo_data.vehicles(3, seed=9301)
    assert actors["steward"].post("/v1/vehicles/import", {"vehicles": batch})["accepted"] == 3
    vins = [v["vin"] for v in batch]
    for vin in vins:
        assert status_of(actors, vin, JUDGED, wait)["status"] == "valid"
    release_and_sign(actors, wait, vins)
    vin = vins[0]
    actors["editor"].request("POST", f"/v1/vehicles/{vin}/corrections",
                             json={"coc": {"ColourTable": [{"Colour": "9"}]}, "reason": "painted grey"})
    assert status_of(actors, vin, JUDGED, wait)["status"] == "valid"
    release_and_sign(actors, wait, [vin])
    return vin


def test_every_emitted_event_is_in_the_chain_once(stack, actors, corrected_vin, wait):
    # the webhooks service emits on a change of a subscription: make it a producer here too
    webhook = actors["steward"].post("/v1/webhooks", {"entity": demo_data.ENTITY, "url": "http://127.0.0.1:9/x"})
    actors["steward"].request("DELETE", f"/v1/webhooks/{webhook['id']}")
    # the rollout service emits when a scope is saved: one that selects no vehicle of the session (no WMI ZZY)
    stack.client("ada", ["admin"]).post("/v1/rollout/scopes", {
        "entity": demo_data.ENTITY, "name": "audit evidence: no vehicle", "selector": {"vin_prefixes": ["ZZY"]},
        "mode": "off"})
    # the delivery service emits when a NAP target is saved: a disabled one, so nothing is sent
    stack.client("ada", ["admin"], [demo_data.ENTITY]).put(f"/v1/delivery-targets/{demo_data.ENTITY}/audit", {
        "endpoint": "https://nap.example/audit", "client_cert": "audit.pem", "client_key": "audit.key",
        "country": "AUD", "enabled": False, "auto_deliver": False})

    def outbox_ids():
        ids = []
        for service in PRODUCERS:
            rows = sql(stack, service, "SELECT event_id, published_at FROM outbox")
            assert all(published for _, published in rows), f"{service} has unpublished events"
            ids += [str(event_id) for event_id, _ in rows]
        return ids

    def audit_ids():
        return [str(event_id) for (event_id,) in sql(stack, "audit", "SELECT event_id FROM audit_entries")]

    def caught_up():
        emitted, recorded = outbox_ids(), audit_ids()
        return (emitted, recorded) if set(recorded) >= set(emitted) else None

    emitted, recorded = wait(caught_up, 60, interval=0.5, what="the audit to record every emitted event")
    assert len(set(emitted)) == len(emitted)
    assert len(recorded) == len(set(recorded))  # no event twice
    assert set(recorded) == set(emitted)  # and nothing that no service emitted
    per_service = {s: int(sql(stack, s, "SELECT count(*) FROM outbox")[0][0]) for s in PRODUCERS}
    assert all(per_service[s] > 0 for s in PRODUCERS), per_service
    recorded_by_source = dict(sql(stack, "audit", "SELECT source, count(*) FROM audit_entries GROUP BY source"))
    assert {s: recorded_by_source.get(s, 0) for s in PRODUCERS} == per_service


def test_chain_verifies_with_a_sealed_checkpoint(stack, actors, corrected_vin):
    auditor = actors["auditor"]
    auditor.request("GET", f"/v1/vehicles/{corrected_vin}/evidence")  # seals the head
    chain = auditor.get("/v1/audit/verify")  # the default: since the newest checkpoint
    assert chain["valid"] is True and chain["scope"] == "since_checkpoint", chain
    assert chain["checkpoint"]["seq"] <= chain["last_seq"]
    bad = auditor.request("GET", "/v1/audit/verify", params={"full": "maybe"}, expect=None)
    assert bad.status_code == 422 and "full" in bad.text
    public = (stack.keys_dir / checkpoints.KEY_FILE)
    assert public.is_file()  # local mode made the audit key in the keys directory
    trail = auditor.get("/v1/audit", params={"subject": corrected_vin, "event_type": "certificate_signed"})
    assert len(trail["entries"]) == 2
    assert all(e["subject"] == corrected_vin or corrected_vin in e["subjects"] for e in trail["entries"])
    requested = auditor.get("/v1/audit", params={"subject": corrected_vin, "event_type": "release_requested"})
    assert [(e["actor"], e["roles"]) for e in requested["entries"]] == [("dana", ["data_steward"])] * 2
    mine = auditor.get("/v1/audit", params={"actor": "bob", "limit": 1000})["entries"]
    assert mine and all(e["actor"] == "bob" for e in mine)
    bad = auditor.request("GET", "/v1/audit", params={"subject": corrected_vin, "since": "yesterday"}, expect=None)
    assert bad.status_code in (400, 422) and "since" in bad.text


def test_evidence_pack_checks_offline(stack, actors, corrected_vin, tmp_path):
    auditor, viewer = actors["auditor"], actors["viewer"]
    response = auditor.request("GET", f"/v1/vehicles/{corrected_vin}/evidence")
    assert response.headers["Content-Type"] == "application/zip"
    pack = zipfile.ZipFile(io.BytesIO(response.content))
    current = viewer.request("GET", f"/v1/vehicles/{corrected_vin}/certificate").content
    assert pack.read(f"certificates/{corrected_vin}-v2.xml") == current  # byte-exact
    assert f"certificates/{corrected_vin}-v1.xml" in pack.namelist()

    key = checkpoints.public_pem(checkpoints.load_or_create_key(stack.keys_dir, local_mode=False))
    result = verify_pack(response.content, key)
    assert result["ok"], result
    checks = {c["check"]: c for c in result["checks"]}
    assert checks["certificate version 1"]["ok"] and checks["certificate version 2"]["ok"]
    assert [c for c in checks if c.startswith("validation report of revision 2")]
    assert [c for c in checks if c.startswith("data revision 2 by bob")]
    assert len(result["proves"]) == 4

    path, key_path = tmp_path / "pack.zip", tmp_path / "audit.pem"
    path.write_bytes(response.content)
    key_path.write_text(key)
    assert ecoc(["evidence", "verify", str(path), "--key", str(key_path)]) == 0


def test_evidence_needs_an_auditor_and_a_known_vehicle(actors, corrected_vin):
    assert actors["viewer"].request("GET", f"/v1/vehicles/{corrected_vin}/evidence", expect=None).status_code == 403
    missing = actors["auditor"].request("GET", "/v1/vehicles/NWAZZZ00000000000/evidence", expect=None)
    assert missing.status_code == 404


def test_withdrawn_vehicle_pack_says_withdrawn_and_holds_only_its_vin(stack, actors, wait):
    batch = demo_data.vehicles(2, seed=9312)
    assert actors["steward"].post("/v1/vehicles/import", {"vehicles": batch})["accepted"] == 2
    vin, other = (v["vin"] for v in batch)
    for v in (vin, other):
        assert status_of(actors, v, JUDGED, wait)["status"] == "valid"
    release_and_sign(actors, wait, [vin, other])  # batch events name both VINs
    actors["signer"].post(f"/v1/vehicles/{vin}/withdrawal", {"reason": "destroyed before registration"})
    auditor = actors["auditor"]
    wait(lambda: auditor.get("/v1/audit", params={"subject": vin, "event_type": "certificate_withdrawn"})["entries"],
         60, interval=0.3, what="certificate_withdrawn in the audit")

    response = auditor.request("GET", f"/v1/vehicles/{vin}/evidence")
    key = checkpoints.public_pem(checkpoints.load_or_create_key(stack.keys_dir, local_mode=False))
    result = verify_pack(response.content, key)
    assert result["ok"], [c for c in result["checks"] if not c["ok"]]
    checks = {c["check"]: c for c in result["checks"]}
    assert ", withdrawn: as recorded by audit entry" in checks["certificate version 1"]["detail"]
    assert [c for c in checks if c.startswith("vehicle record (revision ") and c.endswith(", withdrawn)")]
    pack = zipfile.ZipFile(io.BytesIO(response.content))
    assert other.encode() not in b"".join(pack.read(name) for name in pack.namelist())
