"""Rollout beside a legacy system, end to end over HTTP: the nine official samples are the legacy system's output.

ecoc holds the same data (each sample's type level as an approval, its vehicle level as a vehicle record), so every
scope shows 100 % parity; a legacy document with one changed value is reported at its exact path with both values.
A vehicle in a shadow scope is not released; a cut-over needs the gate and two people and is audited with the parity
report's digest; a roll-back is immediate. The module runs on a stack of its own: its scopes would otherwise take
the samples' vehicles out of live production for the session's other modules, and its gate needs a small minimum
volume (ECOC_ROLLOUT_MIN_VOLUME=2). The samples are read from ../shared/ivi, never copied into the repository.
"""
import csv
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from common.ivi import load_schema, read_ivi
from tests.support import own_stack, sample_entity_code, wait_until

pytestmark = pytest.mark.e2e

IVI_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "ivi"
SAMPLES = sorted((IVI_DIR / "samples").glob("*.xml"))
XML = {"Content-Type": "application/xml"}
ZIP = {"Content-Type": "application/zip"}
PRODUCTION_DATE, INTENDED_COUNTRY = "2025-07-01", "NL"  # what the L-category samples leave out
SIGNATORY = {"sub": "sid", "name": "Sid Signer", "position": "Homologation", "location": "Brussels"}
LAST = "M1-04-PriusPHEV"  # shares its VIN with M1-03: imported (and sent as legacy) after it, so it is the newer

if len(SAMPLES) != 9:
    pytest.skip(f"the nine official IVI 2.0 samples are not in {IVI_DIR / 'samples'}", allow_module_level=True)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """This module's own stack (shadows the session's)."""
    with own_stack(tmp_path_factory.mktemp("rollout-stack"), "rollout", IVI_DIR / "IVI2.0.xsd", ECOC_ROLLOUT_MIN_VOLUME="2") as handle:
        yield handle


def read(path):
    return read_ivi(path.read_bytes(), load_schema(IVI_DIR / "IVI2.0.xsd"))


def ordered():
    """The samples with M1-04 last (its VIN is M1-03's: the later one is what both sides hold)."""
    return sorted(SAMPLES, key=lambda p: p.stem == LAST)


@pytest.fixture(scope="module")
def world(stack):
    """Entities, approvals and vehicles of the nine samples, valid; a shadow scope per entity; the legacy
    documents (a zip of eight, then M1-04 alone). Returns {entity: [vin, ...]} and the scope of each entity."""
    admin = stack.client("ada", ["admin"])
    entities, rows = {}, {}
    for path in SAMPLES:
        coc = read(path)["coc"]
        row = coc["ManufacturerTable"][0]
        rows[row["ManufacturerName"]] = row
        entities.setdefault(sample_entity_code(row["ManufacturerName"]), set()).add(coc["VehicleIdentificationNumber"])
    wmis = {}
    for path in SAMPLES:
        coc = read(path)["coc"]
        wmis.setdefault(coc["ManufacturerTable"][0]["ManufacturerName"], set()).add(
            coc["VehicleIdentificationNumber"][:3])
    taken = set()
    for name, row in rows.items():
        own = sorted(w for w in wmis[name] if w not in taken) or ["ZFA"]
        taken.update(own)
        address = {"line1": row["ManufacturerAddressLine1"], "place": row["ManufacturerPlaceOfResidence"],
                   "country": row["ManufacturerCountryOfResidence"]}
        if row.get("ManufacturerAddressLine2"):
            address["line2"] = row["ManufacturerAddressLine2"]
        admin.put(f"/v1/entities/{sample_entity_code(name)}", {"legal_name": name, "role": "manufacturer",
                                                                "address": address, "wmis": own,
                                                                "signatories": [SIGNATORY]})
    for path in ordered():
        message = read(path)
        entity = sample_entity_code(message["coc"]["ManufacturerTable"][0]["ManufacturerName"])
        manager = stack.client("alice", ["approvals_manager"], [entity])
        steward = stack.client("dana", ["data_steward"], [entity])
        manager.request("POST", "/v1/approvals/from-ivi", params={"entity": entity}, data=path.read_bytes(),
                        headers=XML, expect=(200, 201))
        params = {"entity": entity}
        if "DateManufactureVehicle" not in message["coc"]:
            params["production_date"] = PRODUCTION_DATE
        if "IntendedCountryRegistration" not in message["header"]:
            params["intended_country"] = INTENDED_COUNTRY
        steward.request("POST", "/v1/vehicles/from-ivi", params=params, data=path.read_bytes(), headers=XML,
                        expect=(200, 201))
    viewer = stack.client("vera", ["viewer"])
    for vin in entities[sample_entity_code("TOYOTA MOTOR CORPORATION")]:  # the ones released below
        wait_until(lambda v=vin: viewer.get(f"/v1/vehicles/{v}")["status"] == "valid", 120, f"{vin} valid")
    scopes = {}
    for entity in entities:
        scopes[entity] = admin.request("POST", "/v1/rollout/scopes", json={
            "entity": entity, "name": "all production", "selector": {}, "mode": "shadow"}, expect=(201,)).json()
    # the legacy system's output of each entity as one zip; M1-04 (M1-03's VIN, newer) afterwards on its own
    steward = stack.client("dana", ["data_steward"])
    by_entity = {}
    for path in ordered()[:-1]:
        by_entity.setdefault(sample_entity_code(read(path)["coc"]["ManufacturerTable"][0]["ManufacturerName"]),
                             []).append(path)
    outcomes = []
    for entity, paths in by_entity.items():
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as out:
            for path in paths:
                out.writestr(path.name, path.read_bytes())
        outcomes.append(steward.request("POST", "/v1/rollout/legacy", params={"entity": entity},
                                        data=archive.getvalue(), headers=ZIP, expect=(200,)).json())
    last = ordered()[-1]
    entity = sample_entity_code(read(last)["coc"]["ManufacturerTable"][0]["ManufacturerName"])
    outcomes.append(steward.request("POST", "/v1/rollout/legacy", params={"entity": entity},
                                    data=last.read_bytes(), headers=XML, expect=(200,)).json())
    return {"entities": {e: sorted(v) for e, v in entities.items()}, "scopes": scopes, "outcomes": outcomes}


def parity_of(client, scope_id, volume):
    return wait_until(lambda: (lambda r: r if r["volume"] == volume else None)(
        client.get(f"/v1/rollout/scopes/{scope_id}/parity")), 120, f"parity over {volume} vehicles")


def test_legacy_documents_are_kept_byte_exact_with_their_seal_checked_and_recorded(stack, world):
    documents = [d for o in world["outcomes"] for d in o["documents"]]
    assert len(documents) == 9 and all(o["rejected"] == [] for o in world["outcomes"])
    assert {d["status"] for d in documents} == {"legacy"}
    # the specimens' signatures are placeholders: checked, recorded as broken, never trusted
    assert {(d["seal"]["status"], d["seal"]["trusted"]) for d in documents} == {("broken", False)}
    assert {d["sha256"] for d in documents} == {hashlib.sha256(p.read_bytes()).hexdigest() for p in SAMPLES}
    viewer = stack.client("vera", ["viewer"])
    by_sha = {hashlib.sha256(p.read_bytes()).hexdigest(): p.read_bytes() for p in SAMPLES}
    for document in documents:
        answer = viewer.request("GET", f"/v1/rollout/legacy/{document['id']}")
        assert answer.content == by_sha[document["sha256"]] and answer.headers["X-Legacy-Seal"] == "broken"
    stranger = stack.client("otto", ["viewer"], ["ELSEWHERE"])
    assert stranger.request("GET", f"/v1/rollout/legacy/{documents[0]['id']}", expect=None).status_code == 404


def test_the_same_data_gives_full_parity_in_every_scope(stack, world):
    viewer = stack.client("vera", ["viewer"])
    total = 0
    for entity, vins in world["entities"].items():
        report = parity_of(viewer, world["scopes"][entity]["id"], len(vins))
        assert (report["matched"], report["parity_rate"], report["differing_fields"]) == (len(vins), 100.0, [])
        assert {e["field"] for e in report["excluded"]} == {"Header", "Signature", "SigningAuthorityTable"}
        # shadow: ecoc built, checked and sealed each one with its test seal
        assert report["test_sealed"] == {"sealed": len(vins), "failed": 0, "examples": []}, report["test_sealed"]
        total += report["volume"]
    assert total == 8  # nine samples, two of which share a VIN


def test_the_rollout_pages_show_scopes_mode_parity_and_gate(stack, world):
    entity = sample_entity_code("TOYOTA MOTOR CORPORATION")
    viewer = stack.client("vera", ["viewer"], [entity])
    page = viewer.request("GET", "/dashboard/rollout").text
    assert entity in page and "all production" in page and "shadow" in page and "100.0 %" in page
    assert sample_entity_code("TOYOTA MOTOR EUROPE NV/SA") not in page  # another entity's scopes stay hidden
    scope_id = world["scopes"][entity]["id"]
    parity = viewer.request("GET", f"/dashboard/rollout/scopes/{scope_id}").text
    assert "3 of 3 vehicles" in parity and "SigningAuthorityTable" in parity and "holds" in parity
    other = world["scopes"][sample_entity_code("TOYOTA MOTOR EUROPE")]["id"]
    assert viewer.request("GET", f"/dashboard/rollout/scopes/{other}", expect=None).status_code == 404
    [scope] = viewer.get("/v1/rollout/overview")["scopes"]
    assert (scope["id"], scope["mode"], scope["volume"], scope["parity_rate"], scope["gate"]["holds"]) == (
        scope_id, "shadow", 3, 100.0, True)
    assert scope["volume_7_days"] == scope["volume_30_days"] == 3


def test_a_vehicle_in_a_shadow_scope_is_not_released_and_the_scope_is_named(stack, world):
    entity = sample_entity_code("TOYOTA MOTOR CORPORATION")
    steward = stack.client("dana", ["data_steward"], [entity])
    answer = steward.request("POST", "/v1/releases", json={"vins": ["JTJM1C0MPTEST0001"], "note": "try"},
                             expect=None)
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert error["field"] == "vins[0]"
    assert world["scopes"][entity]["id"] in error["message"] and "shadow" in error["message"]
    # nothing ecoc made in shadow is handed out: the VIN's history is the legacy certificate only
    history = steward.get("/v1/vehicles/JTJM1C0MPTEST0001/certificates")["items"]
    assert [(c["version_number"], c["status"]) for c in history] == [(1, "legacy")]
    assert steward.request("GET", "/v1/vehicles/JTJM1C0MPTEST0001/certificate", expect=None).status_code == 404


def test_equal_specificity_overlaps_are_refused(stack, world):
    admin = stack.client("ada", ["admin"])
    entity = sample_entity_code("TOYOTA MOTOR CORPORATION")
    clash = admin.request("POST", "/v1/rollout/scopes", json={"entity": entity, "name": "everything again",
                                                               "selector": {}}, expect=None)
    assert clash.status_code == 409 and clash.json()["errors"][0]["field"] == "selector"
    # a plant no sample is built in (it moves no vehicle out of the catch-all scope)
    plant = {"entity": entity, "name": "plant JTX", "selector": {"vin_prefixes": ["JTX"]}, "mode": "off"}
    admin.request("POST", "/v1/rollout/scopes", json=plant, expect=(201,))
    again = admin.request("POST", "/v1/rollout/scopes", json=dict(plant, name="M1 of JT",
                                                                   selector={"categories": ["M1"]}), expect=None)
    assert again.status_code == 409, again.text


def test_a_changed_value_is_reported_at_its_exact_path_and_the_gate_refuses(stack, world):
    entity = sample_entity_code("TOYOTA MOTOR EUROPE NV/SA")
    sample = next(p for p in SAMPLES if p.stem == "M1-05-Rav4Hybrid")
    changed = sample.read_bytes().replace(b"225/60R18", b"225/65R18", 1)
    steward = stack.client("dana", ["data_steward"], [entity])
    steward.request("POST", "/v1/rollout/legacy", params={"entity": entity}, data=changed, headers=XML,
                    expect=(200,))
    viewer = stack.client("vera", ["viewer"], [entity])
    scope_id = world["scopes"][entity]["id"]
    report = wait_until(lambda: (lambda r: r if r["matched"] == 1 else None)(
        viewer.get(f"/v1/rollout/scopes/{scope_id}/parity")), 120, "the changed document compared")
    [field] = report["differing_fields"]
    example = field["examples"][0]
    original = read(sample)["coc"]
    path = example["path"]
    assert field["field"] == "AxleTable.TyreAxleTable.TyreSize" and path.startswith("AxleTable[")
    axle, tyre = (int(x.split("]")[0]) for x in path.split("[")[1:])
    assert example == {"vin": original["VehicleIdentificationNumber"], "path": path, "legacy": "225/65R18",
                       "ecoc": original["AxleTable"][axle]["TyreAxleTable"][tyre]["TyreSize"]}
    assert report["parity_rate"] == 50.0
    table = list(csv.DictReader(io.StringIO(viewer.request("GET", f"/v1/rollout/scopes/{scope_id}/parity.csv").text)))
    assert [(r["path"], r["legacy"]) for r in table if r["match"] == "no"] == [(path, "225/65R18")]
    admin = stack.client("ada", ["admin"])
    refused = admin.request("POST", f"/v1/rollout/scopes/{scope_id}/cutover", json={}, expect=None)
    assert refused.status_code == 409 and "below 99.5" in refused.json()["detail"]


def test_the_gate_refuses_below_the_minimum_volume(stack, world):
    entity = sample_entity_code("TOYOTA MOTOR EUROPE")
    admin = stack.client("ada", ["admin"])
    report = parity_of(admin, world["scopes"][entity]["id"], 1)
    # legacy findings: the N2's VIN starts with a WMI this entity has not registered (another entity holds YAR)
    assert {(f["rule"], f["severity"], tuple(f["examples"])) for f in report["legacy_findings"]} >= {
        ("VIN-004", "error", ("YARTN2EVHDTEST123",))}, report["legacy_findings"]
    refused = admin.request("POST", f"/v1/rollout/scopes/{world['scopes'][entity]['id']}/cutover", json={},
                            expect=None)
    assert refused.status_code == 409
    assert "1 vehicles compared" in refused.json()["detail"] and refused.json()["errors"][0]["field"] == "gate"


def test_cut_over_takes_two_people_is_audited_with_the_report_digest_and_rolls_back_at_once(stack, world):
    entity = sample_entity_code("TOYOTA MOTOR CORPORATION")
    scope_id = world["scopes"][entity]["id"]
    ada, bob = stack.client("ada", ["admin"]), stack.client("bob", ["admin"])
    report = parity_of(ada, scope_id, 3)
    assert report["gate"]["holds"], report["gate"]
    ada.request("POST", f"/v1/rollout/scopes/{scope_id}/cutover", json={"note": "plant ready"}, expect=(200,))
    alone = ada.request("POST", f"/v1/rollout/scopes/{scope_id}/cutover/approve", expect=None)
    assert alone.status_code == 403 and alone.json()["type"] == "urn:ecoc:problem:four-eyes"
    live = bob.request("POST", f"/v1/rollout/scopes/{scope_id}/cutover/approve", expect=(200,)).json()
    assert live["mode"] == "live" and live["decision"]["report_digest"] == report["digest"]
    assert (live["decision"]["requested_by"], live["decision"]["approved_by"]) == ("ada", "bob")
    auditor = stack.client("aud", ["auditor"])
    entries = wait_until(lambda: [e for e in auditor.get("/v1/audit", params={"subject": scope_id})["entries"]
                                  if e["event_type"] == "scope_changed" and e["data"]["change"] == "cut_over"],
                         60, "the cut-over in the audit")
    assert entries[0]["data"]["decision"]["report_digest"] == report["digest"]
    # live: the release path takes the vehicle (once the vehicles service has the new scope set)
    steward = stack.client("dana", ["data_steward"], [entity])
    released = wait_until(lambda: (lambda r: r if r.status_code == 201 else None)(steward.request(
        "POST", "/v1/releases", json={"vins": ["JTAM1C0MPTEST0010"], "note": "live"}, expect=None)), 60,
        "the release accepted in the live scope")
    release = released.json()
    assert release["accepted"] == 1
    # continuity: the legacy version 1 stays in the history; ecoc's certificate is version 2 with a new reference
    stack.client("rita", ["reviewer"], [entity]).request("POST", f"/v1/releases/{release['id']}/approve")
    stack.client("sid", ["signer"], [entity]).request("POST", f"/v1/releases/{release['id']}/sign", json={})
    wait_until(lambda: steward.get(f"/v1/releases/{release['id']}")["status"] == "released", 120, "signed")
    history = steward.get("/v1/vehicles/JTAM1C0MPTEST0010/certificates")["items"]
    legacy = read(next(p for p in SAMPLES if p.stem == "M1-02-CHR"))["header"]
    assert [(c["version_number"], c["status"]) for c in history] == [(1, "legacy"), (2, "current")]
    assert history[0]["reference_id"] == legacy["IviReferenceId"] != history[1]["reference_id"]
    back = ada.request("POST", f"/v1/rollout/scopes/{scope_id}/rollback", json={"reason": "plant paused"},
                       expect=(200,)).json()
    assert back["mode"] == "shadow"
    # what ecoc issued while live stays valid
    assert steward.get("/v1/vehicles/JTAM1C0MPTEST0010/certificates")["items"][1]["status"] == "current"
    wait_until(lambda: [e for e in auditor.get("/v1/audit", params={"subject": scope_id})["entries"]
                        if e["event_type"] == "scope_changed" and e["data"]["change"] == "rolled_back"
                        and e["actor"] == "ada"], 60, "the roll-back in the audit")
    refused = wait_until(lambda: (lambda r: r.json() if r.status_code == 422 else None)(steward.request(
        "POST", "/v1/releases", json={"vins": ["JTDM1C0MPTEST0001"], "note": "after"}, expect=None)), 60,
        "the release refused again after the roll-back")
    assert "shadow" in refused["errors"][0]["message"]


def test_an_ivi_111_message_is_taken_with_its_conversion_report(stack, world):
    from lxml import etree

    root = etree.Element("InitialVehicleInformation")
    etree.SubElement(etree.SubElement(root, "Header"), "IVIReferenceId").text = "6d3f1c2a-1b2c-4d5e-8f90-123456789abc"
    coc = etree.SubElement(etree.SubElement(root, "Body"), "CocDataGroup")
    for name, value in (("VehicleIdentificationNumber", "WF0AXXTTGAAA12345"), ("TypeApprovalTypeCode", "EC"),
                        ("VehicleCategoryCode", "M1"), ("Length", "4853"), ("Remarks", "as built"),
                        ("VersionCoc", "2")):
        etree.SubElement(coc, name).text = value
    message = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    entity = sample_entity_code("TOYOTA MOTOR EUROPE")
    steward = stack.client("dana", ["data_steward"], [entity])
    [document] = steward.request("POST", "/v1/rollout/legacy", params={"entity": entity}, data=message,
                                 headers=XML, expect=(200,)).json()["documents"]
    assert (document["format"], document["vin"], document["version_number"]) == ("ivi1.11", "WF0AXXTTGAAA12345", 2)
    assert document["conversion"]["counts"] == {"mapped": 2, "transformed": 4, "unmapped": 1}
    assert document["seal"]["status"] == "absent"
    assert steward.request("GET", f"/v1/rollout/legacy/{document['id']}").content == message
    bad = steward.request("POST", "/v1/rollout/legacy", params={"entity": entity}, headers=XML, expect=None,
                          data=message.replace(b"<Length>4853<", b"<Length>long<"))
    assert bad.status_code == 422 and "not a valid IVI 1.11 message" in bad.json()["errors"][0]["message"]
