"""Verifying a sealed IVI 2.0 document against pinned (trusted) seal certificates.

Never trusts the system CA store: the certificate embedded in the signature must equal one of the
``trusted_certs``, and that pinned certificate is what signxml verifies with. Everything reported about the
document (reference id, VIN, version) is read from the data signxml says was signed, never from the input.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional, Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature, SignXMLException
from signxml.xades import XAdESSignatureConfiguration, XAdESVerifier

from common.ivi.reader import ROOT_TAG, safe_parser
from common.ivi.schema import DS_NS, IVI_NS

from .profile import (
    ALLOWED_SIGNATURE_METHODS,
    DIGEST_SHA256,
    REASON_UNSIGNED,  # noqa: F401 - a reason callers compare with
    REFERENCE_DEFAULT_C14N,
    SIGNED_PROPERTIES_TAG,
    XADES_NS,
    is_xades,
    profile_errors,
)

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

_NS = {"ds": DS_NS, "ivi": IVI_NS, "xades": XADES_NS}
_PARTIES = ("ivi:CocDataGroup/ivi:ManufacturerTable/ivi:ManufacturerGroup/ivi:ManufacturerName",
            "ivi:CocDataGroup/ivi:EURepresentativeGroup/ivi:EURepresentativeName")
REASON_UNTRUSTED = "signed by an untrusted certificate"
REASON_DIGEST = "document content does not match the seal (digest mismatch): it was changed after sealing"
REASON_SIGNATURE = "signature value does not verify with the trusted certificate (SignedInfo changed or wrong key)"
REASON_REFORMATTED = (
    "the document contains indentation between elements: it looks re-formatted (pretty-printed) after "
    "sealing; any byte change after sealing breaks the seal"
)

TrustedCert = Union[x509.Certificate, bytes, str]


@dataclass(frozen=True)
class Signer:
    organisation: Optional[str]
    common_name: Optional[str]
    fingerprint_sha256: str


@dataclass
class Verification:
    valid: bool
    errors: list[str] = field(default_factory=list)
    reference_id: Optional[str] = None
    vin: Optional[str] = None
    version_number: Optional[int] = None
    signer: Optional[Signer] = None
    # The signed xades:SigningTime of a XAdES seal; the plain profile carries no signing time (None).
    signed_at: Optional[_dt.datetime] = None
    xades: bool = False
    # Problems that do not make the document invalid (e.g. an unreadable entry in trusted_certs).
    warnings: list[str] = field(default_factory=list)
    # The manufacturers and the EU representative the signed document names (the parties that may seal it).
    parties: list[str] = field(default_factory=list)


def _load_trusted(trusted_certs: Iterable[TrustedCert], warnings: list[str]) -> list[x509.Certificate]:
    loaded: list[x509.Certificate] = []
    if isinstance(trusted_certs, (x509.Certificate, bytes, str)):
        trusted_certs = [trusted_certs]
    for item in trusted_certs or []:
        try:
            if isinstance(item, x509.Certificate):
                loaded.append(item)
            elif isinstance(item, (bytes, str)):
                data = item.encode("ascii") if isinstance(item, str) else item
                loaded.extend(x509.load_pem_x509_certificates(data))
            else:
                warnings.append(f"ignored a trusted certificate of unsupported type {type(item).__name__}")
        except (ValueError, UnicodeEncodeError) as exc:
            warnings.append(f"ignored an unreadable trusted certificate: {exc}")
    return loaded


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


def _signer_of(cert: x509.Certificate) -> Signer:
    def first(oid):
        values = cert.subject.get_attributes_for_oid(oid)
        return str(values[0].value) if values else None

    return Signer(
        organisation=first(NameOID.ORGANIZATION_NAME),
        common_name=first(NameOID.COMMON_NAME),
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
    )


def _looks_reformatted(root: etree._Element) -> bool:
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if len(el) and el.text is not None and el.text.strip() == "" and "\n" in el.text:
            return True
        if el is not root and el.tail is not None and el.tail.strip() == "" and "\n" in el.tail:
            return True
    return False


def _embedded_certificate(root: etree._Element) -> x509.Certificate:
    text = root.find("ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate", _NS).text or ""
    der = base64.b64decode("".join(text.split()), validate=True)
    return x509.load_der_x509_certificate(der)


def _signed_properties(results) -> Optional[etree._Element]:
    return next((r.signed_xml for r in results if r.signed_xml is not None
                 and r.signed_xml.tag == SIGNED_PROPERTIES_TAG), None)


def _signing_time(signed_properties, errors: list[str]) -> Optional[_dt.datetime]:
    text = _text(signed_properties, "xades:SignedSignatureProperties/xades:SigningTime") \
        if signed_properties is not None else None
    try:
        return _dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        errors.append(f"xades:SigningTime is not a date-time: {text!r}")
        return None


def _text(root: etree._Element, path: str) -> Optional[str]:
    el = root.find(path, _NS)
    return None if el is None or el.text is None else el.text.strip()


def verify_document(
    xml_bytes: bytes,
    trusted_certs: list[TrustedCert],
    schema_validator: Any = None,
    *,
    at: Optional[_dt.datetime] = None,
) -> Verification:
    """Verify a sealed IVI document. Never raises for bad input; returns ``valid=False`` with reasons.

    ``at``: moment at which the certificate must be valid (default now), e.g. the archived sealing time.
    ``schema_validator``: optional object with ``validate_signed(xml_bytes) -> [issue with .message]``.
    """
    try:
        return _verify(xml_bytes, trusted_certs, schema_validator, at)
    except Exception as exc:  # last resort: bad input must never crash the caller
        return Verification(valid=False, errors=[f"verification failed unexpectedly: {type(exc).__name__}: {exc}"])


def _verify(xml_bytes, trusted_certs, schema_validator, at) -> Verification:
    result = Verification(valid=False)
    errors = result.errors
    if not isinstance(xml_bytes, (bytes, bytearray)):
        errors.append("the document must be given as bytes (exactly as received)")
        return result
    xml_bytes = bytes(xml_bytes)
    if len(xml_bytes) > MAX_DOCUMENT_BYTES:
        errors.append(f"document is larger than {MAX_DOCUMENT_BYTES} bytes")
        return result

    try:
        root = etree.fromstring(xml_bytes, safe_parser(keep_bytes=True))
    except etree.XMLSyntaxError as exc:
        errors.append(f"not well-formed XML: {exc}")
        return result
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        errors.append("DTDs (DOCTYPE) are not allowed")
        return result
    if any(True for _ in root.iter(etree.Entity)):
        errors.append("entity references are not allowed")
        return result
    if root.tag != ROOT_TAG:
        errors.append(f"root element must be {ROOT_TAG}, got {root.tag}")
        return result

    structural = profile_errors(root)
    if structural:
        errors.extend(structural)
        return result

    try:
        embedded = _embedded_certificate(root)
    except (ValueError, binascii.Error) as exc:
        errors.append(f"the embedded seal certificate cannot be read: {exc}")
        return result
    result.signer = _signer_of(embedded)

    trusted = _load_trusted(trusted_certs, result.warnings)
    pinned = next((c for c in trusted if _der(c) == _der(embedded)), None)
    if pinned is None:
        errors.append(
            f"{REASON_UNTRUSTED} (subject {embedded.subject.rfc4514_string()}, "
            f"sha256 {result.signer.fingerprint_sha256})"
        )
        return result

    signature = root[-1]
    result.xades = is_xades(signature)
    references = len(signature.findall("ds:SignedInfo/ds:Reference", _NS))
    options = dict(
        require_x509=True,
        location="./",  # the signature is a child of the root, nowhere else
        expect_references=references,  # the profile has already limited them
        signature_methods=frozenset(SignatureMethod(m) for m in ALLOWED_SIGNATURE_METHODS),
        digest_algorithms=frozenset({DigestAlgorithm(DIGEST_SHA256)}),
        verification_time=at,
        default_reference_c14n_method=REFERENCE_DEFAULT_C14N,
    )
    verifier, config = ((XAdESVerifier(), XAdESSignatureConfiguration(**options)) if result.xades
                        else (XMLVerifier(), SignatureConfiguration(**options)))
    try:
        verified = verifier.verify(root, x509_cert=pinned, parser=safe_parser(keep_bytes=True), expect_config=config)
    except InvalidDigest:
        errors.append(REASON_DIGEST)
    except InvalidCertificate as exc:
        errors.append(f"the seal certificate is not valid at verification time: {exc}")
    except InvalidSignature as exc:
        errors.append(f"{REASON_SIGNATURE}: {exc}")
    except InvalidInput as exc:
        errors.append(f"malformed seal: {exc}")
    except etree.DocumentInvalid as exc:
        errors.append(f"ds:Signature does not conform to the XML-DSig schema: {exc}")
    except (SignXMLException, ValueError) as exc:
        errors.append(f"seal verification failed: {exc}")
    if errors:
        if _looks_reformatted(root):
            errors.append(REASON_REFORMATTED)
        return result

    if result.xades:  # the document reference is the first; SigningCertificateV2 was checked against `pinned`
        verified, signed_properties = verified[0], _signed_properties(verified)
        result.signed_at = _signing_time(signed_properties, errors)
    signed = verified.signed_xml
    if signed is None or signed.tag != ROOT_TAG:
        errors.append("the signed data is not an InitialVehicleInformation document")
        return result
    if signed.find(".//ds:Signature", _NS) is not None:
        errors.append("the signed data unexpectedly contains a ds:Signature")
        return result

    # Only what was signed: the canonicalised tree signxml returns.
    result.reference_id = _text(signed, "ivi:Header/ivi:IviReferenceId")
    result.vin = _text(signed, "ivi:CocDataGroup/ivi:VehicleIdentificationNumber")
    version = _text(signed, "ivi:Header/ivi:IviVersionNumber")
    try:
        result.version_number = int(version) if version is not None else None
    except ValueError:
        errors.append(f"IviVersionNumber is not an integer: {version!r}")
    result.parties = [el.text.strip() for path in _PARTIES for el in signed.iterfind(path, _NS)
                      if el.text and el.text.strip()]
    if result.reference_id is None:
        errors.append("the signed document has no Header/IviReferenceId")
    if result.vin is None:
        errors.append("the signed document has no CocDataGroup/VehicleIdentificationNumber")

    if schema_validator is not None:
        try:
            issues = schema_validator.validate_signed(xml_bytes) or []
        except Exception as exc:
            errors.append(f"schema validation could not run: {exc}")
        else:
            for issue in issues:
                errors.append(f"schema: {getattr(issue, 'message', issue)}")

    result.valid = not errors
    return result
