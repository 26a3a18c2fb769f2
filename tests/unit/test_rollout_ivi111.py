"""IVI 1.11 legacy messages in IVI 2.0 terms (`services.rollout.domain.ivi111`), on messages built here that
validate against the official 1.11 schema (read from ../shared/ivi/ivi1.11, never copied into the repository)."""
from pathlib import Path

import pytest
from lxml import etree

from common.ivi import load_schema
from common.ivi.document import check_coc
from services.rollout.domain.ivi111 import Converter
from services.rollout.domain.legacy import LegacyInputError, read_document

IVI_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "ivi"
XSD_111 = IVI_DIR / "ivi1.11" / "version-111-initialvehicleinformation.xsd"

pytestmark = pytest.mark.skipif(not XSD_111.is_file(), reason="the IVI 1.11 schema is not in ../shared/ivi")

VIN = "WF0AXXTTGAAA12345"
BODY = [
    ("VehicleIdentificationNumber", VIN), ("StageOfCompletionCode", "C"), ("TypeApprovalTypeCode", "EC"),
    ("Type", "SK"), ("Variant", "ALBPA"), ("Version", "GE8"), ("VehicleCategoryCode", "M1"),
    ("MethodOfAttachmStatPlatesCode", "A1"), ("TypeApprovalNumber", "e3*2001/116*0232*31"),
    ("TypeApprovalDateOfIssue", "2023-05-02"), ("RightLeftHandTrafficCode", "R"), ("Length", "4853"),
    ("MassOfTheVehicleInRunningOrder", "1695"), ("ActualMassOfTheVehicle", "1797"), ("PrimaryColourCode", "1"),
    ("IntendedCountryOfRegistrCode", "H"), ("VersionCoc", "2"), ("DateOfManufactureVeh", "2024-02-20"),
    ("Remarks", "NO.30 (AxleTrack) A1 max 1572"), ("OdometerUnitCode", "K"),
    ("MakeTable", [("MakeGroup", [("Make", "FORD")])]),
    ("SigningAuthorityTable", [("SigningAuthorityGroup", [
        ("NameOfSigner", "J Beyer"), ("PositionOfSigner", "Director"), ("PlaceOfSignature", "KOELN"),
        ("DateOfSignature", "2024-02-20")])]),
    ("StageNrOfManufacturingTable", [("StageNrOfManufacturingGroup", [("AddressTable", [
        ("AddressGroup", [("AddressTypeCode", "PSM"), ("Name", "Ford-Werke GmbH"),
                          ("AddressLine1", "Henry-Ford-Strasse 1"), ("PlaceOfResidence", "Koeln"),
                          ("CountryOfResidence", "Deutschland")]),
        ("AddressGroup", [("AddressTypeCode", "CUS"), ("Name", "Second address")])])])]),
    ("AxleTable", [("AxleGroup", [("AxleNumber", str(n)), ("TechnicallyPermMassAxle", "1300"),
                                  ("TyreAxleTable", [("TyreAxleGroup", [("TyreNumber", "1"),
                                                                        ("TyreSize", f"215/55 R1{n}")])])])
                   for n in (1, 2)]),
]


def build(body, reference="1f2d8288-852d-461a-993f-488c9991131f"):
    root = etree.Element("InitialVehicleInformation")
    header = etree.SubElement(root, "Header")
    etree.SubElement(header, "IVIReferenceId").text = reference
    etree.SubElement(header, "VersionNumberXsd").text = "1.11"
    coc = etree.SubElement(etree.SubElement(root, "Body"), "CocDataGroup")

    def add(parent, items):
        for name, value in items:
            child = etree.SubElement(parent, name)
            if isinstance(value, list):
                add(child, value)
            else:
                child.text = value

    add(coc, body)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.fixture(scope="module")
def converter():
    return Converter(XSD_111, load_schema(IVI_DIR / "IVI2.0.xsd"))


def test_the_constructed_message_is_valid_ivi_111(converter):
    assert converter.xsd.validate(etree.fromstring(build(BODY))), converter.xsd.error_log


def test_every_field_is_mapped_transformed_or_reported_without_counterpart(converter):
    header, coc, report = converter.convert(build(BODY))
    accounted = [e["from"] for kind in ("mapped", "transformed", "unmapped") for e in report[kind]]
    leaves = 2 + 20 + 1 + 4 + 5 + 2 + 2 * 4  # header, plain fields, make, signer, two addresses, axles
    assert len(accounted) == len(set(accounted)) == leaves
    assert report["counts"] == {k: len(report[k]) for k in ("mapped", "transformed", "unmapped")}
    assert check_coc(converter.schema, coc) == []  # what comes out is IVI 2.0 data
    assert header == {"IviReferenceId": "1f2d8288-852d-461a-993f-488c9991131f", "IviVersionNumber": 2,
                      "IntendedCountryRegistration": "H"}


def test_the_rules_are_named_and_values_recoded(converter):
    _, coc, report = converter.convert(build(BODY))
    transformed = {e["from"]: e for e in report["transformed"]}
    assert transformed["TypeApprovalTypeCode"]["value_to"] == coc["TypeApprovalType"] == "EU"
    assert "EC -> EU" in transformed["TypeApprovalTypeCode"]["rule"]
    assert coc["RightLeftHandTraffic"] == "RIGHT"
    assert transformed["PrimaryColourCode"]["to"] == "ColourTable[0].Colour" and coc["ColourTable"] == [{"Colour": "1"}]
    assert coc["MassGroup"] == {"MassInRunningOrder": 1695, "ActualMass": 1797}
    assert coc["SigningAuthorityTable"][0]["SignerName"] == "J Beyer"
    assert coc["AxleTable"][1]["TechnicallyPermissibleMassAxle"] == 1300
    mapped = {e["from"]: e["to"] for e in report["mapped"]}
    assert mapped["Length"] == "DimensionGroup.Length" and coc["DimensionGroup"] == {"Length": 4853}
    assert mapped["AxleTable[1].TyreAxleTable[0].TyreSize"] == "AxleTable[1].TyreAxleTable[0].TyreSize"
    assert coc["ManufacturerTable"][0]["ManufacturerName"] == "Ford-Werke GmbH"


def test_fields_without_a_counterpart_say_why(converter):
    _, _, report = converter.convert(build(BODY))
    why = {e["from"]: e["why"] for e in report["unmapped"]}
    assert "RemarkTable" in why["Remarks"]
    assert "first address" in why["StageNrOfManufacturingTable[0].AddressTable[1].Name"]
    assert "AddressTypeCode" not in why  # named by its full path, as every entry is
    assert "StageNrOfManufacturingTable[0].AddressTable[0].AddressTypeCode" in why
    assert "OdometerUnitCode" in why


def test_a_code_without_2_0_value_is_reported(converter):
    body = [(k, "NAT" if k == "TypeApprovalTypeCode" else v) for k, v in BODY]
    _, coc, report = converter.convert(build(body))
    assert "TypeApprovalType" not in coc
    assert {e["from"]: e["why"] for e in report["unmapped"]}["TypeApprovalTypeCode"] == "no IVI 2.0 code for 'NAT'"


def test_an_invalid_111_message_is_refused_naming_the_problem(converter):
    body = [(k, "not a mass" if k == "ActualMassOfTheVehicle" else v) for k, v in BODY]
    with pytest.raises(LegacyInputError, match="not a valid IVI 1.11 message: line"):
        converter.convert(build(body), "bad.xml")


def test_a_legacy_111_document_is_read_with_its_report_and_no_seal(converter):
    data = build(BODY)
    document = read_document("old.xml", data, converter.schema, converter.convert)
    assert (document.format, document.vin, document.data, document.version_number) == ("ivi1.11", VIN, data, 2)
    assert document.seal["status"] == "absent" and document.conversion["counts"]["mapped"] > 0
