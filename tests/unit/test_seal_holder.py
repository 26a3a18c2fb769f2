"""Whose seal made a signature: the holding entity must be registered under the certificate's organisation and be a
party the document names; a self-signed (local) seal is trusted in local mode only."""
import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.signing.domain.seal_holder import (
    LOCAL_SEAL, NOT_ITS_NAME, NOT_NAMED, NOT_REGISTERED, holder_problems, is_self_signed,
)

NAME = "NORDWIND AUTOMOTIVE NV"


def certificate(issuer_key=None):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, NAME)])
    issuer = subject if issuer_key is None else x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SEAL CA")])
    now = dt.datetime.now(dt.timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=90)).sign(issuer_key or key, hashes.SHA256()))


def test_the_holder_must_be_registered_under_the_seals_name_and_named_by_the_document():
    local = certificate()
    assert holder_problems(NAME, ["nordwind  automotive nv"], NAME, local, local_mode=True) == []
    assert holder_problems(NAME, [NAME], None, local, local_mode=True) == [NOT_REGISTERED]
    assert holder_problems(NAME, [NAME], "SOMEONE ELSE NV", local, local_mode=True) == [NOT_ITS_NAME, NOT_NAMED]
    assert holder_problems(NAME, ["OTHER MAKER SA"], NAME, local, local_mode=True) == [NOT_NAMED]


def test_a_self_signed_seal_is_local_and_trusted_in_local_mode_only():
    local, issued = certificate(), certificate(issuer_key=ec.generate_private_key(ec.SECP256R1()))
    assert is_self_signed(local) and not is_self_signed(issued)
    assert holder_problems(NAME, [NAME], NAME, local, local_mode=False) == [LOCAL_SEAL]
    assert holder_problems(NAME, [NAME], NAME, issued, local_mode=False) == []
