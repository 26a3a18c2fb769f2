"""The main job over HTTP against the whole running stack: entity with seal, type approval, import,
validation, release request, four-eyes review, signing, and the signed eCoC checked three ways (the
gateway's verify route, the independent `xmlsec1` tool, the official IVI 2.0 schema), then the audit."""
import copy
import hashlib

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from lxml import etree

from cli import demo_data
from tests.support import xmlsec1_verify

pytestmark = pytest.mark.e2e

IVI = {"i": "http://eu.ereg.initialvehicleinformation.v2"}
SEED = 4242
O_VIN = demo_data.WMI + "O" + "1" * 13  # 17 characters, but ISO 3779 never uses I, O or Q
UNKNOWN_VERSION_VIN = demo_data.WMI + "UNKNWNVERS0000001"[:14]


def _tamper_one_byte(document):
    """Change one digit of ActualMass (inside the signed content); the copy stays well-formed UTF-8."""
    marker = b"<ActualMass>"
    at = document.index(marker) + len(marker)
    digit = document[at:at + 1]
    assert digit.isdigit(), document[at - 20:at + 20]
    replaced = b"1" if digit != b"1" else b"2"
    return document[:at] + replaced + document[at + 1:]


@pytest.fixture(scope="module")
def actors(stack):
    e = [demo_data.ENTITY]
    return {
        "admin": stack.client("ada", ["admin"]),
        "steward": stack.client("dana", ["data_steward"], e),
        "reviewer": stack.client("rita", ["reviewer"], e),
        "signer": stack.client(demo_data.SIGNATORY["sub"], ["signer"], e),
        "viewer": stack.client("vic", ["viewer"], e),
        "auditor": stack.client("audrey", ["auditor"], ["*"]),
    }


def test_release_sequence(stack, nordwind, actors, wait, tmp_path):
    steward, reviewer, signer, viewer, auditor = (
        actors["steward"], actors["reviewer"], actors["signer"], actors["viewer"], actors["auditor"])

    # 1. the legal entity: local mode created its seal, whose organisation is the legal name
    assert nordwind.entity_put.status_code == 200
    entity = actors["admin"].get(f"/v1/entities/{demo_data.ENTITY}")
    assert entity["legal_name"] == demo_data.LEGAL_NAME
    assert [s["sub"] for s in entity["signatories"]] == [demo_data.SIGNATORY["sub"]]
    seal_pem = entity["seal_certificate"]
    assert seal_pem and seal_pem.startswith("-----BEGIN CERTIFICATE-----")
    seal = x509.load_pem_x509_certificate(seal_pem.encode())
    assert [a.value for a in seal.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)] == [demo_data.LEGAL_NAME]
    assert "PRIVATE" not in seal_pem

    # 2. the type approval
    assert nordwind.approval_post.status_code == 201
    registered = nordwind.approval_post.json()
    assert registered["id"] and registered["number"] == demo_data.APPROVAL_NUMBER and registered["revision"] == 1

    # 3. import: 20 good vehicles, one VIN with the letter O, one of a version the approval does not list
    good = demo_data.vehicles(20, seed=SEED)
    bad_vin = dict(copy.deepcopy(good[0]), vin=O_VIN)
    unknown_version = dict(copy.deepcopy(good[1]), vin=UNKNOWN_VERSION_VIN, version="NWA1-RWD-XX")
    assert len(UNKNOWN_VERSION_VIN) == 17
    rows = good + [bad_vin, unknown_version]
    result = steward.post("/v1/vehicles/import", {"vehicles": rows})
    rejected_rows = {r["index"]: r for r in result["rejected"]}
    assert result["accepted"] + result["unchanged"] + len(result["rejected"]) == len(rows), result
    assert result["unchanged"] == 0
    # the import takes every schema-valid VIN; the I/O/Q rule is a validation finding (VIN-002) a person can read
    assert rejected_rows == {}, result
    imported = [v["vin"] for v in good] + [UNKNOWN_VERSION_VIN]
    watched = imported + [O_VIN]

    # 4. validation: nothing stays draft; the unknown version is blocked by APR-002
    def judged():
        vehicles = {vin: viewer.get(f"/v1/vehicles/{vin}") for vin in watched}
        return vehicles if all(v["status"] != "draft" for v in vehicles.values()) else None

    vehicles = wait(judged, 30, interval=0.3, what="validation of the imported vehicles")
    assert {vin: vehicles[vin]["status"] for vin in good_vins(good)} == {vin: "valid" for vin in good_vins(good)}
    blocked = vehicles[UNKNOWN_VERSION_VIN]
    assert blocked["status"] == "blocked", blocked
    apr = [f for f in blocked["findings"] if f["rule"] == "APR-002"]
    assert apr and apr[0]["severity"] == "error", blocked["findings"]
    assert apr[0]["message"]
    assert vehicles[O_VIN]["status"] == "blocked"
    vin_findings = [f for f in vehicles[O_VIN]["findings"] if f["rule"] == "VIN-002"]
    assert vin_findings and vin_findings[0]["path"] == "VehicleIdentificationNumber", vehicles[O_VIN]["findings"]

    # 5. release request of all 21 imported: the blocked one is refused with a reason
    release = steward.post("/v1/releases", {"vins": imported, "note": "e2e release"})
    assert release["status"] == "in_review"
    assert release["accepted"] == 20
    assert [r["vin"] for r in release["rejected"]] == [UNKNOWN_VERSION_VIN]
    assert "blocked" in release["rejected"][0]["reason"]
    release_id = release["id"]
    released_vins = good_vins(good)

    # 6. four-eyes review by someone else
    approve = reviewer.request("POST", f"/v1/releases/{release_id}/approve", expect=None)
    assert approve.status_code == 200, approve.text
    assert approve.json()["status"] == "approved"

    # 7. the authorised signatory signs; sealing runs in the background
    sign = signer.request("POST", f"/v1/releases/{release_id}/sign", expect=None)
    assert sign.status_code == 202, sign.text

    def finished():
        current = viewer.get(f"/v1/releases/{release_id}")
        return current if current["status"] not in ("approved", "signing") else None

    final = wait(finished, 120, interval=0.5, what="the release to be sealed")
    assert final["status"] == "released", final
    assert final["counts"] == {"released": 20}, final
    assert sorted(v["vin"] for v in final["vehicles"]) == sorted(released_vins)
    for item in final["vehicles"]:
        assert item["state"] == "released" and item["version_number"] == 1 and item["reference_id"], item
    statuses = {vin: viewer.get(f"/v1/vehicles/{vin}")["status"] for vin in released_vins}
    assert set(statuses.values()) == {"released"}, statuses
    assert viewer.get(f"/v1/vehicles/{UNKNOWN_VERSION_VIN}")["status"] == "blocked"

    # 8. every certificate: the exact bytes match the recorded sha256; one version, current
    references = {item["vin"]: item["reference_id"] for item in final["vehicles"]}
    documents = {}
    for vin in released_vins:
        response = viewer.request("GET", f"/v1/vehicles/{vin}/certificate")
        assert response.headers["Content-Type"].split(";")[0] == "application/xml"
        versions = viewer.get(f"/v1/vehicles/{vin}/certificates")["items"]
        assert len(versions) == 1, versions
        assert versions[0]["version_number"] == 1 and versions[0]["status"] == "current", versions
        assert versions[0]["reference_id"] == references[vin]
        assert hashlib.sha256(response.content).hexdigest() == versions[0]["sha256"]
        documents[vin] = response.content

    vin = released_vins[0]
    document = documents[vin]

    # 9. the gateway verifies it; a one-byte change breaks it
    verdict = viewer.request("POST", "/v1/certificates/verify", data=document,
                             headers={"Content-Type": "application/xml"}).json()
    assert verdict["valid"] is True, verdict
    assert verdict["vin"] == vin and verdict["reference_id"] == references[vin]
    assert verdict["signer"]["organisation"] == demo_data.LEGAL_NAME
    tampered = _tamper_one_byte(document)
    assert len(tampered) == len(document) and sum(a != b for a, b in zip(tampered, document)) == 1
    verdict = viewer.request("POST", "/v1/certificates/verify", data=tampered,
                             headers={"Content-Type": "application/xml"}).json()
    assert verdict["valid"] is False and verdict["errors"] and all(verdict["errors"]), verdict

    # 10. the official schema, the IVI header and the signatory
    schema = etree.XMLSchema(etree.parse(stack.settings.schema_path))
    parsed = etree.fromstring(document, etree.XMLParser(resolve_entities=False, no_network=True))
    assert schema.validate(parsed), schema.error_log
    assert parsed.findtext("i:Header/i:IviVersionNumber", namespaces=IVI) == "1"
    assert parsed.findtext("i:Header/i:DesignatedTypeApprovalCountry", namespaces=IVI) == "e6"
    assert parsed.findtext("i:Header/i:IviReferenceId", namespaces=IVI) == references[vin]
    assert parsed.findtext("i:CocDataGroup/i:VehicleIdentificationNumber", namespaces=IVI) == vin
    authority = parsed.find(".//i:SigningAuthorityTable/i:SigningAuthorityGroup", namespaces=IVI)
    if authority is None:
        authority = parsed.find(".//i:SigningAuthorityTable", namespaces=IVI)
    assert authority is not None
    assert authority.findtext(".//i:SignerName", namespaces=IVI) == demo_data.SIGNATORY["name"]
    assert authority.findtext(".//i:SignerPosition", namespaces=IVI) == demo_data.SIGNATORY["position"]
    assert authority.findtext(".//i:SignatureLocation", namespaces=IVI) == demo_data.SIGNATORY["location"]

    # 11. the audit trail of the vehicle, in order, and the whole chain
    def trail():
        entries = auditor.get("/v1/audit", params={"subject": vin})["entries"]
        return entries if "certificate_signed" in [e["event_type"] for e in entries] else None

    entries = wait(trail, 30, what=f"certificate_signed in the audit trail of {vin}")
    types = [e["event_type"] for e in entries]
    seqs = [e["seq"] for e in entries]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert types[0] == "vehicle_changed", types
    for earlier, later in [("vehicle_changed", "release_requested"), ("release_requested", "release_approved"),
                           ("release_approved", "certificate_signed")]:
        assert earlier in types and later in types, types
        assert types.index(earlier) < types.index(later), types
    assert all(vin == e["subject"] or vin in e["subjects"] for e in entries)
    chain = auditor.get("/v1/audit/verify", params={"full": "true"})
    assert chain["valid"] is True and chain["scope"] == "full", chain
    assert chain["entries"] > 0 and chain["entries"] >= len(entries)
    assert isinstance(chain["head"], str) and chain["head"]

    # 12. the independent check: xmlsec1 with the entity's seal certificate as the only trust anchor
    pem_path = tmp_path / "seal.pem"
    pem_path.write_text(seal_pem)
    document_path = tmp_path / f"{vin}.xml"
    document_path.write_bytes(document)
    checked = xmlsec1_verify(document_path, pem_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "OK" in (checked.stdout + checked.stderr).split()
    tampered_path = tmp_path / f"{vin}-tampered.xml"
    tampered_path.write_bytes(tampered)
    checked = xmlsec1_verify(tampered_path, pem_path)
    assert checked.returncode != 0, checked.stdout + checked.stderr


def good_vins(good):
    return [v["vin"] for v in good]
