"""Independent check of our seals with xmlsec1 (libxmlsec1/OpenSSL), not with signxml.

Skipped when xmlsec1 is missing, except in CI (environment variable CI set), where it must be installed
(`apt-get install -y xmlsec1`).
"""

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lxml import etree

from services.signing.domain.keys import FileKeyProvider, generate_self_signed, write_seal
from services.signing.domain.seal import DS_NS, Sealer
from tests.support import xmlsec1_command, xmlsec1_verify


def _ivi_dir() -> Path:
    schema = os.environ.get("ECOC_IVI_SCHEMA")
    if schema:
        return Path(schema).parent
    return Path(__file__).resolve().parents[3] / "shared" / "ivi"


SAMPLE = _ivi_dir() / "samples" / "M1-01-LexusRZ450e.xml"

pytestmark = pytest.mark.skipif(
    not SAMPLE.is_file(), reason=f"IVI 2.0 sample not found at {SAMPLE} (set ECOC_IVI_SCHEMA to the IVI2.0.xsd path)"
)

ENTITY = "TME"
ORG = "Toyota Motor Europe NV/SA"


@pytest.fixture(scope="session")
def xmlsec1():
    return xmlsec1_command()


@pytest.fixture(scope="session")
def seal_key(tmp_path_factory):
    keys_dir = tmp_path_factory.mktemp("xmlsec1-keys")
    write_seal(keys_dir, ENTITY, *generate_self_signed(ENTITY, ORG))  # one RSA-3072 key for this module
    return FileKeyProvider(keys_dir).get(ENTITY)


def unsigned_bytes() -> bytes:
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    root = etree.parse(str(SAMPLE), parser).getroot()
    root.remove(root.find(f"{{{DS_NS}}}Signature"))
    return etree.tostring(root)


def run_xmlsec1(xmlsec1: str, document: Path, trusted_pem: Path) -> subprocess.CompletedProcess:
    return xmlsec1_verify(document, trusted_pem)


@pytest.fixture
def files(tmp_path, seal_key):
    cert = tmp_path / "cert.pem"
    cert.write_bytes(seal_key.certificate_pem)
    return tmp_path, cert


def test_xmlsec1_accepts_our_seal(xmlsec1, seal_key, files):
    tmp_path, cert = files
    signed = tmp_path / "signed.xml"
    signed.write_bytes(Sealer(seal_key).seal(etree.fromstring(unsigned_bytes())))
    proc = run_xmlsec1(xmlsec1, signed, cert)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "OK" in output
    assert "SignedInfo References (ok/all): 1/1" in output


def test_xmlsec1_rejects_a_tampered_copy(xmlsec1, seal_key, files):
    tmp_path, cert = files
    sealed = Sealer(seal_key).seal(etree.fromstring(unsigned_bytes()))
    tampered = sealed.replace(b">JTJM1C0MPTEST0001<", b">JTJM1C0MPTEST0002<")
    assert tampered != sealed
    path = tmp_path / "tampered.xml"
    path.write_bytes(tampered)
    proc = run_xmlsec1(xmlsec1, path, cert)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "FAIL" in output
    assert "\nOK" not in "\n" + output


def test_xmlsec1_rejects_a_certificate_it_does_not_trust(xmlsec1, seal_key, files):
    tmp_path, _ = files
    other_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Other Manufacturer")])
    now = dt.datetime.now(dt.timezone.utc)
    other = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(other_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .sign(other_key, hashes.SHA256())
    )
    other_pem = tmp_path / "other.pem"
    other_pem.write_bytes(other.public_bytes(serialization.Encoding.PEM))
    signed = tmp_path / "signed.xml"
    signed.write_bytes(Sealer(seal_key).seal(etree.fromstring(unsigned_bytes())))
    proc = run_xmlsec1(xmlsec1, signed, other_pem)
    assert proc.returncode != 0, proc.stdout + proc.stderr


def test_xmlsec1_agrees_on_reference_canonicalisation(xmlsec1, seal_key, files):
    """With only the enveloped transform, the digest input is inclusive C14N 1.0. A namespace declared on the
    root but not used there makes exclusive and inclusive C14N differ: xmlsec1 must still accept the seal."""
    tmp_path, cert = files
    data = unsigned_bytes().replace(
        b'<InitialVehicleInformation xmlns="http://eu.ereg.initialvehicleinformation.v2">',
        b'<InitialVehicleInformation xmlns="http://eu.ereg.initialvehicleinformation.v2" xmlns:x="urn:example:x">',
        1,
    )
    assert b"xmlns:x=" in data
    signed = tmp_path / "signed-ns.xml"
    signed.write_bytes(Sealer(seal_key).seal(etree.fromstring(data)))
    proc = run_xmlsec1(xmlsec1, signed, cert)
    assert proc.returncode == 0, proc.stdout + proc.stderr
