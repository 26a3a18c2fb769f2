"""Multi-stage vehicles: a base vehicle's eCoC kept as an earlier stage, and the completed vehicle's composed
certificate data (eCoC IVI setup manual v1.5, "Multistage vehicles"), checked against the official schema."""
import copy
from pathlib import Path

import pytest

from common.composition import compose_coc
from common.ivi import SchemaValidator, build_message, load_schema, read_ivi, split_levels
from services.vehicles.domain.stages import base_stage, differs_from, event_subject, handed_on, stage_change

IVI_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "ivi"
BASE_SAMPLE = IVI_DIR / "samples" / "N2-01-ProaceMaxEV.xml"
BODYBUILDER = {"ManufacturerStageNumber": 2, "ManufacturerName": "CAMPERBOUW BV",
               "ManufacturerAddressLine1": "INDUSTRIEWEG 4", "ManufacturerPlaceOfResidence": "TILBURG",
               "ManufacturerCountryOfResidence": "THE NETHERLANDS"}


@pytest.fixture(scope="module")
def ivi():
    if not BASE_SAMPLE.is_file():
        pytest.skip(f"the official IVI 2.0 samples are not in {IVI_DIR}")
    return load_schema(IVI_DIR / "IVI2.0.xsd")


@pytest.fixture(scope="module")
def base(ivi):
    """The N2 sample as an incomplete base vehicle (stage 1)."""
    coc = read_ivi(BASE_SAMPLE.read_bytes(), ivi)["coc"]
    coc["StageOfCompletion"] = "I"
    return coc


def completed_type_level(base_coc):
    """The completed vehicle's approval: another number and type, its own manufacturer, fewer tables."""
    type_level = copy.deepcopy(split_levels(base_coc)[0])
    type_level.update(TypeApprovalNumber="e4*2018/858*01111*00", Type="BKLK001", Variant="BVG00PL",
                      Version="VBHLL009", StageOfCompletion="V", ManufacturerTable=[dict(BODYBUILDER)])
    for table in ("AdvancedSafetySystemsTable", "RemarkTable"):  # not restated: repeated from the base
        del type_level[table]
    type_level["AxleTable"][0]["TechnicallyPermissibleMassAxle"] = 2050  # restated: the completed stage's
    return type_level


def test_a_base_vehicles_ecoc_becomes_stage_one(base):
    stage, errors = base_stage(base)
    assert errors == []
    assert {k: stage[k] for k in ("vin", "stage", "approval_number", "type", "variant", "version",
                                  "stage_of_completion")} == {
        "vin": "YARTN2EVHDTEST123", "stage": 1, "approval_number": "e3*2018/858*00107*01", "type": "T",
        "variant": "EDEFC", "version": "2X003B(1B)", "stage_of_completion": "I"}
    assert stage["coc"] is base


def test_a_completed_vehicle_or_one_without_stage_data_is_no_base(base):
    completed = dict(base, StageOfCompletion="V", ManufacturerTable=[{"ManufacturerName": "X"}])
    del completed["Variant"]
    stage, errors = base_stage(completed)
    assert stage is None
    assert {e["field"] for e in errors} == {"StageOfCompletion", "ManufacturerTable", "Variant"}


def test_each_stage_differs_in_approval_number_variant_or_version(base):
    stage, _ = base_stage(base)
    check = differs_from({stage["vin"]: [stage]})
    same = {"vin": stage["vin"], "approval_number": stage["approval_number"], "variant": stage["variant"],
            "version": stage["version"]}
    [error] = check(same)
    assert error["field"] == "approval_number" and "stage 1" in error["message"]
    assert check(dict(same, version="2X003B(2C)")) == []
    assert check(dict(same, vin="YARTN2EVHDTEST999")) == []


def test_attaching_a_stage_is_a_change_named_by_its_number(base):
    stage, _ = base_stage(base)
    [added] = stage_change(None, stage)
    assert (added["path"], added["old"], added["new"]["approval_number"], added["new"]["coc"]) == (
        "stages.1", None, "e3*2018/858*00107*01", base)
    swapped = dict(stage, coc=dict(base, StageOfCompletion="C"), stage_of_completion="C")
    assert stage_change(stage, swapped) == [
        {"path": "stages.1.coc.StageOfCompletion", "old": "I", "new": "C"},
        {"path": "stages.1.stage_of_completion", "old": "I", "new": "C"}]


def test_a_stage_off_the_entitys_record_stays_out_of_the_vins_trail():
    assert event_subject("YARTN2EVHDTEST123", "ACME", attached=True) == "YARTN2EVHDTEST123"
    assert event_subject("YARTN2EVHDTEST123", "ACME", attached=False) == "YARTN2EVHDTEST123@ACME"


def test_the_completed_stage_lists_every_manufacturer_and_names_the_previous_stage(ivi, base):
    stage, _ = base_stage(base)
    vehicle = {"vin": stage["vin"], "production_date": "2026-10-01", "coc": {"MassGroup": {"ActualMass": 3310}},
               "previous_stages": handed_on([stage])}
    coc = compose_coc(completed_type_level(base), vehicle)

    assert coc["ManufacturerTable"] == [base["ManufacturerTable"][0], dict(
        BODYBUILDER, PreviousStageTypeApprovalNumber="e3*2018/858*00107*01", PreviousStageType="T",
        PreviousStageVariant="EDEFC", PreviousStageVersion="2X003B(1B)")]
    assert coc["VehicleIdentificationNumber"] == "YARTN2EVHDTEST123"  # the same VIN through every stage
    assert (coc["TypeApprovalNumber"], coc["StageOfCompletion"]) == ("e4*2018/858*01111*00", "V")
    # tables: the base's where the completed stage states none, the completed stage's own otherwise
    assert coc["AdvancedSafetySystemsTable"] == base["AdvancedSafetySystemsTable"]
    assert coc["RemarkTable"] == base["RemarkTable"]
    assert coc["AxleTable"][0]["TechnicallyPermissibleMassAxle"] == 2050
    assert coc["MassGroup"]["ActualMass"] == 3310

    header = {"IviReferenceId": "6a2957d3-4a32-41a6-a2d0-50681e0bf5e1", "IviVersionNumberXsd": "2.0",
              "IviVersionNumber": 1, "IviVersionDateTime": "2026-10-02T10:00:00.000+02:00",
              "DesignatedTypeApprovalCountry": "e4"}
    coc["SigningAuthorityTable"] = [{"SignerName": "J. JANSEN", "SignerPosition": "DIRECTOR",
                                     "SignatureLocation": "TILBURG", "SignatureDate": "2026-10-02"}]  # as signing adds
    assert SchemaValidator(IVI_DIR / "IVI2.0.xsd").validate_draft(build_message(ivi, header, coc)) == []


def test_an_approval_numbering_its_manufacturer_first_gets_the_stage_after_the_base(base):
    stage, _ = base_stage(base)
    type_level = dict(completed_type_level(base), ManufacturerTable=[dict(BODYBUILDER, ManufacturerStageNumber=1)])
    coc = compose_coc(type_level, {"vin": stage["vin"], "coc": {}, "previous_stages": handed_on([stage])})
    assert [(r["ManufacturerStageNumber"], r["ManufacturerName"]) for r in coc["ManufacturerTable"]] == [
        (1, base["ManufacturerTable"][0]["ManufacturerName"]), (2, "CAMPERBOUW BV")]


def test_a_vehicle_without_earlier_stages_composes_as_before(base):
    type_level, vehicle_level = split_levels(base)
    vehicle = {"vin": base["VehicleIdentificationNumber"], "production_date": base["DateManufactureVehicle"],
               "coc": {k: v for k, v in vehicle_level.items()
                       if k not in ("VehicleIdentificationNumber", "DateManufactureVehicle")}}
    assert compose_coc(type_level, vehicle) == base


def test_whoever_imported_a_vehicles_earlier_stage_does_not_review_it():
    from services.vehicles.domain.releases import FourEyesViolation, check_reviewer, editors_of

    vehicles = {"V1": {"last_editor": "dana"}, "V2": {"last_editor": "dana"}}
    editors = editors_of(vehicles, {"V2": [{"stage": 1, "imported_by": "duncan"}]})
    assert editors == {"V1": {"dana"}, "V2": {"dana", "duncan"}}
    with pytest.raises(FourEyesViolation, match=r"earlier stage they imported \(V2\)"):
        check_reviewer("duncan", {"requested_by": "dana"}, editors)
    check_reviewer("rita", {"requested_by": "dana"}, editors)
