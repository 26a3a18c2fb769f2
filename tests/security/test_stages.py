"""Issue 13, findings 1 and 2: earlier stages of multi-stage vehicles (a base vehicle's eCoC imported with
`?stage=base`) belong to the VIN's owning entity and are edits like any other.

Over HTTP against the whole stack. Two legal entities of this module's own: a bodybuilder whose completed
vehicles carry a base vehicle's eCoC (the N2 sample as an incomplete vehicle), and another entity whose data
steward holds a valid token for it only."""
import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree

pytestmark = pytest.mark.e2e

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "ivi" / "samples"
IVI = {"i": "http://eu.ereg.initialvehicleinformation.v2"}
XML = {"Content-Type": "application/xml"}
JUDGED = ("valid", "blocked")

OWNER, OTHER = "STAGEOWNER", "STAGEOTHER"
OWNER_NAME = "STAGE OWNER CARROSSERIE BV"
BODYBUILDER = {"ManufacturerStageNumber": 2, "ManufacturerName": OWNER_NAME,
               "ManufacturerAddressLine1": "KANAALWEG 7", "ManufacturerPlaceOfResidence": "BREDA",
               "ManufacturerCountryOfResidence": "THE NETHERLANDS"}
APPROVAL = {"number": "e4*2018/858*07713*00", "type": "SOWN001", "variant": "SOWNV01", "version": "SOWNVER01"}
BASE_MAKER = "TOYOTA MOTOR EUROPE"
# the base vehicle's identity and the approval's own; whatever else the approval states is the base's type level
IDENTITY = ("TypeApprovalNumber", "TypeApprovalIssueDate", "TypeApprovalType", "ProvisionalTypeApprovalIndicator",
            "StageOfCompletion", "Type", "Variant", "Version", "VehicleCategory")


def base_xml(vin, maker=BASE_MAKER):
    """The N2 sample as the eCoC of an incomplete base vehicle (stage 1) of `vin`, made by `maker`."""
    xml = (SAMPLES / "N2-01-ProaceMaxEV.xml").read_bytes()
    return xml.replace(b"YARTN2EVHDTEST123", vin.encode()).replace(
        b"<StageOfCompletion>C<", b"<StageOfCompletion>I<").replace(
        f"<ManufacturerName>{BASE_MAKER}<".encode(), f"<ManufacturerName>{maker}<".encode())


def import_stage(client, entity, xml):
    return client.request("POST", "/v1/vehicles/from-ivi", params={"entity": entity, "stage": "base"}, data=xml,
                          headers=XML, expect=None)


def status_of(client, vin, wanted, wait, timeout=60):
    return wait(lambda: (lambda v: v if v["status"] in wanted else None)(client.get(f"/v1/vehicles/{vin}")),
                timeout, interval=0.2, what=f"{vin} to become {' or '.join(wanted)}")


def audit_trail(auditor, vin, event_type, wait, until):
    """The audit entries of `vin` of that type, once `until(entries)` holds."""
    def entries():
        found = [e for e in auditor.get("/v1/audit", params={"subject": vin, "limit": 1000})["entries"]
                 if e["event_type"] == event_type]
        return found if until(found) else None

    return wait(entries, 30, interval=0.2, what=f"{event_type} of {vin} in the audit")


def manufacturers(document):
    group = etree.fromstring(document).find("i:CocDataGroup", IVI)
    return [(row.findtext("i:ManufacturerStageNumber", namespaces=IVI), row.findtext("i:ManufacturerName",
                                                                                      namespaces=IVI))
            for row in group.findall("i:ManufacturerTable/i:ManufacturerGroup", IVI)]


def vehicle_row(vin, vehicle_level):
    return {"vin": vin, "approval_number": APPROVAL["number"], "type": APPROVAL["type"],
            "variant": APPROVAL["variant"], "version": APPROVAL["version"], "production_date": "2026-10-01",
            "intended_country": "NL", "entity": OWNER,
            "coc": {"MassGroup": {"ActualMass": 2990}, "AxleTable": vehicle_level["AxleTable"]}}


@pytest.fixture(scope="module")
def world(stack):
    """Both entities registered by an admin; the owner's approval of the completed stage (stage V)."""
    from common.ivi import load_schema, read_ivi, split_levels

    base = read_ivi(base_xml("YARTN2EVHDSEC0000"), load_schema(SAMPLES.parent / "IVI2.0.xsd"))["coc"]
    type_level, vehicle_level = split_levels(base)
    admin = stack.client("ada", ["admin"])
    admin.put(f"/v1/entities/{OWNER}", {
        "legal_name": OWNER_NAME, "role": "manufacturer",
        "address": {"line1": "KANAALWEG 7", "place": "BREDA", "country": "THE NETHERLANDS"},
        "wmis": ["S9W"], "signatories": [{"sub": "stella", "name": "STELLA VOS", "position": "DIRECTOR",
                                          "location": "BREDA"}]})
    admin.put(f"/v1/entities/{OTHER}", {
        "legal_name": "STAGE OTHER TRUCKS BV", "role": "manufacturer",
        "address": {"line1": "HAVENSTRAAT 3", "place": "ROTTERDAM", "country": "THE NETHERLANDS"},
        "wmis": ["S9X"], "signatories": [{"sub": "otto", "name": "OTTO KRAMER", "position": "DIRECTOR",
                                          "location": "ROTTERDAM"}]})
    coc = {k: v for k, v in type_level.items() if k not in IDENTITY and k != "AdvancedSafetySystemsTable"}
    stack.client("alice", ["approvals_manager"], [OWNER]).post("/v1/approvals", {
        "number": APPROVAL["number"], "issue_date": "2026-01-05", "approval_type": "EU", "provisional": False,
        "entity": OWNER, "category": "N2", "stage_of_completion": "V",
        "coc": dict(coc, ManufacturerTable=[BODYBUILDER]),
        "versions": [{"type": APPROVAL["type"], "variant": APPROVAL["variant"], "version": APPROVAL["version"],
                      "coc": {}, "ranges": {}}]})
    return {
        "vehicle_level": vehicle_level,
        "steward": stack.client("dana", ["data_steward", "viewer"], [OWNER]),
        "reviewer": stack.client("rita", ["reviewer"], [OWNER]),
        "signer": stack.client("stella", ["signer", "viewer"], [OWNER]),
        "mallory": stack.client("mallory", ["data_steward", "viewer"], [OTHER]),
        "auditor": stack.client("audrey", ["auditor"], ["*"]),
    }


def test_finding_01_planted_base_stage(world, stack, wait):
    """Another entity's steward imports a base stage for a VIN before its owner does: the stage is theirs
    (audited), never on the owner's record or certificate; the owner imports, sees and seals its own; a
    foreign VIN answers the other entity exactly like an unknown one."""
    vin, unknown = "YARTN2EVHDSEC0001", "YARTN2EVHDSEC0009"
    steward, mallory, auditor = world["steward"], world["mallory"], world["auditor"]

    planted = import_stage(mallory, OTHER, base_xml(vin, "PLANTED BY MALLORY BV"))
    assert planted.status_code == 201, planted.text

    # the owner's record of the VIN carries none of it
    assert steward.post("/v1/vehicles/import", {"vehicles": [vehicle_row(vin, world["vehicle_level"])]})[
        "accepted"] == 1
    assert steward.get(f"/v1/vehicles/{vin}")["stages"] == []
    assert steward.request("GET", f"/v1/vehicles/{vin}/stages", expect=None).status_code == 404

    own = import_stage(steward, OWNER, base_xml(vin))
    assert own.status_code == 201, own.text  # the owner is not locked out of its own VIN
    assert own.json() == planted.json()
    judged = wait(lambda: (lambda v: v if v["revision"] == 2 and v["status"] in JUDGED else None)(
        steward.get(f"/v1/vehicles/{vin}")), 60, interval=0.2, what=f"{vin} with its base stage to be judged")
    assert judged["status"] == "valid", judged["findings"]
    assert [(s["stage"], s["imported_by"]) for s in judged["stages"]] == [(1, "dana")]
    [stage] = steward.get(f"/v1/vehicles/{vin}/stages")["stages"]
    assert (stage["entity"], stage["coc"]["ManufacturerTable"][0]["ManufacturerName"]) == (OWNER, BASE_MAKER)

    # the other entity: the owner's VIN answers exactly like a VIN nobody holds
    def seen_by_mallory(target):
        changed = import_stage(mallory, OTHER, base_xml(target, "CHANGED BY MALLORY BV"))
        stages = mallory.request("GET", f"/v1/vehicles/{target}/stages", expect=None)
        record = mallory.request("GET", f"/v1/vehicles/{target}", expect=None)
        answers = [(r.status_code, r.text.replace(target, "<VIN>")) for r in (changed, stages, record)]
        return [(code, text.replace(stages.json()["stages"][0]["imported_at"], "<AT>")) for code, text in answers]

    import_stage(mallory, OTHER, base_xml(unknown, "PLANTED BY MALLORY BV"))
    foreign = seen_by_mallory(vin)
    assert foreign == seen_by_mallory(unknown)
    assert [code for code, _ in foreign] == [201, 200, 404], foreign
    [theirs] = mallory.get(f"/v1/vehicles/{vin}/stages")["stages"]
    assert (theirs["entity"], theirs["imported_by"]) == (OTHER, "mallory")
    untouched = steward.get(f"/v1/vehicles/{vin}")
    assert (untouched["revision"], untouched["status"], untouched["stages"]) == (
        judged["revision"], "valid", judged["stages"])

    release = steward.post("/v1/releases", {"vins": [vin]})
    world["reviewer"].post(f"/v1/releases/{release['id']}/approve")
    world["signer"].request("POST", f"/v1/releases/{release['id']}/sign")
    status_of(steward, vin, ("released",), wait)
    document = steward.request("GET", f"/v1/vehicles/{vin}/certificate").content
    assert manufacturers(document) == [("1", BASE_MAKER), ("2", OWNER_NAME)]
    assert b"MALLORY" not in document
    verdict = steward.request("POST", "/v1/certificates/verify", data=document, headers=XML).json()
    assert verdict["valid"] is True and verdict["signer"]["organisation"] == OWNER_NAME, verdict

    # every stage import is audited with who made it, for the entity it was made for; the other entity's stays
    # out of the trail and the evidence of the owner's record
    trail = audit_trail(auditor, f"{vin}@{OTHER}", "vehicle_stage_imported", wait, lambda found: len(found) == 2)
    assert {(e["actor"], e["entity"]) for e in trail} == {("mallory", OTHER)}
    trail = audit_trail(auditor, vin, "vehicle_stage_imported", wait, lambda found: len(found) >= 1)
    assert [(e["actor"], e["entity"], e["data"]["attached_to_revision"]) for e in trail] == [("dana", OWNER, 2)]
    pack = zipfile.ZipFile(io.BytesIO(stack.client("audrey", ["auditor"], [OWNER]).request(
        "GET", f"/v1/vehicles/{vin}/evidence").content))
    assert not [name for name in pack.namelist() if b"MALLORY" in pack.read(name).upper()]


def test_finding_02_four_eyes_bypass_through_a_stage(world, stack, wait):
    """A person holding data_steward and reviewer replaces the base stage of a valid vehicle: that is an edit
    (revision, last editor, history, vehicle_changed in the audit), so they may not approve its release; nor
    that of a vehicle whose base stage they imported before its record existed."""
    vin = "YARTN2EVHDSEC0002"
    steward, auditor = world["steward"], world["auditor"]
    dual = stack.client("duncan", ["data_steward", "reviewer", "viewer"], [OWNER])

    assert import_stage(steward, OWNER, base_xml(vin)).status_code == 201
    assert steward.post("/v1/vehicles/import", {"vehicles": [vehicle_row(vin, world["vehicle_level"])]})[
        "accepted"] == 1
    before = status_of(steward, vin, JUDGED, wait)
    assert (before["status"], before["last_editor"]) == ("valid", "dana"), before["findings"]

    swapped = import_stage(dual, OWNER, base_xml(vin, "SWAPPED BY DUNCAN BV"))
    assert swapped.status_code == 201, swapped.text
    after = steward.get(f"/v1/vehicles/{vin}")
    assert (after["revision"], after["last_editor"]) == (before["revision"] + 1, "duncan")
    change = steward.get(f"/v1/vehicles/{vin}/history")["revisions"][-1]
    assert (change["revision"], change["actor"]) == (after["revision"], "duncan")
    [what] = change["diff"]  # the stage's content, as it changed
    assert what["path"] == "stages.1.coc.ManufacturerTable"
    assert [[r["ManufacturerName"] for r in what[side]] for side in ("old", "new")] == [
        [BASE_MAKER], ["SWAPPED BY DUNCAN BV"]]
    trail = audit_trail(auditor, vin, "vehicle_changed", wait,
                        lambda found: any(e["actor"] == "duncan" for e in found))
    assert [e["entity"] for e in trail if e["actor"] == "duncan"] == [OWNER]

    assert status_of(steward, vin, JUDGED, wait)["status"] == "valid"
    release = steward.post("/v1/releases", {"vins": [vin]})
    refused = dual.request("POST", f"/v1/releases/{release['id']}/approve", expect=None)
    assert refused.status_code == 403, refused.text
    assert refused.json()["type"] == "urn:ecoc:problem:four-eyes" and vin in refused.json()["detail"]
    assert world["reviewer"].post(f"/v1/releases/{release['id']}/approve")["status"] == "approved"

    # a stage imported before the record exists shapes the sealed data as much: its importer does not review
    early = "YARTN2EVHDSEC0003"
    assert import_stage(dual, OWNER, base_xml(early, "SWAPPED BY DUNCAN BV")).status_code == 201
    assert steward.post("/v1/vehicles/import", {"vehicles": [vehicle_row(early, world["vehicle_level"])]})[
        "accepted"] == 1
    created = status_of(steward, early, JUDGED, wait)
    assert (created["status"], created["last_editor"], [s["imported_by"] for s in created["stages"]]) == (
        "valid", "dana", ["duncan"]), created["findings"]
    release = steward.post("/v1/releases", {"vins": [early]})
    refused = dual.request("POST", f"/v1/releases/{release['id']}/approve", expect=None)
    assert refused.status_code == 403, refused.text
    assert refused.json()["type"] == "urn:ecoc:problem:four-eyes" and early in refused.json()["detail"]
    assert world["reviewer"].post(f"/v1/releases/{release['id']}/approve")["status"] == "approved"
