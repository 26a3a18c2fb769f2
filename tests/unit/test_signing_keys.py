"""Seal keys by configuration: the provider choice (files now, a registered PKCS#11 provider later), the
per-entity seal policy (algorithm, XAdES) and the keyring that loads each entity's sealer once."""
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.signing.domain.keys import (
    KEY_PROVIDERS, FileKeyProvider, KeyNotFound, KeyProvider, SealKey, SealKeyError, generate_self_signed,
    make_key_provider, register_key_provider, write_seal,
)
from services.signing.domain.profile import SIG_ECDSA_SHA256, SIG_RSA_SHA256
from services.signing.keyring import Keyring, SealPolicy


@pytest.fixture(scope="module")
def rsa_pems():
    return generate_self_signed("ACME", "ACME NV")


def ec_pems(organisation="EC CO"):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=90)).sign(key, hashes.SHA256()))
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()), cert.public_bytes(serialization.Encoding.PEM))


@pytest.fixture
def keys_dir(tmp_path, rsa_pems):
    write_seal(tmp_path, "ACME", *rsa_pems)
    write_seal(tmp_path, "ECCO", *ec_pems())
    return tmp_path


def keyring(keys_dir, policy=None, local_mode=False, provider=None):
    return Keyring(provider or FileKeyProvider(keys_dir), policy or SealPolicy(), local_mode, "")


def test_the_provider_is_chosen_by_name(keys_dir):
    assert isinstance(make_key_provider("files", keys_dir=keys_dir), FileKeyProvider)
    assert isinstance(make_key_provider("", keys_dir=keys_dir), FileKeyProvider)
    with pytest.raises(SealKeyError, match="unknown key provider 'pkcs11'.*must be registered"):
        make_key_provider("pkcs11", keys_dir=keys_dir)


def test_a_registered_provider_serves_the_keyring(keys_dir, monkeypatch):
    class TokenProvider(KeyProvider):  # what a PKCS#11 provider implements
        def __init__(self, keys_dir, slot):
            self.slot, self.inner = slot, FileKeyProvider(keys_dir)

        def get(self, entity):
            return self.inner.get(entity)

        def has(self, entity):
            return self.inner.has(entity)

        def entities(self):
            return ["ACME"]

    monkeypatch.setitem(KEY_PROVIDERS, "token", None)
    register_key_provider("token", TokenProvider)
    provider = make_key_provider("token", keys_dir=keys_dir, slot=3)
    assert isinstance(provider, TokenProvider) and provider.slot == 3
    ring = keyring(keys_dir, provider=provider, local_mode=True)
    assert [(a.entity, a.certificate.subject) for a in ring.anchors().values()] == [
        ("ACME", provider.get("ACME").certificate.subject)]
    with pytest.raises(SealKeyError, match="TokenProvider cannot create seals"):
        ring.ensure_seal("NEWCO", "NEW CO")
    with pytest.raises(TypeError):
        type("Incomplete", (KeyProvider,), {"get": lambda s, e: None, "has": lambda s, e: False})()


def test_file_provider_lists_its_entities(keys_dir, tmp_path):
    (keys_dir / "HALF.cert.pem").write_bytes(b"a certificate without its key")
    (keys_dir / "P12CO.p12").write_bytes(b"")
    assert FileKeyProvider(keys_dir).entities() == ["ACME", "ECCO", "P12CO"]


def test_the_key_decides_the_algorithm_unless_configured(keys_dir):
    ring = keyring(keys_dir)
    assert ring.sealer("ACME").signature_method == SIG_RSA_SHA256
    assert ring.sealer("ECCO").signature_method == SIG_ECDSA_SHA256
    assert ring.sealer("ECCO") is ring.sealer("ECCO")  # made once
    wrong = keyring(keys_dir, SealPolicy(algorithms={"ECCO": "rsa-sha256"}))
    with pytest.raises(SealKeyError, match="the seal of ECCO cannot be used: rsa-sha256 needs an RSA key"):
        wrong.sealer("ECCO")
    with pytest.raises(KeyNotFound):
        ring.sealer("NOBODY")


def test_seal_policy_from_config_and_environment():
    environ = {"ECOC_XADES_ENTITIES": "ACME, ECCO", "ECOC_SEAL_ALGORITHM_ECCO": "ecdsa-sha256",
               "ECOC_SEAL_ALGORITHM_MY_CO": "rsa-sha256"}
    policy = SealPolicy.from_config({}, environ)
    assert policy.xades("ACME") and policy.xades("ECCO") and not policy.xades("OTHER")
    assert policy.algorithm("ECCO") == "ecdsa-sha256" and policy.algorithm("my-co") == "rsa-sha256"
    assert policy.algorithm("ACME") is None  # the key decides
    configured = SealPolicy.from_config({"XADES_ENTITIES": "*", "SEAL_ALGORITHMS": {"ACME": "rsa-sha256"}}, environ)
    assert configured.xades("ANYONE") and configured.algorithm("ACME") == "rsa-sha256"
    assert not SealPolicy.from_config({}, {}).xades("ACME")


def test_xades_entities_get_a_xades_sealer(keys_dir):
    ring = keyring(keys_dir, SealPolicy(xades_entities=frozenset({"ECCO"})))
    assert ring.sealer("ECCO").xades and not ring.sealer("ACME").xades


def test_ensure_seal_in_local_mode_only(keys_dir, monkeypatch, rsa_pems):
    monkeypatch.setattr("services.signing.domain.keys.generate_self_signed", lambda *a, **k: rsa_pems)
    assert keyring(keys_dir).ensure_seal("NEWCO", "NEW CO") is None
    local = keyring(keys_dir, local_mode=True)
    assert local.ensure_seal("NEWCO", "NEW CO") == rsa_pems[1].decode()
    assert local.ensure_seal("ACME", "ignored") == rsa_pems[1].decode()


def test_a_broken_key_is_no_trust_anchor(keys_dir):
    (keys_dir / "BROKEN.key.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    (keys_dir / "BROKEN.cert.pem").write_bytes(b"nope")
    anchors = keyring(keys_dir).anchors()
    assert sorted(a.entity for a in anchors.values()) == ["ACME", "ECCO"]
    assert all(isinstance(a.certificate, x509.Certificate) for a in anchors.values())
    assert isinstance(FileKeyProvider(keys_dir).get("ACME"), SealKey)
