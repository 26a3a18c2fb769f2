"""A local certificate authority for the NAP simulator: the CA, the server certificate and client certificates.

Everything is written under one directory (`ca.pem`/`ca.key`, `server.pem`/`server.key`,
`client-<name>.pem`/`client-<name>.key`); keys are P-256 (fast to make, fine for TLS) and readable only by the
owner. Existing files are kept, so a restarted simulator serves the same certificates and clients keep working.
"""
import datetime as dt
import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID_DAYS = 825
CLIENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path


def ca_pair(directory):
    return Pair(Path(directory) / "ca.pem", Path(directory) / "ca.key")


def server_pair(directory):
    return Pair(Path(directory) / "server.pem", Path(directory) / "server.key")


def client_pair(directory, name):
    if not CLIENT_NAME.match(name or ""):
        raise ValueError(f"client name {name!r}: letters, digits, '.', '_' and '-' only (at most 64)")
    return Pair(Path(directory) / f"client-{name}.pem", Path(directory) / f"client-{name}.key")


def ensure_ca(directory):
    """The CA of `directory`, made when missing."""
    pair = ca_pair(directory)
    if not pair.cert.exists():
        Path(directory).mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ecoc NAP simulator"),
                          x509.NameAttribute(NameOID.COMMON_NAME, "ecoc NAP simulator CA")])
        now = dt.datetime.now(dt.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=VALID_DAYS))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                             crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        _write(pair, key, cert)
    return pair


def ensure_server(directory, hosts=("localhost", "127.0.0.1")):
    """The server certificate (for `hosts`: names and IP addresses), issued by the CA when missing."""
    pair = server_pair(directory)
    if not pair.cert.exists():
        names = [x509.IPAddress(ipaddress.ip_address(h)) if _is_ip(h) else x509.DNSName(h) for h in hosts]
        _issue(directory, pair, "ecoc NAP simulator", x509.SubjectAlternativeName(names),
               ExtendedKeyUsageOID.SERVER_AUTH)
    return pair


def ensure_client(directory, name):
    """A client certificate for `name` (usually a legal entity code), issued by the CA when missing."""
    pair = client_pair(directory, name)
    if not pair.cert.exists():
        ensure_ca(directory)
        _issue(directory, pair, name, None, ExtendedKeyUsageOID.CLIENT_AUTH)
    return pair


def _issue(directory, pair, common_name, alt_names, usage):
    ca = ensure_ca(directory)
    ca_key = serialization.load_pem_private_key(ca.key.read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate(ca.cert.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
               .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=VALID_DAYS))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False))
    if alt_names is not None:
        builder = builder.add_extension(alt_names, critical=False)
    _write(pair, key, builder.sign(ca_key, hashes.SHA256()))


def _write(pair, key, cert):
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    descriptor = os.open(pair.key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(key_pem)
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _is_ip(host):
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False
