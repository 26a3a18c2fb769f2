"""common.ivi.document: IVI-shaped JSON judged against the official schema, every rejection with its path.

The schema and the nine official samples are read from ../shared/ivi/ (public reference data the
product does not ship); the module is skipped when they are absent.
"""
import copy
import types
from pathlib import Path

import pytest

from common.ivi import VEHICLE_LEVEL_PATHS, load_schema, read_ivi, split_levels
from common.ivi.document import (
    MAX_ROWS,
    DocumentChecker,
    DocumentIssue,
    as_field_errors,
    check_coc,
    check_value,
)
from common.ivi.schema import GROUP, LEAF, TABLE, ElementDef, SimpleType

IVI_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "ivi"
XSD_PATH = IVI_DIR / "IVI2.0.xsd"
SAMPLES = sorted((IVI_DIR / "samples").glob("*.xml")) if IVI_DIR.is_dir() else []

if not XSD_PATH.is_file() or not SAMPLES:
    pytest.skip(f"IVI reference files not found in {IVI_DIR}", allow_module_level=True)


@pytest.fixture(scope="module")
def schema():
    return load_schema(XSD_PATH)


@pytest.fixture(scope="module")
def samples(schema):
    return {path.name: read_ivi(path.read_bytes(), schema)["coc"] for path in SAMPLES}


def one_issue(schema, coc, level=None):
    issues = check_coc(schema, coc, level=level)
    assert len(issues) == 1, issues
    return issues[0]


def tyre(**changes):
    return dict({"TyreNumber": 1, "TyreSize": "235/45R19", "RimSize": "8.00X19", "RimOffSet": 45}, **changes)


def axles(second_tyre):
    return {"AxleTable": [{"AxleNumber": 1, "TyreAxleTable": [tyre()]},
                          {"AxleNumber": 2, "TyreAxleTable": [second_tyre]}]}


# -- the official samples pass, whole and split --------------------------------------------------


@pytest.mark.parametrize("name", [p.name for p in SAMPLES])
def test_every_official_sample_passes_whole_and_at_each_level(schema, samples, name):
    coc = samples[name]
    type_level, vehicle_level = split_levels(coc)
    assert check_coc(schema, coc) == []
    assert check_coc(schema, type_level, level="type") == []
    assert check_coc(schema, vehicle_level, level="vehicle") == []


def test_every_vehicle_level_path_is_in_the_schema(schema):
    for path in VEHICLE_LEVEL_PATHS:
        schema.find(path)


# -- unknown keys -----------------------------------------------------------------------------------


def test_unknown_keys_are_named_at_every_depth(schema):
    coc = {"Colour": "1", "MassGroup": {"ActualMas": 1500},
           **axles(tyre(RimSise="8.00X19"))}
    issues = check_coc(schema, coc)
    assert [i.path for i in issues] == ["Colour", "MassGroup.ActualMas", "AxleTable[1].TyreAxleTable[0].RimSise"]
    assert "unknown element 'Colour' in CocDataGroup" in issues[0].message
    assert "did you mean ActualMass?" in issues[1].message
    assert "in TyreAxleGroup" in issues[2].message and "did you mean RimSize?" in issues[2].message


def test_the_group_step_of_a_table_is_not_a_key(schema):
    issue = one_issue(schema, {"ColourTable": {"ColourGroup": [{"Colour": "1"}]}})
    assert issue.path == "ColourTable"
    assert issue.message == "ColourTable must be a list of ColourGroup objects, got an object"


def test_a_document_that_is_not_an_object(schema):
    assert check_coc(schema, [{"Type": "X"}]) == [
        DocumentIssue("", "the CoC data must be an object of IVI elements, got a list")]


# -- wrong types --------------------------------------------------------------------------------------


@pytest.mark.parametrize("coc, path, words", [
    ({"MassGroup": {"ActualMass": "1707"}}, "MassGroup.ActualMass", "expected a whole number (Integer6), got text ('1707')"),
    ({"MassGroup": {"ActualMass": 1707.5}}, "MassGroup.ActualMass", "expected a whole number (Integer6), got a number (1707.5)"),
    ({"MassGroup": {"ActualMass": 1707.0}}, "MassGroup.ActualMass", "write it without a fraction"),
    ({"MassGroup": {"ActualMass": True}}, "MassGroup.ActualMass", "got a boolean (true)"),
    ({"MassGroup": {"ActualMass": [1707]}}, "MassGroup.ActualMass", "got a list"),
    ({"Type": 12}, "Type", "expected text (Text15), got a number (12)"),
    ({"Type": {"Name": "X"}}, "Type", "expected text (Text15), got an object"),
    ({"WltpTotalCo2EmissionSavedDueEcoInnovation": "lots"}, "WltpTotalCo2EmissionSavedDueEcoInnovation",
     "expected a number (Decimal52), got text ('lots')"),
    ({"WltpTotalCo2EmissionSavedDueEcoInnovation": False}, "WltpTotalCo2EmissionSavedDueEcoInnovation",
     "expected a number (Decimal52), got a boolean (false)"),
    ({"MassGroup": [{"ActualMass": 1707}]}, "MassGroup", "MassGroup must be an object of its elements, got a list"),
    ({"MassGroup": 1707}, "MassGroup", "got a number (1707)"),
    ({"ColourTable": "1"}, "ColourTable", "ColourTable must be a list of ColourGroup objects, got text ('1')"),
    ({"ColourTable": ["1"]}, "ColourTable[0]", "a row of ColourTable must be a ColourGroup object, got text ('1')"),
    ({"TypeApprovalIssueDate": 20231124}, "TypeApprovalIssueDate", "expected a date YYYY-MM-DD as text (Date)"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_wrong_types_are_named(schema, coc, path, words):
    issue = one_issue(schema, coc)
    assert issue.path == path
    assert words in issue.message, issue.message


def test_a_wrong_type_deep_in_tables_names_the_row(schema):
    issue = one_issue(schema, axles(tyre(RimSize=8)))
    assert issue.path == "AxleTable[1].TyreAxleTable[0].RimSize"
    assert issue.message == "expected text (Text20), got a number (8)"


# -- numbers: ranges, digits, negatives ------------------------------------------------------------------


@pytest.mark.parametrize("value, words", [
    (-1, "-1 is out of range: Decimal52 allows 0 to 999.99 with at most 2 decimals"),
    (-0.5, "-0.5 is out of range"),
    (1000, "1000 is out of range"),
    (999.991, "999.991 is out of range"),
    (12.345, "12.345 has 3 decimals; Decimal52 allows 2"),
    ("12.345", "'12.345' has 3 decimals; Decimal52 allows 2"),
    ("-3", "'-3' is out of range"),
    (float("inf"), "inf is not a finite number"),
])
def test_decimals_outside_their_type_are_refused(schema, value, words):
    issue = one_issue(schema, {"WltpTotalCo2EmissionSavedDueEcoInnovation": value})
    assert issue.path == "WltpTotalCo2EmissionSavedDueEcoInnovation"
    assert words in issue.message, issue.message


@pytest.mark.parametrize("value", [0, 0.67, 999.99, "44.00", "0.10", 12, "+1", ".5", 1.5])
def test_decimals_in_every_json_form_the_reader_gives_are_accepted(schema, value):
    assert check_coc(schema, {"WltpTotalCo2EmissionSavedDueEcoInnovation": value}) == []


def test_negative_values_only_where_the_type_allows_them(schema):
    assert check_coc(schema, axles(tyre(RimOffSet=-45.5))) == []
    assert check_coc(schema, {"WltpEmissionTestParametersGroup": {"WltpRoadLoadCoefficientF1": -0.123456}}) == []
    issue = one_issue(schema, {"WltpEmissionTestParametersGroup": {"WltpRoadLoadCoefficientF1": -0.1234567}})
    assert issue.path == "WltpEmissionTestParametersGroup.WltpRoadLoadCoefficientF1"
    assert "has 7 decimals; RoadLoadCoefficient allows 6" in issue.message


def test_integers_out_of_range(schema):
    issue = one_issue(schema, {"MassGroup": {"ActualMass": 1000000}})
    assert (issue.path, issue.message) == ("MassGroup.ActualMass", "1000000 is out of range: Integer6 allows 0 to 999999")
    assert one_issue(schema, {"MassGroup": {"ActualMass": -1}}).message.startswith("-1 is out of range")


def _tiny_schema(decimal_type, row_max=None):
    """A hand-made schema tree: Things (table of Thing rows, maxOccurs row_max) holding one Value."""
    value = ElementDef("Value", decimal_type.name, LEAF, 0, 1, "Things.Thing.Value", simple=decimal_type)
    row = ElementDef("Thing", "Thing", GROUP, 1, row_max, "Things.Thing", (value,))
    table = ElementDef("Things", "ThingsTable", TABLE, 0, 1, "Things", (row,))
    return types.SimpleNamespace(coc=ElementDef("CocDataGroup", "", GROUP, 1, 1, "", (table,)))


def test_total_digits_is_a_limit_of_its_own():
    checker = DocumentChecker(_tiny_schema(SimpleType("Decimal31", "decimal", total_digits=3, fraction_digits=1)),
                              vehicle_paths=())
    rows = [{"Value": v} for v in (12.5, 99, "0.5", 123.4, 1234, "12.50")]
    assert [(i.path, i.message) for i in checker.check({"Things": rows})] == [
        ("Things[3].Value", "123.4 has 4 digits; Decimal31 allows 3 in total"),
        ("Things[4].Value", "1234 has 4 digits; Decimal31 allows 3 in total"),
    ]


# -- texts, codes, patterns, dates ------------------------------------------------------------------------


def test_too_long_texts(schema):
    issue = one_issue(schema, axles(tyre(RimSize="8.00X19 ET45 ALLOY RIMS")))
    assert issue.path == "AxleTable[1].TyreAxleTable[0].RimSize"
    assert issue.message == "is 23 characters long; Text20 allows at most 20"
    assert one_issue(schema, {"Type": "T" * 16}).message == "is 16 characters long; Text15 allows at most 15"


@pytest.mark.parametrize("coc, path", [
    ({"Type": ""}, "Type"),
    ({"MakeTable": [{"Make": ""}]}, "MakeTable[0].Make"),
    ({"MakeTable": []}, "MakeTable"),
    ({"MakeTable": [{}]}, "MakeTable[0]"),
    ({"MassGroup": {}}, "MassGroup"),
    ({"MassGroup": {"ActualMass": None}}, "MassGroup.ActualMass"),
    ({"ColourTable": None}, "ColourTable"),
    ({"WltpTotalCo2EmissionSavedDueEcoInnovation": ""}, "WltpTotalCo2EmissionSavedDueEcoInnovation"),
])
def test_empty_values_are_refused(schema, coc, path):
    issue = one_issue(schema, coc)
    assert issue.path == path
    assert "omit the element" in issue.message, issue.message


def test_blank_text_is_refused(schema):
    assert one_issue(schema, {"Type": "   "}).message == "is blank: omit the element instead of sending only spaces"


@pytest.mark.parametrize("coc, path, words", [
    ({"VehicleCategory": "M9"}, "VehicleCategory", "'M9' is not a code of VehicleCategoryCode; allowed: C1a, C1b"),
    ({"ProvisionalTypeApprovalIndicator": "y"}, "ProvisionalTypeApprovalIndicator", "allowed: Y, N"),
    ({"EnergyConvertorTable": [{"EnergySourceTable": [{"EnergySource": "96"}]}]},
     "EnergyConvertorTable[0].EnergySourceTable[0].EnergySource", "'96' is not a code of"),
    ({"VehicleIdentificationNumber": "jtjm1c0mptest0001"}, "VehicleIdentificationNumber",
     "'jtjm1c0mptest0001' does not match the pattern [A-Z0-9]+"),
    ({"VehicleIdentificationNumber": "JTJM1C0MPTEST001"}, "VehicleIdentificationNumber",
     "is 16 characters long; VehicleIdentificationNumber needs at least 17"),
    ({"TypeApprovalIssueDate": "2024-02-30"}, "TypeApprovalIssueDate", "'2024-02-30' is not a date YYYY-MM-DD"),
    ({"TypeApprovalIssueDate": "01/02/2024"}, "TypeApprovalIssueDate", "'01/02/2024' is not a date YYYY-MM-DD"),
])
def test_malformed_codes_patterns_and_dates(schema, coc, path, words):
    issue = one_issue(schema, coc)
    assert issue.path == path
    assert words in issue.message, issue.message


# -- tables: rows ----------------------------------------------------------------------------------------


def test_too_many_rows(schema):
    rows = [{"Colour": "1"}] * (MAX_ROWS + 1)
    issue = one_issue(schema, {"ColourTable": rows})
    assert (issue.path, issue.message) == ("ColourTable", f"ColourTable has {MAX_ROWS + 1} rows; at most {MAX_ROWS} "
                                                          "are allowed")
    assert check_coc(schema, {"ColourTable": rows[:MAX_ROWS]}) == []


def test_a_row_maximum_of_the_schema_is_applied():
    checker = DocumentChecker(_tiny_schema(SimpleType("Decimal31", "decimal"), row_max=2), vehicle_paths=())
    assert checker.check({"Things": [{"Value": 1}, {"Value": 2}]}) == []
    [issue] = checker.check({"Things": [{"Value": 1}, {"Value": 2}, {"Value": 3}]})
    assert (issue.path, issue.message) == ("Things", "Things has 3 rows; at most 2 are allowed")


def test_every_problem_is_reported_in_document_order(schema):
    coc = {"Type": "", "MassGroup": {"ActualMass": -5, "Bogus": 1}, "ColourTable": [{"Colour": "1"}, 7]}
    assert [i.path for i in check_coc(schema, coc)] == [
        "Type", "MassGroup.ActualMass", "MassGroup.Bogus", "ColourTable[1]"]


# -- levels ------------------------------------------------------------------------------------------------


def test_type_level_refuses_vehicle_level_paths(schema):
    coc = {"MaximumSpeed": 180, "MassGroup": {"MassInRunningOrder": 1890, "ActualMass": 1907},
           "ColourTable": [{"Colour": "1"}], **axles(tyre(TyreFittedProductionIndicator="Y"))}
    issues = check_coc(schema, coc, level="type")
    assert [i.path for i in issues] == ["MassGroup.ActualMass", "ColourTable",
                                        "AxleTable[1].TyreAxleTable[0].TyreFittedProductionIndicator"]
    assert issues[0].message == ("ActualMass is vehicle-level data: it belongs to each vehicle's record, "
                                 "not to the type approval")


def test_vehicle_level_refuses_type_level_paths(schema):
    coc = {"MaximumSpeed": 180, "MassGroup": {"MassInRunningOrder": 1890, "ActualMass": 1907},
           "ColourTable": [{"Colour": "1"}], "DateManufactureVehicle": "2026-11-02",
           **axles(tyre(TyreFittedProductionIndicator="Y"))}
    issues = check_coc(schema, coc, level="vehicle")
    assert [i.path for i in issues] == ["MaximumSpeed", "MassGroup.MassInRunningOrder"]
    assert issues[0].message == ("MaximumSpeed is type-level data: it comes from the type approval, "
                                 "not from the vehicle's record")


def test_a_table_holding_vehicle_data_is_whole_at_vehicle_level_but_still_typed(schema):
    issue = one_issue(schema, axles(tyre(TyreFittedProductionIndicator="YES")), level="vehicle")
    assert issue.path == "AxleTable[1].TyreAxleTable[0].TyreFittedProductionIndicator"
    assert "is not a code of Indicator" in issue.message


def test_an_unknown_level_is_a_programming_error(schema):
    with pytest.raises(ValueError):
        check_coc(schema, {}, level="version")


# -- single values, field errors ----------------------------------------------------------------------------


def test_check_value_by_schema_or_json_path(schema):
    assert check_value(schema, "MassGroup.MassInRunningOrder", 1860) is None
    assert check_value(schema, "AxleTable.AxleGroup.TechnicallyPermissibleMassAxle", 1150) is None
    assert check_value(schema, "AxleTable[0].TechnicallyPermissibleMassAxle", -1).startswith("-1 is out of range")
    with pytest.raises(KeyError):
        check_value(schema, "MassGroup.Mass", 1)
    with pytest.raises(TypeError):
        check_value(schema, "MassGroup", 1)


def test_as_field_errors_prefixes_the_paths():
    issues = [DocumentIssue("MassGroup.ActualMass", "m1"), DocumentIssue("", "m2")]
    assert as_field_errors(issues, "versions[0].coc") == [
        {"field": "versions[0].coc.MassGroup.ActualMass", "message": "m1"},
        {"field": "versions[0].coc", "message": "m2"}]


def test_the_input_is_not_modified(schema, samples):
    coc = samples["M1-02-CHR.xml"]
    before = copy.deepcopy(coc)
    check_coc(schema, coc, level="type")
    assert coc == before

