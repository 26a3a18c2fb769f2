"""Shadow mode's test seal: ecoc proves it could certify a shadow vehicle without issuing anything.

For a vehicle in a shadow scope ecoc does what signing would do — build the IVI 2.0 message from the composition,
check it against the schema, seal it — with a seal that is not a production one: an ECDSA P-256 key made when the
rollout service starts, held only in memory, whose self-signed certificate says "TEST SEAL - NOT FOR PRODUCTION".
Only the outcome and the document's SHA-256 are kept; the document itself is never stored, downloaded or
delivered, and no authority would accept its seal.
"""
from __future__ import annotations

import datetime as _dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from common.ivi import build_message
from services.signing.domain.issuance import header_for, signing_authority
from services.signing.domain.keys import SealKey
from services.signing.domain.seal import SealError, Sealer, sha256_hex

TEST_ORGANISATION = "ecoc TEST SEAL - NOT FOR PRODUCTION"
TEST_SIGNATORY = {"name": "TEST SEAL", "position": "not for production", "location": "shadow mode"}


def make_test_sealer():
    """A sealer with a fresh in-memory P-256 key and a self-signed certificate that says what it is."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, TEST_ORGANISATION),
                      x509.NameAttribute(NameOID.COMMON_NAME, "ecoc shadow mode")])
    now = _dt.datetime.now(_dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - _dt.timedelta(minutes=5))
                   .not_valid_after(now + _dt.timedelta(days=365)).sign(key, hashes.SHA256()))
    return Sealer(SealKey(entity="TEST", private_key=key, certificate=certificate,
                          certificate_pem=certificate.public_bytes(Encoding.PEM)))


def seal_in_shadow(schema, validator, sealer, vehicle, content, approval_number, now=None):
    """`{"ok", "sha256", "problem"}` of sealing the composed `content` of `vehicle` with the test seal."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    coc = dict(content, SigningAuthorityTable=signing_authority(TEST_SIGNATORY, now.date()))
    try:
        header = header_for(vehicle, approval_number, 1, now)
        root = build_message(schema, header, coc)
    except ValueError as exc:
        return {"ok": False, "sha256": None, "problem": f"data: {exc}"}
    if validator is not None:
        issues = validator.validate_draft(root)
        if issues:
            return {"ok": False, "sha256": None, "problem": "schema: " + "; ".join(i.message for i in issues[:5])}
    try:
        document = sealer.seal(root)
    except SealError as exc:
        return {"ok": False, "sha256": None, "problem": f"seal: {exc}"}
    return {"ok": True, "sha256": sha256_hex(document), "problem": None}
