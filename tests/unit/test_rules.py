"""The core rule pack: one passing and one failing vector per rule, plus the engine itself.

The type-level data is the official Lexus RZ450e sample (read through the IVI reader and split
into type and vehicle level), so the rules are judged on a realistic certificate.
"""
import copy
from pathlib import Path

import pytest

from services.validation.domain.batch import ResolutionPlan, judge
from services.validation.domain.context import VehicleContext
from services.validation.domain.engine import Rule, RulePack, run_rules
from services.validation.domain.findings import ERROR, WARNING, Problem
from services.validation.domain.pack import CORE, catalogue

IVI_DIR = Path(__file__).resolve().parents[3] / "shared" / "ivi"
XSD = IVI_DIR / "IVI2.0.xsd"
SAMPLE = IVI_DIR / "samples" / "M1-01-LexusRZ450e.xml"

pytestmark = pytest.mark.skipif(
    not (XSD.is_file() and SAMPLE.is_file()),
    reason=f"the official IVI 2.0 schema and samples are not at {IVI_DIR}",
)

NUMBER = "e6*2018/858*00264*01"


@pytest.fixture(scope="module")
def checker():
    from services.validation.domain.draft import DraftChecker

    return DraftChecker.from_path(XSD)


@pytest.fixture(scope="module")
def levels(checker):
    from common.ivi.catalogue import split_levels
    from common.ivi.reader import read_ivi

    document = read_ivi(SAMPLE.read_bytes(), checker.schema)
    type_level, vehicle_level = split_levels(document["coc"])
    for key in ("VehicleIdentificationNumber", "DateManufactureVehicle", "SigningAuthorityTable"):
        vehicle_level.pop(key, None)  # the record's own fields, and what signing adds
    return type_level, vehicle_level


@pytest.fixture
def vehicle(levels):
    type_level, vehicle_level = levels
    return {
        "vin": "JTJM1C0MPTEST0001", "revision": 3, "entity": "TME", "approval_number": NUMBER,
        "type": type_level["Type"], "variant": type_level["Variant"], "version": type_level["Version"],
        "production_date": "2024-04-08", "intended_country": "NL", "coc": copy.deepcopy(vehicle_level),
    }


@pytest.fixture
def resolution(levels):
    return {
        "ok": True, "coc": copy.deepcopy(levels[0]), "number": NUMBER, "revision": 2, "extension": 1,
        "issue_date": "2023-11-24", "entity": "TME", "category": "M1", "ranges": {},
    }


def findings(vehicle, resolution, checker):
    return run_rules(VehicleContext(vehicle, resolution, checker), [CORE])


def summary(found):
    return [(f.rule, f.path, f.severity) for f in found]


# -- the valid certificate ------------------------------------------------------------------------------

def test_the_official_sample_passes_every_rule(vehicle, resolution, checker):
    report = judge(vehicle, resolution, checker)
    assert report["findings"] == []
    assert report["status"] == "valid"
    assert report["rule_pack"] == {"core": "2026.11.1"}
    assert report["approval_revision"] == 2


# -- VIN-001 / VIN-002 ----------------------------------------------------------------------------------

def test_vin_001_rejects_a_short_vin(vehicle, resolution, checker):
    vehicle["vin"] = "JTJM1C0MPTEST001"
    found = findings(vehicle, resolution, checker)
    vin = [f for f in found if f.rule.startswith("VIN")]
    assert summary(vin) == [("VIN-001", "VehicleIdentificationNumber", ERROR)]
    assert "16 characters" in vin[0].message
    assert vin[0].found == "JTJM1C0MPTEST001"


def test_vin_001_rejects_lower_case(vehicle, resolution, checker):
    vehicle["vin"] = "jtjm1c0mptest0001"
    assert [f.rule for f in findings(vehicle, resolution, checker) if f.rule.startswith("VIN")] == ["VIN-001"]


def test_vin_002_rejects_the_letter_o(vehicle, resolution, checker):
    vehicle["vin"] = "JTJM1COMPTEST0001"  # letter O at position 7
    found = findings(vehicle, resolution, checker)
    assert summary(found) == [("VIN-002", "VehicleIdentificationNumber", ERROR)]
    assert "O" in found[0].message and "position 7" in found[0].message
    assert found[0].expected == "no I, O or Q"


def test_vin_rules_pass_a_proper_vin(vehicle, resolution, checker):
    vehicle["vin"] = "WVWZZZ1KZ8W123456"
    assert findings(vehicle, resolution, checker) == []


# -- APR-001 --------------------------------------------------------------------------------------------

def test_apr_001_rejects_a_three_digit_sequence(vehicle, resolution, checker):
    vehicle["approval_number"] = "e6*2018/858*264*01"
    found = findings(vehicle, resolution, checker)
    assert summary(found) == [("APR-001", "TypeApprovalNumber", ERROR)]  # nothing after it is judged
    assert found[0].found == "e6*2018/858*264*01"
    assert "e6*2018/858*00264*01" in found[0].expected


def test_apr_001_rejects_a_member_state_outside_ivi(vehicle, resolution, checker):
    vehicle["approval_number"] = "e11*2018/858*00264*01"
    found = findings(vehicle, resolution, checker)
    assert summary(found) == [("APR-001", "TypeApprovalNumber", ERROR)]
    assert "e11" in found[0].message


def test_apr_001_accepts_legacy_numbers(vehicle, resolution, checker):
    vehicle["approval_number"] = "e4*KS07/46*1234*00"
    assert [f for f in findings(vehicle, resolution, checker) if f.rule == "APR-001"] == []


# -- APR-002 --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reason, message, path, says", [
    ("approval_withdrawn", "the approval was withdrawn on 2024-01-31", "TypeApprovalNumber", "withdrawn"),
    ("approval_unknown", "no type approval with this number", "TypeApprovalNumber", "not registered"),
    ("approval_not_yet_valid", "production date 2024-04-08 is before the approval was issued (2025-01-01)",
     "TypeApprovalNumber", "No revision"),
    ("version_unknown", "type A / variant B / version C is not part of approval e6*2018/858*00264*01",
     "Version", "does not cover"),
])
def test_apr_002_names_the_precise_reason(vehicle, checker, reason, message, path, says):
    found = findings(vehicle, {"ok": False, "reason": reason, "message": message}, checker)
    # nothing to compose: no IVI or schema findings follow
    assert summary(found) == [("APR-002", path, ERROR)]
    assert found[0].found == f"{reason}: {message}"
    assert says in found[0].message


def test_apr_002_explains_a_withdrawn_approval(vehicle, checker):
    found = findings(vehicle, {"ok": False, "reason": "approval_withdrawn",
                               "message": "the approval was withdrawn on 2024-01-31"}, checker)
    assert "withdrawn" in found[0].message and NUMBER in found[0].message


def test_apr_002_reports_an_incomplete_reference_without_asking_approvals(vehicle, checker):
    vehicle["production_date"] = "08.04.2024"
    plan = ResolutionPlan([vehicle])
    assert plan.items == []
    [resolution] = plan.per_vehicle([])
    found = findings(vehicle, resolution, checker)
    assert summary(found) == [("APR-002", "TypeApprovalNumber", ERROR)]
    assert "08.04.2024" in found[0].message and found[0].found.startswith("reference_incomplete")


def test_apr_002_passes_a_resolved_approval(vehicle, resolution, checker):
    assert [f for f in findings(vehicle, resolution, checker) if f.rule == "APR-002"] == []


# -- IVI-001 --------------------------------------------------------------------------------------------

def test_ivi_001_names_the_missing_make(vehicle, resolution, checker):
    del resolution["coc"]["MakeTable"]
    found = findings(vehicle, resolution, checker)
    # one finding only: the schema check does not repeat what IVI-001 says
    assert summary(found) == [("IVI-001", "MakeTable.MakeGroup.Make", ERROR)]
    assert "MakeTable.MakeGroup.Make" in found[0].message
    assert found[0].found == "missing"


def test_ivi_001_one_finding_per_missing_path(vehicle, resolution, checker):
    del resolution["coc"]["ManufacturerTable"][0]["ManufacturerName"]
    del resolution["coc"]["DimensionGroup"]
    paths = [f.path for f in findings(vehicle, resolution, checker) if f.rule == "IVI-001"]
    assert paths == ["ManufacturerTable.ManufacturerGroup.ManufacturerName", "DimensionGroup"]


def test_ivi_001_does_not_ask_for_the_signing_authority(vehicle, resolution, checker):
    assert "SigningAuthorityTable" not in resolution["coc"] and "SigningAuthorityTable" not in vehicle["coc"]
    assert [f for f in findings(vehicle, resolution, checker) if f.rule == "IVI-001"] == []


# -- XSD-000 / XSD-001 ----------------------------------------------------------------------------------

def test_xsd_001_names_an_over_long_type(vehicle, resolution, checker):
    resolution["coc"]["Type"] = "EBM1(M)-TOO-LONG-"
    found = findings(vehicle, resolution, checker)
    assert summary(found) == [("XSD-001", "Type", ERROR)]
    assert "maximum length" in found[0].message
    assert "maxLength" in found[0].found  # the raw schema message


def test_xsd_001_names_a_value_nested_in_a_table(vehicle, resolution, checker):
    vehicle["coc"]["AxleTable"][1]["AxleNumber"] = 123  # Integer2: at most two digits
    found = findings(vehicle, resolution, checker)
    assert [(f.rule, f.path) for f in found] == [("XSD-001", "AxleTable[1].AxleNumber")]


def test_xsd_001_names_an_unknown_element(vehicle, resolution, checker):
    vehicle["coc"]["MassGroup"]["ActualWeight"] = 2100
    found = findings(vehicle, resolution, checker)
    assert summary(found) == [("XSD-001", "MassGroup.ActualWeight", ERROR)]


def test_xsd_001_is_skipped_when_the_approval_failed(vehicle, resolution, checker):
    found = findings(vehicle, {"ok": False, "reason": "approval_unknown", "message": "no such approval"}, checker)
    assert "XSD-001" not in [f.rule for f in found]


def test_xsd_000_warns_when_schema_checks_are_off(vehicle, resolution):
    resolution["coc"]["Type"] = "EBM1(M)-TOO-LONG-"  # not seen without a schema
    report = judge(vehicle, resolution, None)
    assert [(f["rule"], f["severity"]) for f in report["findings"]] == [("XSD-000", WARNING)]
    assert "ECOC_IVI_SCHEMA" in report["findings"][0]["message"]
    assert "ecoc.eucaris.net" in report["findings"][0]["message"]
    assert report["status"] == "valid"  # a warning does not block


# -- the engine and the catalogue -----------------------------------------------------------------------

def test_status_is_blocked_by_errors_only(vehicle, resolution, checker):
    vehicle["vin"] = "JTJM1COMPTEST0001"
    assert judge(vehicle, resolution, checker)["status"] == "blocked"


def test_a_new_rule_is_one_function_and_one_registration(vehicle, resolution, checker):
    def colour_given(ctx):
        if not ctx.coc.get("ColourTable"):
            yield Problem("No colour.", expected="a colour", found="missing")

    pack = RulePack("extra", "1", CORE.rules + (
        Rule("COL-001", WARNING, "ColourTable", "A colour is given.", colour_given, requires=("APR-002",)),))
    vehicle["coc"].pop("ColourTable", None)
    found = run_rules(VehicleContext(vehicle, resolution, checker), [pack])
    assert summary(found) == [("COL-001", "ColourTable", WARNING)]


def test_a_failing_rule_blocks_instead_of_passing(vehicle, resolution):
    def broken(ctx):
        raise KeyError("boom")

    pack = RulePack("broken", "1", (Rule("BRK-001", WARNING, "Type", "Broken.", broken),))
    [finding] = run_rules(VehicleContext(vehicle, resolution), [pack])
    assert (finding.rule, finding.severity) == ("BRK-001", ERROR)


def test_a_pack_refuses_a_requirement_that_runs_later():
    rule = Rule("A-001", ERROR, "Type", "A.", lambda ctx: (), requires=("B-001",))
    with pytest.raises(ValueError):
        RulePack("bad", "1", (rule,))


def test_the_catalogue_lists_every_core_rule():
    entries = catalogue()
    assert [e["id"] for e in entries] == ["VIN-001", "VIN-002", "APR-001", "APR-002", "IVI-001", "XSD-000", "XSD-001"]
    assert {(e["pack"], e["version"]) for e in entries} == {("core", "2026.11.1")}
    assert all(e["description"] and e["path"] and e["severity"] in (ERROR, WARNING) for e in entries)


def test_the_plan_asks_once_per_distinct_reference(vehicle):
    other = dict(vehicle, vin="JTJM1C0MPTEST0002")
    late = dict(vehicle, vin="JTJM1C0MPTEST0003", production_date="2024-05-01")
    plan = ResolutionPlan([vehicle, other, late])
    assert len(plan.items) == 2
    assert plan.per_vehicle(["r1", "r2"]) == ["r1", "r1", "r2"]
