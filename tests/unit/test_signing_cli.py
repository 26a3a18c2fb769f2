"""`ecoc verify` in process: pinned certificates only, the answer names signer, reference id, VIN, version."""
import io
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from lxml import etree

from cli.verify import verify_file
from services.signing.domain.keys import FileKeyProvider, generate_self_signed, write_seal
from services.signing.domain.seal import Sealer

IVI_DIR = Path(os.environ["ECOC_IVI_SCHEMA"]).parent if os.environ.get("ECOC_IVI_SCHEMA") else (
    Path(__file__).resolve().parents[3] / "shared" / "ivi")
SAMPLE = IVI_DIR / "samples" / "M1-03-Mirai.xml"

pytestmark = pytest.mark.skipif(not SAMPLE.is_file(), reason=f"IVI 2.0 sample not found in {IVI_DIR}")


@pytest.fixture(scope="module")
def seal(tmp_path_factory):
    keys_dir = tmp_path_factory.mktemp("cli-keys")
    write_seal(keys_dir, "TME", *generate_self_signed("TME", "TOYOTA MOTOR EUROPE NV/SA"))
    return FileKeyProvider(keys_dir).get("TME")


@pytest.fixture
def document(seal, tmp_path):
    root = etree.parse(str(SAMPLE), etree.XMLParser(remove_blank_text=True)).getroot()
    root.remove(root[-1])
    path = tmp_path / "ecoc.xml"
    path.write_bytes(Sealer(seal, xades=True).seal(root))
    return path


def run(path, cert=None):
    out = io.StringIO()
    return verify_file(str(path), cert, out=out), out.getvalue()


def test_verify_with_a_pinned_certificate(document, seal, tmp_path):
    pem = tmp_path / "seal.pem"
    pem.write_bytes(seal.certificate_pem)
    status, text = run(document, pem)
    assert status == 0, text
    reference = etree.parse(str(SAMPLE)).findtext("{*}Header/{*}IviReferenceId")
    assert f"VIN JTDM1C0MPTEST0001  reference {reference}" in text
    assert "version 1" in text and "sealed by TOYOTA MOTOR EUROPE NV/SA" in text and "XAdES baseline-B" in text

    other = tmp_path / "other.pem"
    other.write_bytes(generate_self_signed("XX", "SOMEONE ELSE")[1])
    status, text = run(document, other)
    assert status == 1 and "INVALID" in text and "untrusted certificate" in text


def test_default_anchors_are_the_installation_seals(document, seal, tmp_path, monkeypatch):
    keys_dir = tmp_path / "keys"
    keys_dir.mkdir()
    (keys_dir / "TME.p12").write_bytes(pkcs12.serialize_key_and_certificates(
        b"seal", seal.private_key, seal.certificate, None, serialization.NoEncryption()))
    monkeypatch.setenv("ECOC_KEYS_DIR", str(keys_dir))
    assert run(document)[0] == 0
    (keys_dir / "TME.p12").unlink()
    assert run(document)[0] == 1  # nothing pinned: never the system CA store
    (keys_dir / "TME.cert.pem").write_bytes(seal.certificate_pem)  # a public certificate alone is enough
    assert run(document)[0] == 0
