"""Warnings on registering an approval: the mandatory IVI fields neither its data nor a vehicle's provides."""
from cli import demo_data
from services.approvals.domain.completeness import missing_vehicle_data

IDENTITY = {"TypeApprovalNumber": demo_data.APPROVAL_NUMBER, "TypeApprovalIssueDate": "2026-03-02",
            "TypeApprovalType": "EU", "ProvisionalTypeApprovalIndicator": "N", "StageOfCompletion": "C",
            "Type": "NWA1", "Variant": "RWD", "Version": "LR", "VehicleCategory": "M1"}


def view(*type_levels):
    return {"category": "M1", "versions": [{"type_level_coc": dict(IDENTITY, **coc)} for coc in type_levels]}


def test_the_demo_approval_leaves_nothing_out():
    assert missing_vehicle_data(view(demo_data.TYPE_LEVEL)) == []


def test_an_empty_approval_is_told_what_its_vehicles_will_lack():
    fields = [w["field"] for w in missing_vehicle_data(view({}))]
    assert "coc.MakeTable.MakeGroup.Make" in fields and "coc.GeneralConstructionGroup" in fields
    assert "coc.DimensionGroup" in fields and "coc.MethodAttachmentStatutoryPlate" in fields
    # what a vehicle or sealing provides is not asked of the approval
    assert not [f for f in fields if f.startswith(("coc.MassGroup", "coc.SigningAuthorityTable",
                                                   "coc.VehicleIdentificationNumber"))]
    assert all("M1" in w["message"] for w in missing_vehicle_data(view({})))


def test_a_field_one_version_lacks_is_named_on_that_version():
    complete = demo_data.TYPE_LEVEL
    lacking = {k: v for k, v in complete.items() if k != "DimensionGroup"}
    assert missing_vehicle_data(view(complete, lacking)) == [{
        "field": "versions[1].coc.DimensionGroup",
        "message": "mandatory for a M1 CoC, and neither this version's data, the approval's nor a vehicle's "
                   "provides it"}]
