"""What an approval may hold (CoC data, versions, ranges), approval numbers, and the legal entity behind it:
every refusal names its field."""
import copy
import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cli import demo_data
from common.approval_number import parse_approval_number
from common.contracts.approvals import ApprovalIn
from common.ivi import load_schema
from services.approvals.domain.entities import identity_clashes, naming_problem, seal_certificate_problem
from services.approvals.domain.registration import ranges_errors, registration_errors

XSD_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "ivi" / "IVI2.0.xsd"


@pytest.fixture(scope="module")
def schema():
    if not XSD_PATH.is_file():
        pytest.skip(f"the IVI schema is not at {XSD_PATH}")
    return load_schema(XSD_PATH)


def body(**changes):
    data = copy.deepcopy(ApprovalIn().load(demo_data.approval()))  # never change the demo's own data
    data.update(copy.deepcopy(changes))
    return data


def fields(schema, data, legal_name=demo_data.LEGAL_NAME):
    return [e["field"] for e in registration_errors(schema, data, legal_name)]


# -- the registration as a whole ----------------------------------------------------------------------


def test_the_demo_approval_is_fine(schema):
    assert registration_errors(schema, body(), demo_data.LEGAL_NAME) == []


def test_coc_problems_are_named_below_coc_and_below_each_version(schema):
    data = body()
    data["coc"]["MassGroup"] = {"ActualMass": 1900}
    data["coc"]["AxleTable"][1]["TyreAxleTable"][0]["RimSize"] = "8.00X19 ET45 ALLOY RIMS"
    data["versions"][0]["coc"]["MassGroup"]["TechnicallyPermissibleMaximumLadenMass"] = "heavy"
    data["versions"][0]["coc"]["Colour"] = "1"
    assert fields(schema, data) == [
        "coc.AxleTable[1].TyreAxleTable[0].RimSize", "coc.MassGroup.ActualMass",
        "versions[0].coc.MassGroup.TechnicallyPermissibleMaximumLadenMass", "versions[0].coc.Colour"]


def test_identity_elements_are_fields_of_the_approval_not_coc(schema):
    data = body(coc=dict(demo_data.TYPE_LEVEL, TypeApprovalNumber=demo_data.APPROVAL_NUMBER, VehicleCategory="M1"))
    data["versions"][0]["coc"]["Version"] = "X"
    errors = registration_errors(schema, data, demo_data.LEGAL_NAME)
    assert [e["field"] for e in errors] == ["coc.TypeApprovalNumber", "coc.VehicleCategory", "versions[0].coc.Version"]
    assert errors[0]["message"] == "TypeApprovalNumber is given by the field `number`, not by coc"


def test_category_and_version_identity_follow_the_schema(schema):
    data = body(category="M9")
    data["versions"][0]["version"] = " "
    assert fields(schema, data) == ["category", "versions[0].version"]
    assert fields(schema, body(category="L3e-A2")) == []


def test_a_version_listed_twice(schema):
    data = body()
    data["versions"].append(copy.deepcopy(data["versions"][0]))
    errors = registration_errors(schema, data, demo_data.LEGAL_NAME)
    assert [(e["field"], e["message"]) for e in errors] == [
        ("versions[1]", "NWA1 / NWA1-RWD / NWA1-RWD-LR is listed twice (versions[0])")]


def test_the_entity_must_be_named_in_the_approval(schema):
    errors = registration_errors(schema, body(), "SOMEONE ELSE NV")
    assert [e["field"] for e in errors] == ["entity"]
    assert "'SOMEONE ELSE NV'" in errors[0]["message"] and f"'{demo_data.LEGAL_NAME}'" in errors[0]["message"]
    assert fields(schema, body(), "nordwind   automotive nv") == []  # case and spacing do not matter


def test_the_eu_representative_may_hold_the_approval(schema):
    coc = dict(demo_data.TYPE_LEVEL, EURepresentativeGroup={"EURepresentativeName": "NORDWIND EUROPE NV"})
    assert naming_problem("NORDWIND EUROPE NV", coc) is None
    assert naming_problem("OTHER", {"MaximumSpeed": 180}) is None  # nothing named, nothing to compare


def test_without_a_schema_only_the_shape_is_judged():
    data = body(category="M9")
    data["coc"]["Colour"] = "1"
    assert fields(None, data) == []
    data["coc"]["TypeApprovalNumber"] = "x"
    assert fields(None, data) == ["coc.TypeApprovalNumber"]


# -- approved ranges --------------------------------------------------------------------------------------


@pytest.mark.parametrize("ranges, expected", [
    ({"MassGroup.MassInRunningOrder": {"min": 1860, "max": 1960}}, []),
    ({"AxleTable[0].TechnicallyPermissibleMassAxle": {"min": 1100, "max": 1200}}, []),
    ({"MassGroup.Mass": {"min": 1, "max": 2}}, ["r.MassGroup.Mass"]),
    ({"Header.IviVersionNumber": {"min": 1, "max": 2}}, ["r.Header.IviVersionNumber"]),
    ({"MakeTable.MakeGroup.Make": {"min": 1, "max": 2}}, ["r.MakeTable.MakeGroup.Make"]),
    ({"MassGroup": {"min": 1, "max": 2}}, ["r.MassGroup"]),
    ({"MassGroup.MassInRunningOrder": {"min": 1960, "max": 1860}}, ["r.MassGroup.MassInRunningOrder"]),
    ({"MassGroup.MassInRunningOrder": {"min": -1, "max": 1860}}, ["r.MassGroup.MassInRunningOrder.min"]),
    ({"MassGroup.MassInRunningOrder": {"min": "1860", "max": 1960.5}},
     ["r.MassGroup.MassInRunningOrder.min", "r.MassGroup.MassInRunningOrder.max"]),
    ({"MassGroup.MassInRunningOrder": {"min": 1860}}, ["r.MassGroup.MassInRunningOrder"]),
    ({"MassGroup.MassInRunningOrder": [1860, 1960]}, ["r.MassGroup.MassInRunningOrder"]),
    ({"MassGroup.MassInRunningOrder": {"min": 1, "max": 2, "step": 1}}, ["r.MassGroup.MassInRunningOrder"]),
    ({"WltpEmissionTestParametersGroup.WltpRoadLoadCoefficientF1": {"min": -0.5, "max": 0.25}}, []),
])
def test_ranges(schema, ranges, expected):
    assert [e["field"] for e in ranges_errors(schema, ranges, "r")] == expected


def test_range_messages(schema):
    [reversed_] = ranges_errors(schema, {"MassGroup.MassInRunningOrder": {"min": 1960, "max": 1860}}, "r")
    assert reversed_["message"] == "min 1960 is above max 1860"
    [text] = ranges_errors(schema, {"MakeTable.MakeGroup.Make": {"min": 1, "max": 2}}, "r")
    assert text["message"] == "Make is not a numeric element: ranges are approved for numbers only"


# -- approval numbers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, base, extension", [
    ("e6*2018/858*00264*01", "e6*2018/858*00264", 1),
    ("e6*2007/46*0289*09", "e6*2007/46*0289", 9),
    ("e13*168/2013*01303*00", "e13*168/2013*01303", 0),
    ("e4*KS07/46*1234*00", "e4*KS07/46*1234", 0),
])
def test_approval_numbers(text, base, extension):
    number = parse_approval_number(text)
    assert (number.base, number.extension) == (base, extension)
    assert number.with_extension(12) == f"{base}*12"


@pytest.mark.parametrize("text", ["e6*2018/858*264*01", "e11*2018/858*00264*01", "E6*2018/858*00264*01",
                                  "e6*2018/858*00264*1", "e6*2018/858*00264"])
def test_malformed_approval_numbers(text):
    with pytest.raises(ValueError):
        parse_approval_number(text)


def test_an_extension_has_two_digits():
    with pytest.raises(ValueError):
        parse_approval_number("e6*2018/858*00264*01").with_extension(100)


# -- seal certificates ------------------------------------------------------------------------------------------


def certificate(organisation):
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.NameAttribute(NameOID.COMMON_NAME, "seal")]
    if organisation:
        names.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    subject = x509.Name(names)
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def test_the_seal_certificate_must_be_the_entitys():
    cert, key = certificate("NORDWIND AUTOMOTIVE NV")
    assert seal_certificate_problem(cert, "Nordwind Automotive NV") is None
    assert seal_certificate_problem(cert, "ACME CARS NV") == (
        "the seal certificate's organisation (O) is 'NORDWIND AUTOMOTIVE NV' but the entity's legal name is "
        "'ACME CARS NV'")
    assert "no organisation (O)" in seal_certificate_problem(certificate(None)[0], "ACME CARS NV")
    assert "private key" in seal_certificate_problem(cert + key, "NORDWIND AUTOMOTIVE NV")
    assert seal_certificate_problem("-----BEGIN CERTIFICATE-----\nnope\n", "X") == "not a PEM-encoded X.509 certificate"


def test_a_legal_name_or_wmi_of_another_entity_is_taken_and_nothing_more_is_said():
    others = [{"legal_name": "Nordwind  Automotive nv", "wmis": ["NWA", "NWB"]}, {"legal_name": "X", "wmis": []}]
    mine = {"legal_name": demo_data.LEGAL_NAME, "wmis": ["ABC", "NWB"]}
    assert identity_clashes(mine, others) == [{"field": "legal_name", "message": "this legal name is taken"},
                                              {"field": "wmis[1]", "message": "the WMI NWB is taken"}]
    assert identity_clashes(dict(mine, legal_name="NEW CARS NV", wmis=["ABC"]), others) == []
