"""All nine official IVI 2.0 samples through both IVI routes of the running stack: the type-level part
becomes an approval version (POST /v1/approvals/from-ivi), the vehicle-level part a vehicle record
(POST /v1/vehicles/from-ivi), and both read back unchanged; composed again they give the sample's data.

The samples are public reference data read from ../shared/ivi at test time, never copied into the repo.
The module runs on a stack of its own: an approval number is registered once, for one legal entity, and other
modules of the session register the same samples for legal entities of their own.
"""
from pathlib import Path

import pytest

from common.composition import compose_coc
from common.contracts.responses import ApprovalFromIvi, VehicleFromIvi
from common.ivi import load_schema, read_ivi, split_levels
from tests.support import own_stack, sample_entity_code

pytestmark = pytest.mark.e2e

IVI_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "ivi"
SAMPLES = sorted((IVI_DIR / "samples").glob("*.xml"))
XML = {"Content-Type": "application/xml"}

if len(SAMPLES) != 9:
    pytest.skip(f"the nine official IVI 2.0 samples are not in {IVI_DIR / 'samples'}", allow_module_level=True)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """This module's own stack (shadows the session's)."""
    with own_stack(tmp_path_factory.mktemp("samples-stack"), "samples", IVI_DIR / "IVI2.0.xsd") as handle:
        yield handle


def read(path):
    return read_ivi(path.read_bytes(), load_schema(IVI_DIR / "IVI2.0.xsd"))


def manufacturer(coc):
    return coc["ManufacturerTable"][0]


entity_code = sample_entity_code  # a legal name is one entity's, whichever module registers it first
SPARE_WMI = "ZFA"  # a legal name whose samples carry only WMIs of others gets this one (as in test_samples_sealed)


@pytest.fixture(scope="module")
def manufacturers(stack):
    """A legal entity per manufacturer of the samples (legal name = ManufacturerName, WMIs from the VINs)."""
    admin = stack.client("ada", ["admin"])
    wmis, rows = {}, {}
    for path in SAMPLES:
        coc = read(path)["coc"]
        name = manufacturer(coc)["ManufacturerName"]
        wmi = coc["VehicleIdentificationNumber"][:3]
        if all(wmi not in taken for owner, taken in wmis.items() if owner != name):
            wmis.setdefault(name, set()).add(wmi)
        rows[name] = manufacturer(coc)
    for name, row in rows.items():
        address = {"line1": row["ManufacturerAddressLine1"], "place": row["ManufacturerPlaceOfResidence"],
                   "country": row["ManufacturerCountryOfResidence"]}
        if row.get("ManufacturerAddressLine2"):
            address["line2"] = row["ManufacturerAddressLine2"]
        admin.put(f"/v1/entities/{entity_code(name)}", {
            "legal_name": name, "role": "manufacturer", "address": address,
            "wmis": sorted(wmis.get(name) or {SPARE_WMI})})
    return {name: entity_code(name) for name in rows}


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_a_sample_imports_through_both_ivi_routes_and_reads_back_unchanged(path, stack, manufacturers):
    message = read(path)
    header, coc = message["header"], message["coc"]
    type_level, vehicle_level = split_levels(coc)
    entity = manufacturers[manufacturer(coc)["ManufacturerName"]]
    manager = stack.client("alice", ["approvals_manager", "viewer"], [entity])
    steward = stack.client("dana", ["data_steward", "viewer"], [entity])

    # type level: an approval version that reads back as the sample's type-level part
    registered = manager.request("POST", "/v1/approvals/from-ivi", params={"entity": entity}, data=path.read_bytes(),
                                 headers=XML, expect=(200, 201)).json()
    assert ApprovalFromIvi().validate(registered) == {}  # the answer is what the contract says
    approval = manager.get(f"/v1/approvals/{registered['id']}")
    [version] = [v for v in approval["versions"]
                 if (v["type"], v["variant"], v["version"]) == (coc["Type"], coc["Variant"], coc["Version"])]
    assert version["type_level_coc"] == type_level

    # vehicle level: the vehicle record, from the message as it is (the L-category samples have no
    # DateManufactureVehicle nor IntendedCountryRegistration, which IVI 2.0 allows: the record has none either)
    created = steward.request("POST", "/v1/vehicles/from-ivi", params={"entity": entity}, data=path.read_bytes(),
                              headers=XML, expect=(200, 201))
    assert created.json()["outcome"] in ("accepted", "unchanged")
    assert VehicleFromIvi().validate(created.json()) == {}
    vehicle = steward.get(f"/v1/vehicles/{coc['VehicleIdentificationNumber']}")
    assert (vehicle["vin"], vehicle["entity"], vehicle["approval_number"], vehicle["type"], vehicle["variant"],
            vehicle["version"]) == (coc["VehicleIdentificationNumber"], entity, coc["TypeApprovalNumber"],
                                    coc["Type"], coc["Variant"], coc["Version"])
    assert vehicle["production_date"] == coc.get("DateManufactureVehicle")
    assert vehicle["intended_country"] == header.get("IntendedCountryRegistration")
    assert vehicle["coc"] == {k: v for k, v in vehicle_level.items()
                              if k not in ("VehicleIdentificationNumber", "DateManufactureVehicle")}

    # both parts composed again are the sample's CoC data
    assert compose_coc(version["type_level_coc"], vehicle) == coc
