"""Certificates over HTTP: a correction is a new certificate (new reference id, version + 1) that supersedes
the earlier one, a withdrawal marks the current one withdrawn with its reason, every version stays listed,
and the verify route rejects changed, re-formatted, wrapped and unsigned documents with their reason."""
import copy
import hashlib

import pytest
from lxml import etree

from cli import demo_data

pytestmark = pytest.mark.e2e

NS = {"i": "http://eu.ereg.initialvehicleinformation.v2", "ds": "http://www.w3.org/2000/09/xmldsig#"}
XML = {"Content-Type": "application/xml"}
SEED = 5151


@pytest.fixture(scope="module")
def actors(stack):
    e = [demo_data.ENTITY]
    return {"steward": stack.client("dana", ["data_steward"], e), "reviewer": stack.client("rita", ["reviewer"], e),
            "signer": stack.client(demo_data.SIGNATORY["sub"], ["signer"], e),
            "viewer": stack.client("vic", ["viewer"], e)}


def released(actors, wait, vins, note):
    """Wait until `vins` are valid, then request, approve and sign their release; the final release."""
    viewer = actors["viewer"]

    def valid():
        states = [viewer.get(f"/v1/vehicles/{vin}")["status"] for vin in vins]
        return all(s == "valid" for s in states) or None

    wait(valid, 30, interval=0.3, what=f"{vins} to be valid")
    release = actors["steward"].post("/v1/releases", {"vins": vins, "note": note})
    actors["reviewer"].request("POST", f"/v1/releases/{release['id']}/approve")
    actors["signer"].request("POST", f"/v1/releases/{release['id']}/sign")

    def finished():
        current = viewer.get(f"/v1/releases/{release['id']}")
        return current if current["status"] not in ("approved", "signing") else None

    final = wait(finished, 60, interval=0.3, what="the release to be sealed")
    assert final["status"] == "released", final
    return final


@pytest.fixture(scope="module")
def first_release(nordwind, actors, wait):
    vehicles = demo_data.vehicles(2, seed=SEED)
    result = actors["steward"].post("/v1/vehicles/import", {"vehicles": vehicles})
    assert result["accepted"] == 2, result
    return released(actors, wait, [v["vin"] for v in vehicles], "certificates e2e")


def versions(actors, vin):
    return actors["viewer"].get(f"/v1/vehicles/{vin}/certificates")["items"]


def header(document, name):
    return etree.fromstring(document).findtext(f"i:Header/i:{name}", namespaces=NS)


def test_a_correction_gives_a_new_certificate_and_supersedes_the_first(first_release, actors, wait):
    vin = first_release["vehicles"][0]["vin"]
    [first] = versions(actors, vin)
    assert (first["version_number"], first["status"], first["findings"]) == (1, "current", [])
    old_document = actors["viewer"].request("GET", f"/v1/vehicles/{vin}/certificate").content

    correction = actors["steward"].request("POST", f"/v1/vehicles/{vin}/corrections", json={
        "coc": {"MassGroup": {"ActualMass": 1999}}, "reason": "actual mass measured wrongly"})
    assert correction.status_code == 201, correction.text
    released(actors, wait, [vin], "correction")

    listed = versions(actors, vin)
    assert [(v["version_number"], v["status"]) for v in listed] == [(1, "superseded"), (2, "current")]
    assert listed[0]["reference_id"] == first["reference_id"] and listed[1]["reference_id"] != first["reference_id"]
    document = actors["viewer"].request("GET", f"/v1/vehicles/{vin}/certificate").content
    assert hashlib.sha256(document).hexdigest() == listed[1]["sha256"]
    assert header(document, "IviVersionNumber") == "2" and header(document, "IviReferenceId") == listed[1]["reference_id"]
    assert b"<ActualMass>1999</ActualMass>" in document and b"<ActualMass>1999</ActualMass>" not in old_document
    for sealed, version in ((document, 2), (old_document, 1)):  # the superseded one is kept and still verifies
        verdict = actors["viewer"].request("POST", "/v1/certificates/verify", data=sealed, headers=XML).json()
        assert verdict["valid"] and verdict["version_number"] == version, verdict


def test_a_withdrawal_marks_the_current_certificate_withdrawn(first_release, actors, wait):
    vin = first_release["vehicles"][1]["vin"]
    reason = "vehicle destroyed in transport before registration"
    response = actors["signer"].request("POST", f"/v1/vehicles/{vin}/withdrawal", json={"reason": reason})
    assert response.status_code == 200, response.text

    def withdrawn():
        listed = versions(actors, vin)
        return listed if listed[-1]["status"] == "withdrawn" else None

    [certificate] = wait(withdrawn, 20, interval=0.3, what="the certificate to be withdrawn")
    assert certificate["status_reason"] == reason and certificate["withdrawn_at"]
    gone = actors["viewer"].request("GET", f"/v1/vehicles/{vin}/certificate", expect=None)
    assert gone.status_code == 404 and "withdrawn" in gone.json()["detail"], gone.text


@pytest.fixture(scope="module")
def sealed(first_release, actors):
    vin = first_release["vehicles"][0]["vin"]
    return actors["viewer"].request("GET", f"/v1/vehicles/{vin}/certificate").content


def verdict_on(actors, document):
    return actors["viewer"].request("POST", "/v1/certificates/verify", data=document, headers=XML).json()


def test_verify_names_what_was_sealed(sealed, actors):
    verdict = verdict_on(actors, sealed)
    assert verdict["valid"] is True and verdict["errors"] == []
    assert verdict["reference_id"] == header(sealed, "IviReferenceId") and verdict["vin"]
    assert verdict["signer"]["organisation"] == demo_data.LEGAL_NAME and verdict["xades"] is False


def _moved_signature(sealed):
    root = etree.fromstring(sealed)
    root.find("i:CocDataGroup", NS).append(root[-1])
    return etree.tostring(root)


def _wrapped(sealed):
    forged = etree.fromstring(sealed)
    original = copy.deepcopy(forged)
    forged.remove(forged[-1])
    forged.find("i:CocDataGroup/i:MassGroup/i:ActualMass", NS).text = "1000"
    forged.append(original)
    return etree.tostring(forged)


@pytest.mark.parametrize("change, reason", [
    (lambda d: d.replace(b"<ActualMass>", b"<ActualMass>9", 1), "digest mismatch"),
    (lambda d: etree.tostring(etree.fromstring(d), pretty_print=True, xml_declaration=True, encoding="UTF-8"),
     "pretty-printed"),
    (_moved_signature, "must be the last child of the root"),
    (_wrapped, "must be the last child of the root"),
    (lambda d: d[:d.index(b"<ds:Signature")] + b"</InitialVehicleInformation>", "not sealed"),
], ids=["one-changed-byte", "pretty-printed", "signature-moved", "wrapped", "unsigned"])
def test_verify_rejects_with_the_reason(sealed, actors, change, reason):
    verdict = verdict_on(actors, change(sealed))
    assert verdict["valid"] is False, verdict
    assert any(reason in e for e in verdict["errors"]), verdict["errors"]
