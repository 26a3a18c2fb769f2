"""Import safety over HTTP (issue 16 item 7): a re-import does not silently undo a PATCH (a conflict for that
row unless the import asks to replace), registering an approval says which mandatory IVI fields its vehicles
would lack, and an IVI message lacking values a vehicle record needs is told all of them at once."""
from pathlib import Path

import pytest

from cli import demo_data

pytestmark = pytest.mark.e2e

SEED = 7520
EMPTY_APPROVAL = "e6*2018/858*07304*00"


def test_a_reimport_does_not_undo_an_edit_unless_asked_to_replace(stack, nordwind, wait):
    steward = stack.client("ivo", ["data_steward"], [demo_data.ENTITY])
    original = demo_data.vehicles(1, seed=SEED)[0]
    vin = original["vin"]
    assert steward.post("/v1/vehicles/import", {"vehicles": [original]})["accepted"] == 1
    vehicle = steward.get(f"/v1/vehicles/{vin}")
    assert vehicle["edited"] is False
    patched = steward.request("PATCH", f"/v1/vehicles/{vin}", headers={"If-Match": f'"{vehicle["revision"]}"'},
                              json={"coc": {"MassGroup": {"ActualMass": 1999}}, "reason": "weighed again"})
    assert patched.json()["edited"] is True

    again = steward.post("/v1/vehicles/import", {"vehicles": [original]})
    assert again["accepted"] == 0 and len(again["rejected"]) == 1, again
    [conflict] = again["rejected"]
    assert conflict["conflict"] is True and conflict["vin"] == vin and conflict["errors"][0]["field"] == "vin"
    assert "replace" in conflict["errors"][0]["message"]
    assert steward.get(f"/v1/vehicles/{vin}")["coc"]["MassGroup"]["ActualMass"] == 1999  # the edit stands

    # the same in CSV: the row is named as a conflict too
    header = "vin,approval_number,type,variant,version,production_date,intended_country,entity"
    row = ",".join(str(original[c]) for c in header.split(","))
    csv = steward.request("POST", "/v1/vehicles/import", data=f"{header}\n{row}\n".encode(),
                          headers={"Content-Type": "text/csv"}).json()
    assert csv["accepted"] == 0 and csv["rejected"][0]["conflict"] is True

    replaced = steward.post("/v1/vehicles/import", {"vehicles": [original], "replace": True})
    assert replaced["accepted"] == 1 and not replaced["rejected"]
    vehicle = steward.get(f"/v1/vehicles/{vin}")
    assert vehicle["edited"] is False and vehicle["coc"] == original["coc"]
    # unchanged data stays unchanged, edited or not: nothing to overwrite
    assert steward.post("/v1/vehicles/import", {"vehicles": [original]})["unchanged"] == 1


def test_registering_an_approval_says_what_its_vehicles_would_lack(stack, nordwind):
    assert nordwind.approval_post.json()["warnings"] == []  # the demo approval provides everything
    manager = stack.client("alice", ["approvals_manager"], [demo_data.ENTITY])
    empty = dict(demo_data.approval(), number=EMPTY_APPROVAL, coc={})
    empty["versions"] = [dict(v, coc={}) for v in empty["versions"]]
    answer = manager.post("/v1/approvals", empty)
    fields = {w["field"] for w in answer["warnings"]}
    assert {"coc.GeneralConstructionGroup", "coc.DimensionGroup", "coc.MakeTable.MakeGroup.Make"} <= fields
    assert not [f for f in fields if f.startswith("coc.MassGroup")]  # a vehicle's actual mass fills it
    assert all("M1" in w["message"] for w in answer["warnings"])


SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "ivi" / "samples"
L_SAMPLE, M_SAMPLE = SAMPLES / "L1e.xml", SAMPLES / "M1-02-CHR.xml"


def _from_ivi(steward, xml, **params):
    return steward.request("POST", "/v1/vehicles/from-ivi", params={"entity": demo_data.ENTITY, **params},
                           data=xml, headers={"Content-Type": "application/xml"}, expect=None)


@pytest.mark.skipif(not (L_SAMPLE.is_file() and M_SAMPLE.is_file()), reason=f"the official samples are not in {SAMPLES}")
def test_a_message_is_taken_as_it_is_and_every_value_it_contradicts_is_named_at_once(stack, nordwind):
    """The L-category samples leave out DateManufactureVehicle and IntendedCountryRegistration (the schema
    allows it): such a message becomes a record without them. Query values only fill in what a message leaves out;
    where they contradict it, every such field is named in one answer."""
    steward = stack.client("ivo", ["data_steward"], [demo_data.ENTITY])
    own_vin = "RLCSY141000007731"  # the sample's content under a VIN of this test (test_samples_* take the sample's)
    taken = _from_ivi(steward, L_SAMPLE.read_bytes().replace(b"RLCSY141000001946", own_vin.encode()))
    assert taken.status_code == 201, taken.text
    assert taken.json()["vin"] == own_vin
    assert taken.json()["production_date"] is None and taken.json()["intended_country"] is None

    refused = _from_ivi(steward, M_SAMPLE.read_bytes(), production_date="2019-05-01", intended_country="B")
    assert refused.status_code == 422, refused.text
    errors = refused.json()["errors"]
    assert [e["field"] for e in errors] == ["production_date", "intended_country"], errors
    assert "2024-02-01" in errors[0]["message"] and "NL" in errors[1]["message"]
    assert steward.request("GET", "/v1/vehicles/JTAM1C0MPTEST0010", expect=None).status_code == 404  # not stored
