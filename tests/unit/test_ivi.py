"""common.ivi against the official IVI 2.0 schema and the nine official sample messages.

The reference files live outside the repository in ../shared/ivi/ (they are public data that the
product must not ship); the module is skipped when they are absent.
"""
import copy
import shutil
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from lxml import etree

from common.ivi import (
    DS_NS,
    IVI_NS,
    MANDATORY_PATHS,
    VEHICLE_LEVEL_PATHS,
    IviDataError,
    IviFormatError,
    SchemaUnavailableError,
    SchemaValidator,
    build_message,
    load_schema,
    merge_levels,
    missing_mandatory,
    read_ivi,
    schema_available,
    schema_missing_message,
    serialize,
    split_levels,
)
from common.ivi.values import format_leaf, parse_leaf

IVI_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "ivi"
XSD_PATH = IVI_DIR / "IVI2.0.xsd"
SAMPLES = sorted((IVI_DIR / "samples").glob("*.xml")) if IVI_DIR.is_dir() else []

if not XSD_PATH.is_file() or not SAMPLES:
    pytest.skip(
        f"IVI reference files not found in {IVI_DIR} (IVI2.0.xsd and samples/*.xml are needed)",
        allow_module_level=True,
    )

NS = f"{{{IVI_NS}}}"


@pytest.fixture(scope="module")
def schema():
    return load_schema(XSD_PATH)


@pytest.fixture(scope="module")
def validator():
    return SchemaValidator(XSD_PATH)


@pytest.fixture(scope="module")
def documents(schema):
    return {path.name: read_ivi(path.read_bytes(), schema) for path in SAMPLES}


def sample_root(path):
    return etree.fromstring(path.read_bytes(), etree.XMLParser(remove_blank_text=True))


# -- canonical comparison -------------------------------------------------------------------------


def _local(element):
    return etree.QName(element).localname


def _same_leaf(a, b, exact):
    text_a, text_b = (a or "").strip(), (b or "").strip()
    if exact or text_a == text_b:
        return text_a == text_b
    try:
        return Decimal(text_a) == Decimal(text_b)
    except InvalidOperation:
        return False


def canonical_diff(expected, actual, table_names, path="", exact=False):
    """Differences between two IVI elements: table rows in order, `xs:all` children by name."""
    here = f"{path}.{_local(expected)}" if path else _local(expected)
    if expected.tag != actual.tag:
        return [f"{here}: element {actual.tag} instead of {expected.tag}"]
    kids_e = [c for c in expected if isinstance(c.tag, str)]
    kids_a = [c for c in actual if isinstance(c.tag, str)]
    if not kids_e and not kids_a:
        if _same_leaf(expected.text, actual.text, exact):
            return []
        return [f"{here}: {actual.text!r} instead of {expected.text!r}"]
    if _local(expected) in table_names:
        if len(kids_e) != len(kids_a):
            return [f"{here}: {len(kids_a)} rows instead of {len(kids_e)}"]
        diffs = []
        for index, (e, a) in enumerate(zip(kids_e, kids_a)):
            diffs += canonical_diff(e, a, table_names, f"{here}[{index}]", exact)
        return diffs
    by_name_e = {c.tag: c for c in kids_e}
    by_name_a = {c.tag: c for c in kids_a}
    diffs = []
    if len(by_name_e) != len(kids_e) or len(by_name_a) != len(kids_a):
        diffs.append(f"{here}: a child element is repeated")
    for tag in sorted(set(by_name_e) | set(by_name_a)):
        if tag not in by_name_a:
            diffs.append(f"{here}: {tag} missing")
        elif tag not in by_name_e:
            diffs.append(f"{here}: unexpected {tag}")
        else:
            diffs += canonical_diff(by_name_e[tag], by_name_a[tag], table_names, here, exact)
    return diffs


def test_canonical_diff_notices_differences(schema):
    a = etree.fromstring(f"<CocDataGroup xmlns='{IVI_NS}'><MaximumSpeed>44.00</MaximumSpeed>"
                         "<ColourTable><ColourGroup><Colour>1</Colour></ColourGroup>"
                         "<ColourGroup><Colour>2</Colour></ColourGroup></ColourTable></CocDataGroup>")
    b = copy.deepcopy(a)
    assert canonical_diff(a, b, schema.table_names) == []
    b.find(f"{NS}MaximumSpeed").text = "44"
    assert canonical_diff(a, b, schema.table_names) == []
    assert canonical_diff(a, b, schema.table_names, exact=True)
    table = b.find(f"{NS}ColourTable")
    table.append(table[0])  # swap the two rows
    assert canonical_diff(a, b, schema.table_names)


# -- schema -----------------------------------------------------------------------------------------


def test_schema_tree(schema):
    assert load_schema(str(XSD_PATH)) is schema  # cached per path
    axle = schema.find("AxleTable.AxleGroup.AxleNumber")
    assert (axle.kind, axle.type_name, axle.min_occurs, axle.max_occurs) == ("leaf", "Integer2", 1, 1)
    assert (axle.simple.base, axle.simple.min_inclusive, axle.simple.max_inclusive) == ("short", "0", "99")
    table = schema.find("AxleTable")
    assert table.kind == "table" and table.row.name == "AxleGroup" and table.row.max_occurs is None
    assert schema.find("MassGroup").kind == "group"
    assert schema.find("AxleTable[1].TyreAxleTable[0].TyreSize") is schema.find(
        "AxleTable.AxleGroup.TyreAxleTable.TyreAxleGroup.TyreSize"
    )
    vin = schema.find("VehicleIdentificationNumber").simple
    assert (vin.min_length, vin.max_length, vin.patterns) == (17, 17, ("[A-Z0-9]+",))
    decimal = schema.find("MaximumSpeed").simple
    assert (decimal.base, decimal.total_digits, decimal.fraction_digits) == ("decimal", 5, 2)
    assert "M1" in schema.find("VehicleCategory").simple.enumeration
    assert [c.name for c in schema.coc.children[:4]] == [
        "VehicleIdentificationNumber", "TypeApprovalType", "ProvisionalTypeApprovalIndicator", "StageOfCompletion",
    ]
    assert schema.header.child("IntendedCountryRegistration").min_occurs == 0
    paths = schema.leaf_paths()
    assert "MassGroup.ActualMass" in paths and len(paths) == len(set(paths)) > 500
    assert schema.leaf_paths("header")[0] == "IviReferenceId"
    with pytest.raises(KeyError):
        schema.find("AxleTable.Nope")


def test_catalogue_paths_exist_in_schema(schema):
    for path in MANDATORY_PATHS + VEHICLE_LEVEL_PATHS:
        schema.find(path)


# -- the nine samples -------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_sample_round_trip(sample, schema, validator, documents):
    document = documents[sample.name]
    original = sample_root(sample)
    built = build_message(schema, document["header"], document["coc"])

    for name in ("Header", "CocDataGroup"):
        expected, actual = original.find(NS + name), built.find(NS + name)
        assert canonical_diff(expected, actual, schema.table_names) == []
        # stronger: every leaf text comes back byte for byte
        assert canonical_diff(expected, actual, schema.table_names, exact=True) == []

    draft = serialize(built)
    assert draft.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<InitialVehicleInformation xmlns=")
    assert validator.validate_draft(draft) == []
    unsigned = validator.validate_signed(draft)
    assert [issue.path for issue in unsigned] == ["Signature"]

    signed = copy.deepcopy(built)
    signed.append(copy.deepcopy(original.find(f"{{{DS_NS}}}Signature")))
    assert validator.validate_signed(serialize(signed)) == []

    assert read_ivi(draft, schema) == document


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_sample_levels_and_mandatory(sample, documents):
    coc = documents[sample.name]["coc"]
    snapshot = copy.deepcopy(coc)
    type_level, vehicle_level = split_levels(coc)
    assert coc == snapshot  # the input is left alone
    assert merge_levels(type_level, vehicle_level) == coc
    assert vehicle_level["VehicleIdentificationNumber"] == coc["VehicleIdentificationNumber"]
    assert "VehicleIdentificationNumber" not in type_level
    assert "ActualMass" not in type_level.get("MassGroup", {})
    assert type_level["TypeApprovalNumber"] == coc["TypeApprovalNumber"]
    assert missing_mandatory(coc) == []


def test_nested_vehicle_values_leave_the_type_level(documents):
    coc = documents["M1-02-CHR.xml"]["coc"]
    type_level, vehicle_level = split_levels(coc)
    assert vehicle_level["EnergyConvertorTable"] == coc["EnergyConvertorTable"]  # whole table
    sources = [s for c in type_level["EnergyConvertorTable"] for s in c.get("EnergySourceTable", [])]
    assert sources and all("TestWltpCo2Group" not in s for s in sources)
    tyres = [t for a in type_level["AxleTable"] for t in a.get("TyreAxleTable", [])]
    assert tyres and all("TyreFittedProductionIndicator" not in t for t in tyres)


def test_missing_mandatory_lists_paths(documents):
    coc = copy.deepcopy(documents["L1e.xml"]["coc"])
    del coc["VehicleIdentificationNumber"]
    del coc["MassGroup"]
    for row in coc["ManufacturerTable"]:
        row.pop("ManufacturerName", None)
    coc["SigningAuthorityTable"] = []
    assert missing_mandatory(coc) == [
        "VehicleIdentificationNumber",
        "SigningAuthorityTable.SigningAuthorityGroup.SignerName",
        "SigningAuthorityTable.SigningAuthorityGroup.SignerPosition",
        "SigningAuthorityTable.SigningAuthorityGroup.SignatureLocation",
        "SigningAuthorityTable.SigningAuthorityGroup.SignatureDate",
        "ManufacturerTable.ManufacturerGroup.ManufacturerName",
        "MassGroup",
    ]


def test_merge_vehicle_wins_and_tables_replace():
    type_level = {"MassGroup": {"MassInRunningOrder": 1500, "ActualMass": 1}, "ColourTable": [{"Colour": "1"}]}
    vehicle_level = {"MassGroup": {"ActualMass": 1540}, "ColourTable": [{"Colour": "2"}, {"Colour": "3"}]}
    assert merge_levels(type_level, vehicle_level) == {
        "MassGroup": {"MassInRunningOrder": 1500, "ActualMass": 1540},
        "ColourTable": [{"Colour": "2"}, {"Colour": "3"}],
    }


# -- determinism and formatting ----------------------------------------------------------------------


def test_building_is_deterministic(schema, documents):
    document = documents["M1-04-PriusPHEV.xml"]
    first = serialize(build_message(schema, document["header"], document["coc"]))
    second = serialize(build_message(schema, document["header"], document["coc"]))
    reordered = dict(reversed(list(copy.deepcopy(document["coc"]).items())))
    third = serialize(build_message(schema, dict(reversed(list(document["header"].items()))), reordered))
    assert first == second == third


def test_numeric_representation(schema):
    decimal52 = schema.find("MaximumSpeed").simple
    integer = schema.find("MassGroup.ActualMass").simple
    assert parse_leaf("160", decimal52) == 160 and isinstance(parse_leaf("160", decimal52), int)
    assert parse_leaf("73.0", decimal52) == 73.0 and isinstance(parse_leaf("73.0", decimal52), float)
    assert parse_leaf("44.00", decimal52) == "44.00"  # trailing zeros keep their lexical form
    assert parse_leaf("1540", integer) == 1540
    assert [format_leaf(v, decimal52) for v in (160, 73.0, "44.00", 0.1 + 0.2, Decimal("12.50"))] == [
        "160", "73.0", "44.00", "0.3", "12.50",
    ]
    assert format_leaf(1e-05, schema.find(
        "GearGroup.GearRatioTable.GearRatioGroup.FinalDriveTable.FinalDriveGroup.FinalDriveRatio").simple
    ) == "0.00001"
    assert format_leaf(Decimal("1E+2"), decimal52) == "100"
    assert format_leaf(1540.0, integer) == "1540"


@pytest.mark.parametrize(
    "field, value",
    [("MaximumSpeed", 1.234), ("MaximumSpeed", "abc"), ("MaximumSpeed", True), ("Type", 15)],
)
def test_bad_leaf_values_raise(schema, documents, field, value):
    coc = dict(documents["L1e.xml"]["coc"], **{field: value})
    with pytest.raises(IviDataError) as caught:
        build_message(schema, documents["L1e.xml"]["header"], coc)
    assert caught.value.path == field


# -- negative cases ---------------------------------------------------------------------------------


def test_unknown_key_names_its_path(schema, documents):
    document = documents["N2-01-ProaceMaxEV.xml"]
    coc = copy.deepcopy(document["coc"])
    coc["AxleTable"][1]["Foo"] = "x"
    with pytest.raises(IviDataError) as caught:
        build_message(schema, document["header"], coc)
    assert caught.value.path == "AxleTable[1].Foo"
    assert "AxleTable[1].Foo" in str(caught.value)

    coc = copy.deepcopy(document["coc"])
    coc["AxleTable"][1]["TyreAxleTable"][0]["RimSizeX"] = "17"
    with pytest.raises(IviDataError) as caught:
        build_message(schema, document["header"], coc)
    assert caught.value.path == "AxleTable[1].TyreAxleTable[0].RimSizeX"

    with pytest.raises(IviDataError) as caught:
        build_message(schema, dict(document["header"], Bogus="1"), document["coc"])
    assert caught.value.path == "Header.Bogus"


def test_wrong_shapes_raise(schema, documents):
    header = documents["L1e.xml"]["header"]
    with pytest.raises(IviDataError) as caught:
        build_message(schema, header, {"ColourTable": {"Colour": "1"}})
    assert caught.value.path == "ColourTable"
    with pytest.raises(IviDataError) as caught:
        build_message(schema, header, {"MassGroup": [1]})
    assert caught.value.path == "MassGroup"


def test_empty_values_are_omitted(schema, documents):
    document = documents["L1e.xml"]
    coc = copy.deepcopy(document["coc"])
    coc.update(
        LocationVin23Wheel="",
        DescriptionCompletedAltered=None,
        CommercialNameTable=[],
        EURepresentativeGroup={},
        TrackTrainGroup={"TrackTrainCrawlerUndercarriageConfiguration": ""},
        ColourTable=[{"Colour": ""}, {}],
    )
    out = serialize(build_message(schema, document["header"], coc))
    for name in ("LocationVin23Wheel", "DescriptionCompletedAltered", "CommercialNameTable",
                 "EURepresentativeGroup", "TrackTrainGroup", "ColourTable"):
        assert f"<{name}".encode() not in out
    assert not etree.fromstring(out).xpath("//*[not(*) and string-length(.)=0]")


@pytest.mark.parametrize(
    "xml",
    [
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b'<InitialVehicleInformation xmlns="http://eu.ereg.initialvehicleinformation.v2">&b;'
        b"</InitialVehicleInformation>",
        b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd">'
        b'<InitialVehicleInformation xmlns="http://eu.ereg.initialvehicleinformation.v2"/>',
        b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<InitialVehicleInformation xmlns="http://eu.ereg.initialvehicleinformation.v2">'
        b"<Header><IviReferenceId>&xxe;</IviReferenceId></Header></InitialVehicleInformation>",
    ],
    ids=["entity-expansion", "external-dtd", "external-entity"],
)
def test_dtd_and_entities_are_rejected(schema, validator, xml):
    with pytest.raises(IviFormatError):
        read_ivi(xml, schema)
    issues = validator.validate_draft(xml)
    assert len(issues) == 1 and issues[0].path == ""


def test_malformed_and_unknown_xml(schema):
    with pytest.raises(IviFormatError):
        read_ivi(b"<InitialVehicleInformation", schema)
    with pytest.raises(IviFormatError):
        read_ivi(b"<Other/>", schema)
    raw = (SAMPLES[0]).read_bytes().replace(b"<MakeGroup>", b"<MakeGroup><Foo>1</Foo>", 1)
    with pytest.raises(IviFormatError) as caught:
        read_ivi(raw, schema)
    assert caught.value.path == "MakeTable[0].Foo" and "MakeTable[0].Foo" in str(caught.value)


def test_draft_without_vin_names_it(schema, validator, documents):
    document = documents["M1-03-Mirai.xml"]
    coc = copy.deepcopy(document["coc"])
    del coc["VehicleIdentificationNumber"]
    coc["MassGroup"]["ActualMass"] = 1000000
    issues = validator.validate_draft(serialize(build_message(schema, document["header"], coc)))
    by_path = {issue.path: issue for issue in issues}
    assert set(by_path) == {"CocDataGroup.VehicleIdentificationNumber", "CocDataGroup.MassGroup.ActualMass"}
    vin = by_path["CocDataGroup.VehicleIdentificationNumber"]
    assert "VehicleIdentificationNumber" in vin.message and "missing" in vin.message
    assert "Missing child element" in vin.raw and vin.line
    assert "999999" in by_path["CocDataGroup.MassGroup.ActualMass"].message
    assert "{" not in by_path["CocDataGroup.MassGroup.ActualMass"].message


def test_issue_paths_index_table_rows(schema, validator, documents):
    document = documents["N2-01-ProaceMaxEV.xml"]
    coc = copy.deepcopy(document["coc"])
    coc["AxleTable"][1]["AxleNumber"] = 100
    issues = validator.validate_draft(build_message(schema, document["header"], coc))
    assert [issue.path for issue in issues] == ["CocDataGroup.AxleTable[1].AxleNumber"]

    # invalid content the writer would refuse, injected into the built tree
    built = build_message(schema, document["header"], document["coc"])
    table = built.find(f"{NS}CocDataGroup/{NS}AxleTable")
    table[1].remove(table[1].find(NS + "AxleNumber"))
    etree.SubElement(table[0].find(f"{NS}TyreAxleTable")[1], NS + "Bogus").text = "x"
    issues = validator.validate_draft(built)
    assert sorted(issue.path for issue in issues) == [
        "CocDataGroup.AxleTable[0].TyreAxleTable[1].Bogus",
        "CocDataGroup.AxleTable[1].AxleNumber",
    ]


# -- schema configuration ----------------------------------------------------------------------------


def test_missing_schema_is_explained(tmp_path):
    missing = tmp_path / "IVI2.0.xsd"
    assert not schema_available(missing) and not schema_available("") and schema_available(XSD_PATH)
    message = schema_missing_message(missing)
    assert message.startswith(f"IVI schema not found at {missing}: schema checks are off.")
    assert "ecoc.eucaris.net/documentation" in message and "ECOC_IVI_SCHEMA" in message
    with pytest.raises(SchemaUnavailableError) as caught:
        SchemaValidator(missing)
    assert str(caught.value) == message


def test_dsig_schema_falls_back_to_signxml(tmp_path, schema, documents):
    lone = tmp_path / "IVI2.0.xsd"
    shutil.copyfile(XSD_PATH, lone)  # temporary copy without xmldsig-core-schema.xsd beside it
    fallback = SchemaValidator(lone)
    document = documents["M1-01-LexusRZ450e.xml"]
    assert fallback.validate_draft(serialize(build_message(schema, document["header"], document["coc"]))) == []
