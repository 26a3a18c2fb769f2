"""Issuing eCoCs in process (`issue_batch`): each official sample, split into its type-level and vehicle-level
parts as the approvals and vehicles services keep them, comes back sealed with the same CocDataGroup; the
header, the checks before sealing and their findings.

The official schema and samples are read from ../shared/ivi (or next to ECOC_IVI_SCHEMA), never copied.
"""
import datetime as dt
import os
import re
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from lxml import etree

from common.composition import compose_coc
from common.ivi.catalogue import split_levels
from common.ivi.reader import read_ivi
from common.ivi.schema import IVI_NS, load_schema
from common.ivi.xsd import SchemaValidator
from services.signing.domain.issuance import issue_batch, organisations_named
from services.signing.domain.keys import SealKey, generate_self_signed
from services.signing.domain.seal import Sealer
from services.signing.domain.verify import verify_document
from tests.support import xmlsec1_verify

IVI_DIR = Path(os.environ["ECOC_IVI_SCHEMA"]).parent if os.environ.get("ECOC_IVI_SCHEMA") else (
    Path(__file__).resolve().parents[3] / "shared" / "ivi")
XSD = IVI_DIR / "IVI2.0.xsd"
SAMPLES = sorted((IVI_DIR / "samples").glob("*.xml"))

pytestmark = pytest.mark.skipif(not XSD.is_file() or len(SAMPLES) != 9,
                                reason=f"the official IVI 2.0 schema and nine samples are not in {IVI_DIR}")

NS = {"i": IVI_NS}
RECORD_ELEMENTS = ("VehicleIdentificationNumber", "DateManufactureVehicle")  # fields of the vehicle record
NOW = dt.datetime(2026, 7, 6, 9, 30, 15, 250000, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def schema():
    return load_schema(str(XSD))


@pytest.fixture(scope="module")
def validator():
    return SchemaValidator(str(XSD))


@pytest.fixture(scope="module")
def rsa_key():
    key_pem, _ = generate_self_signed("UNIT", "UNIT")  # one RSA-3072 key; each test names its own certificate
    return serialization.load_pem_private_key(key_pem, password=None)


def seal_for(key, organisation, not_before=None, not_after=None, xades=False):
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation[:50]} eCoC seal")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or NOW - dt.timedelta(days=300))
            .not_valid_after(not_after or NOW + dt.timedelta(days=400))
            .sign(key, hashes.SHA256()))
    return Sealer(SealKey("UNIT", key, cert, cert.public_bytes(serialization.Encoding.PEM)), xades=xades)


def as_kept(sample_bytes, schema):
    """The sample as the services keep it: (header, resolution of its approval, vehicle record, signatory)."""
    message = read_ivi(sample_bytes, schema)
    header, coc = message["header"], message["coc"]
    type_level, vehicle_level = split_levels(coc)
    [authority] = coc["SigningAuthorityTable"]
    vehicle = {"vin": coc["VehicleIdentificationNumber"], "revision": 1,
               "production_date": coc.get("DateManufactureVehicle") or authority["SignatureDate"],
               "intended_country": header.get("IntendedCountryRegistration"),
               "coc": {k: v for k, v in vehicle_level.items() if k not in RECORD_ELEMENTS}}
    resolution = {"ok": True, "coc": type_level, "number": coc["TypeApprovalNumber"], "revision": 1}
    signatory = {"sub": "signer", "name": authority["SignerName"], "position": authority["SignerPosition"],
                 "location": authority["SignatureLocation"]}
    return header, resolution, vehicle, signatory


def coc_c14n(document, signature_date=None):
    """The CocDataGroup, canonical: exclusive C14N after the children of every group (an `xs:all`, any order
    allowed, each element at most once) are put in name order; table rows keep their order. SignatureDate
    (the sealing date) is replaced when given."""
    root = etree.fromstring(document, etree.XMLParser(remove_blank_text=True, resolve_entities=False))
    coc = root.find("i:CocDataGroup", NS)
    if signature_date is not None:
        coc.find("i:SigningAuthorityTable/i:SigningAuthorityGroup/i:SignatureDate", NS).text = signature_date
    for element in list(coc.iter(etree.Element)):
        if len(element) and not element.tag.endswith("Table"):
            element[:] = sorted(element, key=lambda child: child.tag)
    return etree.tostring(coc, method="c14n", exclusive=True)


def xmlsec1_on(document, certificate_pem, tmp_path, reference_uris="empty"):
    (tmp_path / "doc.xml").write_bytes(document)
    (tmp_path / "seal.pem").write_bytes(certificate_pem)
    return xmlsec1_verify(tmp_path / "doc.xml", tmp_path / "seal.pem", reference_uris)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_each_official_sample_round_trips_sealed(sample, schema, validator, rsa_key, tmp_path):
    header, resolution, vehicle, signatory = as_kept(sample.read_bytes(), schema)
    organisation = organisations_named(resolution["coc"])[-1]  # the EU representative where there is one
    sealer = seal_for(rsa_key, organisation)
    result = issue_batch(schema, validator, sealer, [vehicle], [resolution], signatory, {vehicle["vin"]: 1},
                         now=NOW)
    assert result.failed == []
    [issued] = result.issued
    document = issued.document

    assert coc_c14n(document) == coc_c14n(sample.read_bytes(), signature_date=NOW.date().isoformat())
    assert validator.validate_signed(document) == []
    verdict = verify_document(document, [sealer.seal_key.certificate], validator, at=NOW)
    assert verdict.valid, verdict.errors
    assert (verdict.vin, verdict.reference_id, verdict.version_number) == (vehicle["vin"], issued.reference_id, 1)

    root = etree.fromstring(document)
    assert root.findtext("i:Header/i:DesignatedTypeApprovalCountry", namespaces=NS) == \
        header["DesignatedTypeApprovalCountry"]
    assert root.findtext("i:Header/i:IntendedCountryRegistration", namespaces=NS) == \
        header.get("IntendedCountryRegistration")  # present only when the vehicle names one (not on L1e, L5e)

    checked = xmlsec1_on(document, sealer.seal_key.certificate_pem, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_l_category_certificates_carry_no_date_of_manufacture_but_m_and_n_do(schema):
    for sample in SAMPLES:
        _, resolution, vehicle, _ = as_kept(sample.read_bytes(), schema)
        coc = compose_coc(resolution["coc"], vehicle)
        if "*168/2013*" in resolution["number"]:
            assert "DateManufactureVehicle" not in coc, sample.name
        else:
            assert coc["DateManufactureVehicle"] == vehicle["production_date"], sample.name
    # a normal import of an M1 vehicle: the production date becomes item 0.11
    _, resolution, vehicle, _ = as_kept(SAMPLES[2].read_bytes(), schema)
    assert compose_coc(resolution["coc"], dict(vehicle, production_date="2026-08-01"))[
        "DateManufactureVehicle"] == "2026-08-01"
    # an L vehicle whose own data states a date keeps it
    _, resolution, vehicle, _ = as_kept(SAMPLES[0].read_bytes(), schema)
    stated = dict(vehicle, coc=dict(vehicle["coc"], DateManufactureVehicle="2025-07-01"))
    assert compose_coc(resolution["coc"], stated)["DateManufactureVehicle"] == "2025-07-01"


@pytest.fixture
def m1(schema):
    return as_kept((IVI_DIR / "samples" / "M1-01-LexusRZ450e.xml").read_bytes(), schema)


def test_header_and_a_correction(m1, schema, validator, rsa_key):
    _, resolution, vehicle, signatory = m1
    sealer = seal_for(rsa_key, "TOYOTA MOTOR EUROPE NV/SA")
    first = issue_batch(schema, validator, sealer, [vehicle], [resolution], signatory, {vehicle["vin"]: 1},
                        now=NOW).issued[0]
    no_country = dict(vehicle, intended_country=None)
    second = issue_batch(schema, validator, sealer, [no_country], [resolution], signatory, {vehicle["vin"]: 2},
                         now=NOW + dt.timedelta(days=1)).issued[0]
    assert second.version_number == 2 and second.reference_id != first.reference_id
    for issued, version in ((first, "1"), (second, "2")):
        header = etree.fromstring(issued.document).find("i:Header", NS)
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                            header.findtext("i:IviReferenceId", namespaces=NS))
        assert header.findtext("i:IviVersionNumber", namespaces=NS) == version
        assert header.findtext("i:IviVersionNumberXsd", namespaces=NS) == "2.0"
        assert header.findtext("i:DesignatedTypeApprovalCountry", namespaces=NS) == "e6"
        # as the samples write it: milliseconds and an offset (2024-02-01T13:35:10.500+02:00)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d",
                            header.findtext("i:IviVersionDateTime", namespaces=NS))
    assert etree.fromstring(first.document).findtext("i:Header/i:IviVersionDateTime", namespaces=NS) == \
        "2026-07-06T09:30:15.250+00:00"
    assert etree.fromstring(second.document).find("i:Header/i:IntendedCountryRegistration", NS) is None


def test_the_same_inputs_give_the_same_unsigned_message(m1, schema):
    from common.ivi.writer import build_message, serialize
    from services.signing.domain.issuance import header_for

    _, resolution, vehicle, _ = m1
    header = dict(header_for(vehicle, resolution["number"], 1, NOW), IviReferenceId="0" * 8 + "-0000-4000-8000-" + "0" * 12)
    first = serialize(build_message(schema, header, compose_coc(resolution["coc"], vehicle)))
    again = serialize(build_message(schema, dict(header), compose_coc(resolution["coc"], dict(vehicle))))
    declaration, body = first.split(b"\n", 1)
    assert first == again and declaration == b"<?xml version='1.0' encoding='UTF-8'?>" and b"\n" not in body


def test_seal_certificate_checks_before_sealing(m1, schema, validator, rsa_key):
    _, resolution, vehicle, signatory = m1
    vins = {vehicle["vin"]: 1}

    def issue(sealer):
        return issue_batch(schema, validator, sealer, [vehicle], [resolution], signatory, vins, now=NOW)

    expired = issue(seal_for(rsa_key, "TOYOTA MOTOR EUROPE NV/SA", not_after=NOW - dt.timedelta(days=1)))
    assert expired.issued == [] and expired.failed[0].reason.startswith("seal certificate: certificate expired")

    wrong = issue(seal_for(rsa_key, "SOMEONE ELSE BV"))
    assert wrong.issued == []
    reason = wrong.failed[0].reason
    assert "SOMEONE ELSE BV" in reason and "TOYOTA MOTOR EUROPE NV/SA" in reason and "TOYOTA MOTOR CORPORATION" in reason

    soon = issue(seal_for(rsa_key, "TOYOTA MOTOR CORPORATION", not_after=NOW + dt.timedelta(days=12)))
    [issued] = soon.issued
    assert [(f["code"], f["severity"]) for f in issued.findings] == [("certificate_expires_soon", "warning")]
    assert "2026-07-18" in issued.findings[0]["message"] and soon.warnings == [issued.findings[0]["message"]]
    assert issue(seal_for(rsa_key, "TOYOTA MOTOR CORPORATION")).issued[0].findings == []

    # the signer (authorised signatory) is recorded in SigningAuthorityTable
    authority = etree.fromstring(issued.document).find(
        "i:CocDataGroup/i:SigningAuthorityTable/i:SigningAuthorityGroup", NS)
    assert [authority.findtext(f"i:{n}", namespaces=NS) for n in
            ("SignerName", "SignerPosition", "SignatureLocation", "SignatureDate")] == [
        signatory["name"], signatory["position"], signatory["location"], "2026-07-06"]


def test_xades_and_ecdsa_certificates_validate_and_verify(m1, schema, validator, tmp_path):
    from cryptography.hazmat.primitives.asymmetric import ec

    _, resolution, vehicle, signatory = m1
    sealer = seal_for(ec.generate_private_key(ec.SECP256R1()), "TOYOTA MOTOR EUROPE NV/SA", xades=True)
    [issued] = issue_batch(schema, validator, sealer, [vehicle], [resolution], signatory, {vehicle["vin"]: 1},
                           now=NOW).issued
    assert b"xmldsig-more#ecdsa-sha256" in issued.document and b"xades:SignedProperties" in issued.document
    assert validator.validate_signed(issued.document) == []
    verdict = verify_document(issued.document, [sealer.seal_key.certificate], validator, at=NOW)
    assert verdict.valid and verdict.xades, verdict.errors
    checked = xmlsec1_on(issued.document, sealer.seal_key.certificate_pem, tmp_path, "empty,same-doc")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_pinned_vehicle_is_sealed_only_as_reviewed(m1, schema, validator, rsa_key):
    from common.composition import reviewed_content

    _, resolution, vehicle, signatory = m1
    resolution = dict(resolution, approval_id="a1", in_force_revision=1)
    sealer = seal_for(rsa_key, "TOYOTA MOTOR EUROPE NV/SA")
    _, digest = reviewed_content(resolution["coc"], vehicle)
    pinned = {"approval_id": "a1", "approval_revision": 1, "content_sha256": digest}

    def issue(vehicle, resolution, require_pin=True):
        return issue_batch(schema, validator, sealer, [vehicle], [resolution], signatory, {vehicle["vin"]: 1},
                           now=NOW, require_pin=require_pin)

    [sealed] = issue(dict(vehicle, pinned=pinned), resolution).issued
    assert sealed.content_sha256 == digest
    changed = dict(vehicle, pinned=pinned, coc=dict(vehicle["coc"], ColourTable=[{"Colour": "9"}]))
    [failed] = issue(changed, resolution).failed
    assert failed.reason.startswith("content: the composed CoC") and digest in failed.reason
    [failed] = issue(dict(vehicle, pinned=pinned), dict(resolution, in_force_revision=2)).failed
    assert failed.reason.startswith("approval: revision 2") and "reviewed again" in failed.reason
    [failed] = issue(dict(vehicle, pinned=dict(pinned, approval_id="other")), resolution).failed
    assert failed.reason.startswith("approval:")
    [failed] = issue(vehicle, resolution).failed
    assert failed.reason == "content: no reviewed content is pinned for this vehicle"
    assert issue(vehicle, resolution, require_pin=False).issued[0].content_sha256 == digest
