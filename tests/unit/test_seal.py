"""Sealing and verifying IVI 2.0 documents (EUCARIS enveloped XML-DSig profile)."""

import base64
import copy
import datetime as dt
import hashlib
import os
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from lxml import etree

from services.signing.domain.keys import (
    FileKeyProvider,
    KeyLoadError,
    KeyNotFound,
    SealKey,
    ensure_local_seal,
    generate_self_signed,
    passphrase_env_var,
    write_seal,
)
from services.signing.domain.seal import DS_NS, IVI_NS, SealError, Sealer, sha256_hex
from services.signing.domain.seal_checks import check_certificate
from services.signing.domain.verify import (
    REASON_DIGEST,
    REASON_REFORMATTED,
    REASON_SIGNATURE,
    REASON_UNSIGNED,
    REASON_UNTRUSTED,
    verify_document,
)


def _ivi_dir() -> Path:
    schema = os.environ.get("ECOC_IVI_SCHEMA")
    if schema:
        return Path(schema).parent
    return Path(__file__).resolve().parents[3] / "shared" / "ivi"


IVI_DIR = _ivi_dir()
SAMPLE = IVI_DIR / "samples" / "M1-01-LexusRZ450e.xml"
XSD = IVI_DIR / "IVI2.0.xsd"

pytestmark = pytest.mark.skipif(
    not (SAMPLE.is_file() and XSD.is_file()),
    reason=f"IVI 2.0 reference files not found in {IVI_DIR} (set ECOC_IVI_SCHEMA to the IVI2.0.xsd path)",
)

ENTITY = "TME"
ORG = "Toyota Motor Europe NV/SA"
VIN = "JTJM1C0MPTEST0001"
REFERENCE_ID = "6a2957d3-4a32-41a6-a2d0-50681e0bf5e1"
NS = {"ds": DS_NS, "ivi": IVI_NS}

PROFILE = {
    "c14n": "http://www.w3.org/2001/10/xml-exc-c14n#",
    "signature": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "transform": "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
    "digest": "http://www.w3.org/2001/04/xmlenc#sha256",
}


# ----------------------------------------------------------------------------------------- fixtures
def unsigned_root() -> etree._Element:
    """The official sample without its placeholder signature, whitespace between elements removed."""
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    root = etree.parse(str(SAMPLE), parser).getroot()
    placeholder = root.find("ds:Signature", NS)
    root.remove(placeholder)
    return root


def make_cert(key, org=ORG, not_before=None, not_after=None, cn=None) -> x509.Certificate:
    now = dt.datetime.now(dt.timezone.utc)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn or f"{org} eCoC seal"),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=1))
        .not_valid_after(not_after or now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )


def seal_key_for(key, cert, entity=ENTITY) -> SealKey:
    return SealKey(entity, key, cert, cert.public_bytes(serialization.Encoding.PEM), [])


@pytest.fixture(scope="session")
def seal_pems():
    """One RSA-3072 key for the whole session (generation is slow)."""
    return generate_self_signed(ENTITY, ORG)


@pytest.fixture(scope="session")
def seal_key(seal_pems, tmp_path_factory) -> SealKey:
    keys_dir = tmp_path_factory.mktemp("keys")
    write_seal(keys_dir, ENTITY, *seal_pems)
    return FileKeyProvider(keys_dir).get(ENTITY)


@pytest.fixture(scope="session")
def sealed(seal_key) -> bytes:
    return Sealer(seal_key).seal(unsigned_root())


@pytest.fixture(scope="session")
def schema():
    return etree.XMLSchema(etree.parse(str(XSD)))


@pytest.fixture(scope="session")
def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


# ------------------------------------------------------------------------------------- happy path
def test_sealed_document_verifies_with_pinned_certificate(sealed, seal_key):
    result = verify_document(sealed, [seal_key.certificate_pem])
    assert result.valid, result.errors
    assert result.errors == []
    assert result.vin == VIN
    assert result.reference_id == REFERENCE_ID
    assert result.version_number == 1
    assert result.signer.organisation == ORG
    assert result.signer.common_name == f"{ORG} eCoC seal"
    # a cryptography certificate object is accepted as well
    assert verify_document(sealed, [seal_key.certificate]).valid


def test_signed_info_is_exactly_the_profile(sealed, seal_key):
    root = etree.fromstring(sealed)
    sig = root[-1]
    assert sig.tag == f"{{{DS_NS}}}Signature"
    assert sig.attrib == {}  # no Id
    assert len(list(root.iter(f"{{{DS_NS}}}Signature"))) == 1
    assert [etree.QName(c).localname for c in sig] == ["SignedInfo", "SignatureValue", "KeyInfo"]
    si = sig.find("ds:SignedInfo", NS)
    assert [etree.QName(c).localname for c in si] == ["CanonicalizationMethod", "SignatureMethod", "Reference"]
    assert si.find("ds:CanonicalizationMethod", NS).attrib == {"Algorithm": PROFILE["c14n"]}
    assert si.find("ds:SignatureMethod", NS).attrib == {"Algorithm": PROFILE["signature"]}
    ref = si.find("ds:Reference", NS)
    assert ref.attrib == {"URI": ""}
    assert [t.attrib for t in ref.findall("ds:Transforms/ds:Transform", NS)] == [{"Algorithm": PROFILE["transform"]}]
    assert ref.find("ds:DigestMethod", NS).attrib == {"Algorithm": PROFILE["digest"]}
    key_info = sig.find("ds:KeyInfo", NS)
    assert [etree.QName(c).localname for c in key_info] == ["X509Data"]
    certs = key_info.findall("ds:X509Data/ds:X509Certificate", NS)
    assert len(certs) == 1
    assert base64.b64decode("".join(certs[0].text.split())) == seal_key.certificate.public_bytes(
        serialization.Encoding.DER
    )


def test_reference_digest_is_inclusive_c14n_of_the_document_without_signature(sealed):
    """Only the enveloped transform is listed, so the digest input is inclusive C14N 1.0 (XML-DSig default)."""
    root = etree.fromstring(sealed)
    digest_value = root.find("ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestValue", NS).text
    root.remove(root[-1])
    c14n = etree.tostring(root, method="c14n", exclusive=False, with_comments=False)
    assert base64.b64encode(hashlib.sha256(c14n).digest()).decode() == digest_value


def test_namespace_declared_but_unused_on_root_still_verifies(seal_key):
    """Exclusive and inclusive C14N differ here; signer and verifier must both use inclusive C14N 1.0."""
    data = etree.tostring(unsigned_root()).replace(
        f'<InitialVehicleInformation xmlns="{IVI_NS}">'.encode(),
        f'<InitialVehicleInformation xmlns="{IVI_NS}" xmlns:x="urn:example:x">'.encode(),
        1,
    )
    sealed = Sealer(seal_key).seal(etree.fromstring(data))
    assert b'xmlns:x="urn:example:x"' in sealed
    result = verify_document(sealed, [seal_key.certificate_pem])
    assert result.valid, result.errors


def test_sealed_bytes_are_final_utf8_without_pretty_printing(sealed):
    declaration = b"<?xml version='1.0' encoding='UTF-8'?>\n"
    assert sealed.startswith(declaration + b"<InitialVehicleInformation")
    assert b"\n" not in sealed[len(declaration):]  # no indentation, single-line certificate
    assert sealed.endswith(b"</ds:Signature></InitialVehicleInformation>")
    assert sha256_hex(sealed) == hashlib.sha256(sealed).hexdigest()


def test_sealed_document_validates_against_official_xsd(sealed, schema):
    doc = etree.fromstring(sealed)
    assert schema.validate(doc), schema.error_log


def test_seal_normalises_indentation_and_leaves_input_untouched(seal_key):
    pretty_root = etree.parse(str(SAMPLE)).getroot()
    pretty_root.remove(pretty_root.find("ds:Signature", NS))
    before = etree.tostring(pretty_root)
    sealed = Sealer(seal_key).seal(pretty_root)
    assert etree.tostring(pretty_root) == before
    assert b"\n\t" not in sealed
    assert verify_document(sealed, [seal_key.certificate_pem]).valid


def test_seal_refuses_already_signed_or_foreign_documents(seal_key, sealed):
    with pytest.raises(SealError, match="already contains a ds:Signature"):
        Sealer(seal_key).seal(etree.fromstring(sealed))
    with pytest.raises(SealError, match="root element"):
        Sealer(seal_key).seal(etree.fromstring(b"<other/>"))


def test_ecdsa_seal_when_key_is_ec(ec_key, seal_key):
    key = seal_key_for(ec_key, make_cert(ec_key))
    with pytest.raises(ValueError, match="rsa-sha256 needs an RSA key"):
        Sealer(key, algorithm="rsa-sha256")
    with pytest.raises(ValueError, match="ecdsa-sha256 needs an EC key"):
        Sealer(seal_key, algorithm="ecdsa-sha256")
    assert Sealer(key).signature_method == Sealer(key, algorithm="ecdsa-sha256").signature_method  # the key decides
    sealed = Sealer(key).seal(unsigned_root())
    sig_method = etree.fromstring(sealed).find("ds:Signature/ds:SignedInfo/ds:SignatureMethod", NS)
    assert sig_method.get("Algorithm") == "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
    result = verify_document(sealed, [key.certificate])
    assert result.valid, result.errors
    assert result.vin == VIN


# ------------------------------------------------------------------------------------- negatives
def test_one_changed_byte_in_a_text_node_is_rejected(sealed, seal_key):
    tampered = sealed.replace(b"<VehicleIdentificationNumber>JTJM1C0MPTEST0001<", b"<VehicleIdentificationNumber>JTJM1C0MPTEST0002<")
    assert len(tampered) == len(sealed) and tampered != sealed
    result = verify_document(tampered, [seal_key.certificate_pem])
    assert not result.valid
    assert REASON_DIGEST in result.errors
    assert result.vin is None  # nothing is read from unverified data


def test_pretty_printed_copy_is_rejected(sealed, seal_key):
    pretty = etree.tostring(etree.fromstring(sealed), pretty_print=True, xml_declaration=True, encoding="UTF-8")
    result = verify_document(pretty, [seal_key.certificate_pem])
    assert not result.valid
    assert any(e.startswith(REASON_SIGNATURE) for e in result.errors), result.errors
    assert REASON_REFORMATTED in result.errors


def test_signature_moved_inside_the_document_is_rejected(sealed, seal_key):
    root = etree.fromstring(sealed)
    sig = root[-1]
    root.find("ivi:CocDataGroup", NS).append(sig)
    result = verify_document(etree.tostring(root), [seal_key.certificate_pem])
    assert not result.valid
    assert any("must be the last child of the root" in e for e in result.errors), result.errors


def test_signed_document_wrapped_inside_a_forged_one_is_rejected(sealed, seal_key):
    original = etree.fromstring(sealed)
    # Variant 1: forged root, the untouched signed document (with its signature) nested inside.
    forged = unsigned_root()
    forged.find("ivi:CocDataGroup/ivi:VehicleIdentificationNumber", NS).text = "WVWZZZ1JZXW000001"
    forged.append(copy.deepcopy(original))
    result = verify_document(etree.tostring(forged), [seal_key.certificate_pem])
    assert not result.valid
    assert any("must be the last child of the root" in e for e in result.errors), result.errors

    # Variant 2: the signature is lifted to the forged root; the signed content is wrapped in an extra element.
    forged = unsigned_root()
    forged.find("ivi:CocDataGroup/ivi:VehicleIdentificationNumber", NS).text = "WVWZZZ1JZXW000001"
    signed = copy.deepcopy(original)
    sig = signed[-1]
    signed.remove(sig)
    wrapper = etree.SubElement(forged, f"{{{IVI_NS}}}Extension")
    wrapper.append(signed)
    forged.append(sig)
    result = verify_document(etree.tostring(forged), [seal_key.certificate_pem])
    assert not result.valid
    assert REASON_DIGEST in result.errors
    assert result.vin is None


def test_unsigned_document_is_rejected(seal_key):
    result = verify_document(etree.tostring(unsigned_root()), [seal_key.certificate_pem])
    assert not result.valid
    assert result.errors == [REASON_UNSIGNED]


def test_official_placeholder_signature_is_rejected(seal_key):
    result = verify_document(SAMPLE.read_bytes(), [seal_key.certificate_pem])
    assert not result.valid
    assert any(e.startswith(REASON_UNTRUSTED) for e in result.errors), result.errors


def test_different_certificate_is_untrusted(sealed, ec_key):
    other = make_cert(ec_key, org="Other Manufacturer")
    result = verify_document(sealed, [other])
    assert not result.valid
    assert any(e.startswith(REASON_UNTRUSTED) for e in result.errors), result.errors
    assert verify_document(sealed, []).errors[0].startswith(REASON_UNTRUSTED)


def test_trusted_certificate_embedded_but_signed_with_another_key(seal_key, ec_key):
    """An attacker copies the trusted certificate into KeyInfo but signs with their own key."""
    own = seal_key_for(ec_key, make_cert(ec_key))
    forged = etree.fromstring(Sealer(own, algorithm="ecdsa-sha256").seal(unsigned_root()))
    cert_el = forged.find("ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
    cert_el.text = base64.b64encode(seal_key.certificate.public_bytes(serialization.Encoding.DER)).decode()
    result = verify_document(etree.tostring(forged), [seal_key.certificate_pem])
    assert not result.valid
    assert any(e.startswith(REASON_SIGNATURE) or e.startswith("malformed seal") for e in result.errors), result.errors


def test_profile_deviations_are_rejected(sealed, seal_key):
    root = etree.fromstring(sealed)
    root.find("ds:Signature/ds:SignedInfo/ds:CanonicalizationMethod", NS).set(
        "Algorithm", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
    )
    result = verify_document(etree.tostring(root), [seal_key.certificate_pem])
    assert not result.valid and any("CanonicalizationMethod must be" in e for e in result.errors)

    root = etree.fromstring(sealed)
    si = root.find("ds:Signature/ds:SignedInfo", NS)
    si.append(copy.deepcopy(si.find("ds:Reference", NS)))
    result = verify_document(etree.tostring(root), [seal_key.certificate_pem])
    assert not result.valid and any("exactly one ds:Reference" in e for e in result.errors)


def test_expired_certificate_fails_verification_now_but_not_at_sealing_time(seal_key):
    now = dt.datetime.now(dt.timezone.utc)
    old = make_cert(seal_key.private_key, not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=10))
    sealed = Sealer(seal_key_for(seal_key.private_key, old)).seal(unsigned_root())
    result = verify_document(sealed, [old])
    assert not result.valid
    assert any("not valid at verification time" in e and "expired" in e for e in result.errors), result.errors
    assert verify_document(sealed, [old], at=now - dt.timedelta(days=20)).valid


def test_bad_input_never_raises(seal_key):
    for data in (b"", b"not xml", b"<a><b></a>", None, "text", b'<!DOCTYPE x [<!ENTITY e "v">]><x>&e;</x>'):
        result = verify_document(data, [seal_key.certificate_pem])
        assert not result.valid and result.errors
    assert "DTD" in verify_document(b'<!DOCTYPE x [<!ENTITY e "v">]><x>&e;</x>', []).errors[0]


def test_schema_validator_issues_are_reported(sealed, seal_key):
    class Issue:
        def __init__(self, message):
            self.message = message

    class Validator:
        def __init__(self):
            self.seen = None

        def validate_signed(self, xml_bytes):
            self.seen = xml_bytes
            return [Issue("element Foo not expected")]

    validator = Validator()
    result = verify_document(sealed, [seal_key.certificate_pem], schema_validator=validator)
    assert validator.seen == sealed
    assert not result.valid
    assert result.errors == ["schema: element Foo not expected"]
    assert result.vin == VIN  # the seal itself was fine


# ------------------------------------------------------------------------------ certificate checks
def test_generated_certificate_profile(seal_key):
    cert = seal_key.certificate
    assert seal_key.private_key.key_size == 3072
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == ORG
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == f"{ORG} eCoC seal"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == ENTITY
    assert cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "BE"
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and ku.content_commitment and not ku.key_cert_sign
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False


def test_check_certificate_ok_and_organisation_matching(seal_key):
    today = dt.date.today()
    assert check_certificate(seal_key.certificate, today, ["  toyota motor   EUROPE nv/sa "]) == []
    assert check_certificate(seal_key.certificate, today, ["TOYOTA MOTOR CORPORATION", ORG]) == []
    findings = check_certificate(seal_key.certificate, today, ["TOYOTA MOTOR CORPORATION"])
    assert [(f.code, f.severity) for f in findings] == [("certificate_organisation_mismatch", "error")]
    assert "TOYOTA MOTOR CORPORATION" in findings[0].message and ORG in findings[0].message


def test_check_certificate_expired_and_not_yet_valid(ec_key):
    cert = make_cert(ec_key, not_before=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
                     not_after=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))
    expired = check_certificate(cert, dt.date(2025, 3, 1), [ORG])
    assert [(f.code, f.severity) for f in expired] == [("certificate_expired", "error")]
    assert "2025-01-01" in expired[0].message
    early = check_certificate(cert, dt.datetime(2023, 12, 31, tzinfo=dt.timezone.utc), [ORG])
    assert [(f.code, f.severity) for f in early] == [("certificate_not_yet_valid", "error")]
    assert "2024-01-01" in early[0].message


def test_check_certificate_warns_30_days_before_expiry(ec_key):
    cert = make_cert(ec_key, not_before=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
                     not_after=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))
    soon = check_certificate(cert, dt.date(2024, 12, 10), [ORG])
    assert [(f.code, f.severity) for f in soon] == [("certificate_expires_soon", "warning")]
    assert check_certificate(cert, dt.date(2024, 11, 1), [ORG]) == []


# --------------------------------------------------------------------------------------- key files
def test_write_seal_modes_and_pem_loading(tmp_path, seal_pems):
    key_path, cert_path = write_seal(tmp_path, ENTITY, *seal_pems)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        write_seal(tmp_path, ENTITY, *seal_pems)
    provider = FileKeyProvider(tmp_path)
    assert provider.has(ENTITY) and not provider.has("OTHER")
    key = provider.get(ENTITY)
    assert key.certificate_pem == seal_pems[1]
    assert key.entity == ENTITY
    assert provider.get(ENTITY) is key  # loaded once, cached


def test_missing_key_lists_searched_paths(tmp_path):
    with pytest.raises(KeyNotFound) as info:
        FileKeyProvider(tmp_path).get("NOPE")
    assert info.value.entity == "NOPE"
    assert str(tmp_path / "NOPE.key.pem") in info.value.searched_paths
    assert str(tmp_path / "NOPE.p12") in info.value.searched_paths
    with pytest.raises(ValueError):
        FileKeyProvider(tmp_path).get("../etc/passwd")


def _write_p12(path: Path, seal_key: SealKey, passphrase: bytes):
    data = pkcs12.serialize_key_and_certificates(
        b"seal", seal_key.private_key, seal_key.certificate, None,
        serialization.BestAvailableEncryption(passphrase),
    )
    path.write_bytes(data)


def test_pkcs12_with_passphrase_from_dict_env_and_secret_file(tmp_path, seal_key, monkeypatch, sealed):
    _write_p12(tmp_path / "P12CO.p12", seal_key, b"s3cret")

    key = FileKeyProvider(tmp_path, passphrases={"P12CO": "s3cret"}).get("P12CO")
    assert key.certificate == seal_key.certificate
    assert verify_document(Sealer(key).seal(unsigned_root()), [seal_key.certificate]).valid

    with pytest.raises(KeyLoadError):
        FileKeyProvider(tmp_path, passphrases={"P12CO": "wrong"}).get("P12CO")

    assert passphrase_env_var("p12co") == "ECOC_KEY_PASSPHRASE_P12CO"
    monkeypatch.setenv("ECOC_KEY_PASSPHRASE_P12CO", "s3cret")
    assert FileKeyProvider(tmp_path).get("P12CO").certificate == seal_key.certificate
    monkeypatch.delenv("ECOC_KEY_PASSPHRASE_P12CO")

    (tmp_path / "P12CO.pass").write_text("s3cret\n")
    provider = FileKeyProvider(tmp_path)
    first = provider.get("P12CO")
    assert provider.get("P12CO") is first


def test_ensure_local_seal_generates_once(tmp_path, seal_pems, monkeypatch):
    calls = []

    def fake_generate(entity, organisation, country="BE", **kw):
        calls.append((entity, organisation))
        return seal_pems

    monkeypatch.setattr("services.signing.domain.keys.generate_self_signed", fake_generate)
    first = ensure_local_seal(tmp_path, ENTITY, ORG)
    second = ensure_local_seal(tmp_path, ENTITY, ORG)
    assert first == second == seal_pems[1]
    assert calls == [(ENTITY, ORG)]
    assert stat.S_IMODE((tmp_path / f"{ENTITY}.key.pem").stat().st_mode) == 0o600


def test_two_processes_ensuring_one_local_seal_both_get_the_one_written(tmp_path, seal_pems, monkeypatch):
    """Two signing processes asked for the same new entity's seal at once: the second waits while the first writes
    the key and certificate files, then uses them (it never finds the key without its certificate)."""
    from eventlet.patcher import original

    from services.signing.domain import keys

    threading = original("threading")  # real threads: the file lock blocks the thread that waits for it
    key_written, second_moved = threading.Event(), threading.Event()
    first, results = [], {}
    write, lock = keys._atomic_write, getattr(keys, "_creation_lock", None)

    def slow_first_writer(path, *args):
        write(path, *args)
        if path.name.endswith(".key.pem") and not first:
            first.append(path)
            key_written.set()
            assert second_moved.wait(30), "the second process neither finished nor waited for the lock"

    def announced_lock(*args):
        if threading.current_thread().name == "second":
            second_moved.set()  # about to wait for the first writer
        return lock(*args)

    def ensure(name):
        try:
            results[name] = ensure_local_seal(tmp_path, ENTITY, ORG)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[name] = exc
        finally:
            if name == "second":
                second_moved.set()

    monkeypatch.setattr(keys, "generate_self_signed", lambda *a, **kw: seal_pems)
    monkeypatch.setattr(keys, "_atomic_write", slow_first_writer)
    if lock is not None:
        monkeypatch.setattr(keys, "_creation_lock", announced_lock)
    one = threading.Thread(target=ensure, args=("first",), name="first")
    one.start()
    assert key_written.wait(30)
    two = threading.Thread(target=ensure, args=("second",), name="second")
    two.start()
    one.join(30)
    two.join(30)
    assert results == {"first": seal_pems[1], "second": seal_pems[1]}
