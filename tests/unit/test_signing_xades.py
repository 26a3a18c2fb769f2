"""XAdES baseline-B seals (signxml's XAdES signer made interoperable): shape, schema, verification by our
verifier and by xmlsec1, and the ways a XAdES seal can be tampered with."""
import copy
import datetime as dt
import os
from pathlib import Path

import pytest
from lxml import etree

from common.ivi.xsd import SchemaValidator
from services.signing.domain.keys import FileKeyProvider, generate_self_signed, write_seal
from services.signing.domain.profile import C14N_EXC, TRANSFORM_ENVELOPED, XADES_NS, XADES_SIGNED_PROPERTIES
from services.signing.domain.seal import DS_NS, IVI_NS, Sealer
from services.signing.domain.verify import REASON_DIGEST, verify_document
from tests.support import xmlsec1_verify

IVI_DIR = Path(os.environ["ECOC_IVI_SCHEMA"]).parent if os.environ.get("ECOC_IVI_SCHEMA") else (
    Path(__file__).resolve().parents[3] / "shared" / "ivi")
SAMPLE = IVI_DIR / "samples" / "M1-02-CHR.xml"
XSD = IVI_DIR / "IVI2.0.xsd"

pytestmark = pytest.mark.skipif(not (SAMPLE.is_file() and XSD.is_file()),
                                reason=f"IVI 2.0 reference files not found in {IVI_DIR}")

NS = {"ds": DS_NS, "xades": XADES_NS, "i": IVI_NS}
ORG = "TOYOTA MOTOR EUROPE NV/SA"


def unsigned_root():
    root = etree.parse(str(SAMPLE), etree.XMLParser(remove_blank_text=True, resolve_entities=False)).getroot()
    root.remove(root.find("ds:Signature", NS))
    return root


@pytest.fixture(scope="module")
def seal_key(tmp_path_factory):
    keys_dir = tmp_path_factory.mktemp("xades-keys")
    write_seal(keys_dir, "TME", *generate_self_signed("TME", ORG))
    return FileKeyProvider(keys_dir).get("TME")


@pytest.fixture(scope="module")
def sealed(seal_key):
    return Sealer(seal_key, xades=True).seal(unsigned_root())


@pytest.fixture(scope="module")
def validator():
    return SchemaValidator(str(XSD))


def verdict(document, seal_key, validator=None):
    data = document if isinstance(document, bytes) else etree.tostring(document)
    return verify_document(data, [seal_key.certificate], validator)


def test_xades_shape(sealed):
    sig = etree.fromstring(sealed)[-1]
    assert sig.get("Id") and [etree.QName(c).localname for c in sig] == [
        "SignedInfo", "SignatureValue", "KeyInfo", "Object"]
    document_ref, properties_ref, key_info_ref = sig.findall("ds:SignedInfo/ds:Reference", NS)
    assert document_ref.get("URI") == ""
    assert [t.get("Algorithm") for t in document_ref.iterfind("ds:Transforms/ds:Transform", NS)] == [
        TRANSFORM_ENVELOPED]
    signed_properties = sig.find("ds:Object/xades:QualifyingProperties/xades:SignedProperties", NS)
    assert properties_ref.get("URI") == "#" + signed_properties.get("Id")
    assert properties_ref.get("Type") == XADES_SIGNED_PROPERTIES
    assert key_info_ref.get("URI") == "#" + sig.find("ds:KeyInfo", NS).get("Id")
    for ref in (properties_ref, key_info_ref):  # says what was digested (signxml alone lists no transform)
        assert [t.get("Algorithm") for t in ref.iterfind("ds:Transforms/ds:Transform", NS)] == [C14N_EXC]
    assert sig.find("ds:Object/xades:QualifyingProperties", NS).get("Target") == "#" + sig.get("Id")
    properties = signed_properties.find("xades:SignedSignatureProperties", NS)
    assert properties.find("xades:SigningTime", NS) is not None
    assert properties.find("xades:SigningCertificateV2/xades:Cert/xades:CertDigest", NS) is not None
    data_format = signed_properties.find("xades:SignedDataObjectProperties/xades:DataObjectFormat", NS)
    assert data_format.get("ObjectReference") == "#" + document_ref.get("Id")
    assert data_format.findtext("xades:MimeType", namespaces=NS) == "text/xml"
    assert sig.find(".//ds:KeyValue", NS) is None


def test_xades_seal_is_schema_valid_and_verifies(sealed, seal_key, validator):
    assert validator.validate_signed(sealed) == []
    result = verdict(sealed, seal_key, validator)
    assert result.valid, result.errors
    assert result.xades and result.vin == "JTAM1C0MPTEST0010" and result.version_number == 1
    assert abs(result.signed_at - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=5)
    plain = verdict(Sealer(seal_key).seal(unsigned_root()), seal_key)
    assert plain.valid and not plain.xades and plain.signed_at is None


def test_xmlsec1_accepts_the_xades_seal(sealed, seal_key, tmp_path):
    (tmp_path / "seal.pem").write_bytes(seal_key.certificate_pem)
    (tmp_path / "doc.xml").write_bytes(sealed)
    run = xmlsec1_verify(tmp_path / "doc.xml", tmp_path / "seal.pem", reference_uris="empty,same-doc")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SignedInfo References (ok/all): 3/3" in run.stdout + run.stderr


def test_changed_signing_time_is_rejected(sealed, seal_key):
    root = etree.fromstring(sealed)
    root.find(".//xades:SigningTime", NS).text = "2020-01-01T00:00:00+00:00"
    result = verdict(root, seal_key)
    assert not result.valid and any("Digest mismatch" in e or e == REASON_DIGEST for e in result.errors), result.errors


def test_changed_document_is_rejected(sealed, seal_key):
    tampered = sealed.replace(b"<VehicleIdentificationNumber>JTAM1C0MPTEST0010<",
                              b"<VehicleIdentificationNumber>JTAM1C0MPTEST0011<")
    result = verdict(tampered, seal_key)
    assert not result.valid and REASON_DIGEST in result.errors and result.vin is None


def _mutated(sealed, change):
    root = etree.fromstring(sealed)
    change(root, root[-1])
    return root


@pytest.mark.parametrize("change, reason", [
    (lambda root, sig: sig.find("ds:SignedInfo", NS).remove(sig.findall("ds:SignedInfo/ds:Reference", NS)[1]),
     "the xades:SignedProperties are not signed"),
    (lambda root, sig: sig.append(copy.deepcopy(sig.find("ds:Object", NS))),
     "one ds:Object (the XAdES QualifyingProperties) is allowed, found 2"),
    (lambda root, sig: etree.SubElement(sig.find("ds:Object", NS), "{urn:x}Extra"),
     "ds:Object may only hold xades:QualifyingProperties"),
    (lambda root, sig: sig.find("ds:Object/xades:QualifyingProperties", NS).set("Target", "#elsewhere"),
     "must target this ds:Signature"),
    # wrapping: a second element carrying the SignedProperties' Id, outside the signature
    (lambda root, sig: root.find("i:Header", NS).set(
        "Id", sig.find("ds:Object/xades:QualifyingProperties/xades:SignedProperties", NS).get("Id")),
     "occurs more than once in the document"),
    (lambda root, sig: sig.findall("ds:SignedInfo/ds:Reference", NS)[1].set("URI", "#nowhere"),
     "must point once to this signature's xades:SignedProperties or ds:KeyInfo"),
    (lambda root, sig: sig.find("ds:SignedInfo", NS).insert(2, sig.findall("ds:SignedInfo/ds:Reference", NS)[1]),
     'the first ds:Reference must have URI="" (whole document)'),
])
def test_xades_profile_deviations_are_rejected(sealed, seal_key, change, reason):
    result = verdict(_mutated(sealed, change), seal_key)
    assert not result.valid
    assert any(reason in e for e in result.errors), result.errors


def test_plain_seal_with_an_added_object_is_rejected(seal_key):
    root = etree.fromstring(Sealer(seal_key).seal(unsigned_root()))
    etree.SubElement(root[-1], f"{{{DS_NS}}}Object").text = "unsigned"
    result = verdict(root, seal_key)
    assert not result.valid and any("ds:Object may only hold" in e for e in result.errors), result.errors
