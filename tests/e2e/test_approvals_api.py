"""Type approvals over HTTP against the whole running stack: registration from the nine official IVI
samples (read back exactly), extensions, withdrawal, impact, entity scoping and named rejections.

The stack is shared with the other e2e modules, which register the samples' approvals (and the NORDWIND
one) for entities of their own. So this module works on its own state: its entities are the samples'
manufacturers (a legal name is one entity's: `sample_entity_code`, shared with test_samples_sealed, which adds
their WMIs and signatories), the samples' approval numbers get a sequence
of their own (`e6*2018/858*00264*01` → `e6*2018/858*90264*01`), and extension, withdrawal and impact use
an approval of their own.
"""
import copy
import re

import pytest
import requests

from cli import demo_data
from common.approval_number import parse_approval_number
from common.config import REPO_ROOT
from common.ivi import load_schema, read_ivi, split_levels
from tests.support import sample_entity_code
from tests.unit.test_approvals_registration import certificate

pytestmark = pytest.mark.e2e

IVI_DIR = REPO_ROOT.parent / "shared" / "ivi"
SAMPLES = sorted((IVI_DIR / "samples").glob("*.xml"))
XML = {"Content-Type": "application/xml"}
NORDWIND = demo_data.ENTITY
_NUMBER = re.compile(rb"<TypeApprovalNumber>([^<]+)</TypeApprovalNumber>")


def problem(response, status):
    """The problem+json body of an error response, checked for its status."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return response.json()


def fields_of(response, status=422):
    return {e["field"] for e in problem(response, status)["errors"]}


def manufacturer(coc):
    return coc["ManufacturerTable"][0]["ManufacturerName"]


entity_code = sample_entity_code  # a legal name is one entity's, whichever module registers it first


def own_numbered(document):
    """The sample with an approval number of this module's own: the sequence starts with 9."""
    def renumber(match):
        number = parse_approval_number(match[1].decode())
        own = f"{number.member_state}*{number.act}*9{number.sequence[1:]}*{number.extension:02d}"
        return b"<TypeApprovalNumber>" + own.encode() + b"</TypeApprovalNumber>"

    return _NUMBER.sub(renumber, document)


@pytest.fixture(scope="module")
def schema():
    return load_schema(IVI_DIR / "IVI2.0.xsd")


@pytest.fixture(scope="module")
def sample_entities(stack, schema):
    """A legal entity per manufacturer of the samples (created by an admin; local mode seals it)."""
    admin = stack.client("ada", ["admin"])
    names = sorted({manufacturer(read_ivi(path.read_bytes(), schema)["coc"]) for path in SAMPLES})
    for name in names:
        admin.put(f"/v1/entities/{entity_code(name)}", {
            "legal_name": name, "role": "manufacturer",
            "address": {"line1": "LINE 1", "place": "PLACE", "country": "COUNTRY"}})
    return {name: entity_code(name) for name in names}


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_an_official_sample_registers_and_reads_back_its_type_level_part(stack, schema, sample_entities, path):
    document = own_numbered(path.read_bytes())
    coc = read_ivi(document, schema)["coc"]
    entity = sample_entities[manufacturer(coc)]
    manager = stack.client("tom", ["approvals_manager"], [entity])
    url = f"/v1/approvals/from-ivi?entity={entity}"
    response = manager.request("POST", url, data=document, headers=XML, expect=None)
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["outcome"], created["number"]) == ("registered", coc["TypeApprovalNumber"])

    approval = manager.get(f"/v1/approvals/{created['id']}")
    [version] = approval["versions"]
    assert (version["type"], version["variant"], version["version"]) == (coc["Type"], coc["Variant"], coc["Version"])
    assert version["type_level_coc"] == split_levels(coc)[0]
    assert approval["entity"] == entity and approval["category"] == coc["VehicleCategory"]

    again = manager.request("POST", url, data=document, headers=XML, expect=None)
    assert again.status_code == 200 and again.json()["outcome"] == "unchanged"


def test_from_ivi_refusals(stack, sample_entities):
    document = own_numbered((IVI_DIR / "samples" / "L5e.xml").read_bytes())
    entity = sample_entities["Thai Yamaha Motor Company Limited"]
    manager = stack.client("tom", ["approvals_manager"], [entity])
    url = f"/v1/approvals/from-ivi?entity={entity}"
    assert problem(manager.request("POST", url, json={"xml": "no"}, expect=None), 400)["errors"][0]["field"] == \
        "Content-Type"
    assert fields_of(manager.request("POST", "/v1/approvals/from-ivi", data=document, headers=XML, expect=None)) == {
        "entity"}
    assert fields_of(manager.request("POST", f"/v1/approvals/from-ivi?entity={NORDWIND}", data=document,
                                     headers=XML, expect=None)) == {"entity"}  # not one of the caller's entities
    broken = document.replace(b"<MaximumSpeed>", b"<MaximumSped>").replace(b"</MaximumSpeed>", b"</MaximumSped>")
    assert fields_of(manager.request("POST", url, data=broken, headers=XML, expect=None)) == {"MaximumSped"}
    viewer = stack.client("vic", ["viewer"], [entity])
    problem(viewer.request("POST", url, data=document, headers=XML, expect=None), 403)


def test_an_entity_whose_seal_is_another_organisations_is_refused(stack):
    admin = stack.client("ada", ["admin"])
    pem, _ = certificate("SOMEONE ELSE NV")
    body = dict(demo_data.entity(), legal_name="MISMATCH MOTORS NV", seal_certificate=pem)
    errors = problem(admin.request("PUT", "/v1/entities/MISMATCH", json=body, expect=None), 422)["errors"]
    assert [e["field"] for e in errors] == ["seal_certificate"]
    assert "'SOMEONE ELSE NV'" in errors[0]["message"] and "'MISMATCH MOTORS NV'" in errors[0]["message"]


def test_registration_names_every_bad_ivi_path(stack, nordwind):
    manager = stack.client("alice", ["approvals_manager"], [NORDWIND])
    body = dict(demo_data.approval(), number="e6*2018/858*07770*00")
    body["coc"] = dict(body["coc"], MassGroup={"ActualMass": 1907})
    body["versions"] = [dict(demo_data.VERSIONS[0], coc={"DimensionGroup": {"Height": "tall"}},
                             ranges={"MassGroup.Mass": {"min": 1, "max": 2}})]
    response = manager.request("POST", "/v1/approvals", json=body, expect=None)
    assert fields_of(response) == {"coc.MassGroup.ActualMass", "versions[0].coc.DimensionGroup.Height",
                                   "versions[0].ranges.MassGroup.Mass"}


# -- extensions, withdrawal, impact on an approval of its own ------------------------------------------------

OWN_NUMBER = "e6*2018/858*07771*00"


@pytest.fixture(scope="module")
def own_approval(stack, nordwind):
    manager = stack.client("alice", ["approvals_manager"], [NORDWIND])
    return manager.post("/v1/approvals", dict(copy.deepcopy(demo_data.approval()), number=OWN_NUMBER))["id"]


def test_extension_withdrawal_and_impact(stack, own_approval, wait):
    manager = stack.client("alice", ["approvals_manager"], [NORDWIND])
    steward = stack.client("dana", ["data_steward"], [NORDWIND])
    viewer = stack.client("vic", ["viewer"], [NORDWIND])
    base = f"/v1/approvals/{own_approval}"

    vehicles = demo_data.vehicles(3, seed=7101)
    for vehicle in vehicles:
        vehicle["approval_number"] = OWN_NUMBER
    assert steward.post("/v1/vehicles/import", {"vehicles": vehicles})["accepted"] == 3
    vins = sorted(v["vin"] for v in vehicles)

    def valid():
        return all(steward.get(f"/v1/vehicles/{vin}")["status"] == "valid" for vin in vins)

    wait(valid, 30, what="the vehicles of the approval to become valid")
    impact = viewer.get(f"{base}/impact")
    assert impact["approval"]["number"] == OWN_NUMBER
    assert sorted(impact["unreleased"].get("valid", [])) == vins and impact["released"] == []

    extension = {"extension": 1, "issue_date": "2026-06-01", "reason": "long range", "coc": {"MaximumSpeed": 185},
                 "versions": [dict(demo_data.VERSIONS[0], version="NWA1-RWD-XR")]}
    assert fields_of(manager.request("POST", f"{base}/extensions", json=dict(extension, extension=0),
                                     expect=None)) == {"extension"}
    created = manager.request("POST", f"{base}/extensions", json=extension, expect=None)
    assert created.status_code == 201, created.text
    assert created.json()["number"] == "e6*2018/858*07771*01"
    problem(viewer.request("POST", f"{base}/extensions", json=extension, expect=None), 403)

    withdrawn = manager.post(f"{base}/withdrawal", {"effective_date": "2026-12-01", "reason": "end of series"})
    assert withdrawn["status"] == "withdrawn" and withdrawn["withdrawal"]["reason"] == "end of series"
    problem(manager.request("POST", f"{base}/withdrawal", json={"effective_date": "2026-12-02", "reason": "x"},
                            expect=None), 409)

    approval = viewer.get(base)
    assert [(h["number"], h["reason"]) for h in approval["history"]] == [
        (OWN_NUMBER, "registration"), ("e6*2018/858*07771*01", "long range")]
    assert approval["withdrawal"]["effective_date"] == "2026-12-01"
    impact = viewer.get(f"{base}/impact")
    assert impact["approval"]["status"] == "withdrawn"
    assert sorted(vin for state in impact["unreleased"].values() for vin in state) == vins


def test_approvals_of_other_entities_do_not_exist_for_the_caller(stack, own_approval):
    stranger = stack.client("sid", ["approvals_manager", "viewer"], ["SOMEONE"])
    base = f"/v1/approvals/{own_approval}"
    for method, path, body in [("GET", base, None), ("GET", f"{base}/impact", None),
                               ("POST", f"{base}/extensions", {"extension": 5}),
                               ("POST", f"{base}/withdrawal", {"effective_date": "2026-12-01", "reason": "x"})]:
        problem(stranger.request(method, path, json=body, expect=None), 404)


def test_the_contract_lists_the_approval_routes(stack):
    paths = requests.get(stack.url("/openapi.json"), timeout=10).json()["paths"]
    assert {"/v1/approvals/from-ivi", "/v1/approvals/{id}/extensions", "/v1/approvals/{id}/withdrawal",
            "/v1/approvals/{id}/impact"} <= set(paths)
