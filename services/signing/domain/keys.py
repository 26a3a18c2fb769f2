"""Seal keys: what a sealer needs (private key + certificate) and where it comes from.

``KeyProvider`` is the seam for key storage, chosen by name in configuration (``ECOC_KEY_PROVIDER``,
default ``files``) through ``make_key_provider``. ``FileKeyProvider`` reads PEM pairs or PKCS#12 files from
a directory. An HSM provider registers itself with ``register_key_provider("pkcs11", factory)`` and returns
``SealKey``s whose ``private_key`` is backed by the token (see ``KeyProvider``).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import os
import re
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from common.entity_code import code_problem
from common.locks import os_lock

PrivateKey = Union[rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey]

PASSPHRASE_ENV_PREFIX = "ECOC_KEY_PASSPHRASE_"


class SealKeyError(Exception):
    """Base class for seal key problems."""


class KeyNotFound(SealKeyError):
    """No key material for an entity. ``searched_paths`` lists every file that was looked for."""

    def __init__(self, entity: str, searched_paths: list[str]):
        self.entity = entity
        self.searched_paths = list(searched_paths)
        super().__init__(
            f"no seal key for entity {entity!r}; looked for: {', '.join(self.searched_paths) or '(nothing)'}"
        )


class KeyLoadError(SealKeyError):
    """Key material exists but cannot be used (wrong passphrase, key/certificate mismatch, bad file)."""

    def __init__(self, entity: str, path: str, reason: str):
        self.entity = entity
        self.path = path
        self.reason = reason
        super().__init__(f"cannot load seal key for entity {entity!r} from {path}: {reason}")


@dataclass(frozen=True, eq=False)
class SealKey:
    """A loaded seal: the private key object is parsed once and reused for every signature."""

    entity: str
    private_key: PrivateKey = field(repr=False)
    certificate: x509.Certificate
    certificate_pem: bytes = field(repr=False)
    chain: list[x509.Certificate] = field(default_factory=list, repr=False)

    @property
    def fingerprint_sha256(self) -> str:
        return self.certificate.fingerprint(hashes.SHA256()).hex()


class KeyProvider(ABC):
    """Where seal keys come from (files today, an HSM via PKCS#11 later).

    Contract, for any implementation:

    - ``get(entity)`` returns the entity's ``SealKey`` and is called once per entity and process (the
      keyring keeps the sealer); it raises ``KeyNotFound`` when the entity has no key, ``KeyLoadError``
      when the key exists but cannot be used. It must be thread-safe: sealing runs in tpool threads.
    - ``SealKey.private_key`` only has to offer what signxml and the sealer call on a cryptography key:
      ``sign(data, padding, algorithm)`` and ``key_size`` for RSA (``isinstance(key, rsa.RSAPrivateKey)``),
      ``sign(data, ec.ECDSA(hash))``, ``key_size`` and ``curve`` for EC, and ``public_key()``. A PKCS#11
      provider wraps a token object in a subclass of ``rsa.RSAPrivateKey`` / ``ec.EllipticCurvePrivateKey``
      whose ``sign`` calls ``C_Sign``; the private key never leaves the token.
    - ``SealKey.certificate`` is the seal certificate (the token's certificate object, or a file).
    - ``entities()`` lists the entities with a key: their certificates are the pinned trust anchors of
      verification.
    """

    @abstractmethod
    def get(self, entity: str) -> SealKey:
        """Return the seal key of ``entity``; raise ``KeyNotFound`` if there is none."""

    @abstractmethod
    def has(self, entity: str) -> bool:
        """True if a seal key for ``entity`` is available."""

    @abstractmethod
    def entities(self) -> list[str]:
        """The entities that have a seal key, sorted."""

    def create_local(self, entity: str, organisation: str) -> None:
        """Local mode only: give ``entity`` a self-signed seal. Providers that cannot, refuse."""
        raise SealKeyError(f"the {type(self).__name__} cannot create seals; provision one for {entity!r}")


def validate_entity(entity: str) -> str:
    """Entity codes become file names: the entity code rule keeps them to a safe alphabet (no '.', no '/')."""
    problem = code_problem(entity)
    if problem:
        raise ValueError(f"invalid entity code {entity!r}: {problem}")
    return entity


def entity_env_var(prefix: str, entity: str) -> str:
    """``<prefix><ENTITY>``: entity uppercased, characters other than A-Z0-9 become '_'."""
    return prefix + re.sub(r"[^A-Z0-9]", "_", entity.upper())


def passphrase_env_var(entity: str) -> str:
    """``ECOC_KEY_PASSPHRASE_<ENTITY>``."""
    return entity_env_var(PASSPHRASE_ENV_PREFIX, entity)


def _public_der(key) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


class FileKeyProvider(KeyProvider):
    """Seal keys from ``keys_dir``: ``{entity}.key.pem`` + ``{entity}.cert.pem``, or ``{entity}.p12``.

    The certificate PEM file may hold the seal certificate followed by its chain. Passphrases (for a
    PKCS#12 file or an encrypted PEM key) come from ``passphrases[entity]``, else the environment variable
    ``ECOC_KEY_PASSPHRASE_<ENTITY>``, else a mounted secret file ``{keys_dir}/{entity}.pass``.
    Keys are loaded once per provider and cached; loading is serialised by a lock.
    """

    def __init__(self, keys_dir: str | os.PathLike, passphrases: Mapping[str, str | bytes] | None = None):
        self.keys_dir = Path(keys_dir)
        self._passphrases = dict(passphrases or {})
        self._cache: dict[str, SealKey] = {}
        self._lock = os_lock()

    # paths -----------------------------------------------------------------------------------------
    def _pem_paths(self, entity: str) -> tuple[Path, Path]:
        return self.keys_dir / f"{entity}.key.pem", self.keys_dir / f"{entity}.cert.pem"

    def _p12_path(self, entity: str) -> Path:
        return self.keys_dir / f"{entity}.p12"

    def _pass_path(self, entity: str) -> Path:
        return self.keys_dir / f"{entity}.pass"

    # interface -------------------------------------------------------------------------------------
    def has(self, entity: str) -> bool:
        try:
            validate_entity(entity)
        except ValueError:
            return False
        if entity in self._cache:
            return True
        key_path, cert_path = self._pem_paths(entity)
        return (key_path.is_file() and cert_path.is_file()) or self._p12_path(entity).is_file()

    def get(self, entity: str) -> SealKey:
        validate_entity(entity)
        cached = self._cache.get(entity)
        if cached is not None:
            return cached
        with self._lock:
            cached = self._cache.get(entity)
            if cached is None:
                cached = self._load(entity)
                self._cache[entity] = cached
            return cached

    def entities(self) -> list[str]:
        pairs = {p.name.removesuffix(".cert.pem") for p in self.keys_dir.glob("*.cert.pem")}
        found = {e for e in pairs if (self.keys_dir / f"{e}.key.pem").is_file()}
        found |= {p.stem for p in self.keys_dir.glob("*.p12")}
        return sorted(e for e in found if code_problem(e) is None)

    def create_local(self, entity: str, organisation: str) -> None:
        ensure_local_seal(self.keys_dir, entity, organisation)

    def forget(self, entity: str | None = None) -> None:
        """Drop cached keys (all, or one entity), e.g. after a certificate renewal."""
        with self._lock:
            if entity is None:
                self._cache.clear()
            else:
                self._cache.pop(entity, None)

    # loading ---------------------------------------------------------------------------------------
    def _passphrase(self, entity: str) -> bytes | None:
        value: str | bytes | None = self._passphrases.get(entity)
        if value is None:
            value = os.environ.get(passphrase_env_var(entity))
        if value is None:
            pass_path = self._pass_path(entity)
            if pass_path.is_file():
                value = pass_path.read_bytes().rstrip(b"\r\n")
        if value is None:
            return None
        return value.encode("utf-8") if isinstance(value, str) else value

    def _load(self, entity: str) -> SealKey:
        key_path, cert_path = self._pem_paths(entity)
        p12_path = self._p12_path(entity)
        if key_path.is_file() and cert_path.is_file():
            return self._load_pem(entity, key_path, cert_path)
        if p12_path.is_file():
            return self._load_p12(entity, p12_path)
        raise KeyNotFound(entity, [str(key_path), str(cert_path), str(p12_path)])

    def _load_pem(self, entity: str, key_path: Path, cert_path: Path) -> SealKey:
        key_data = key_path.read_bytes()
        password = self._passphrase(entity) if b"ENCRYPTED" in key_data else None
        try:
            private_key = serialization.load_pem_private_key(key_data, password=password)
        except (ValueError, TypeError) as exc:
            hint = " (no passphrase found)" if password is None and b"ENCRYPTED" in key_data else ""
            raise KeyLoadError(entity, str(key_path), f"{exc}{hint}") from None
        try:
            certs = x509.load_pem_x509_certificates(cert_path.read_bytes())
        except ValueError as exc:
            raise KeyLoadError(entity, str(cert_path), str(exc)) from None
        return self._make(entity, private_key, certs[0], certs[1:], str(cert_path))

    def _load_p12(self, entity: str, p12_path: Path) -> SealKey:
        password = self._passphrase(entity)
        try:
            private_key, cert, extra = pkcs12.load_key_and_certificates(p12_path.read_bytes(), password)
        except (ValueError, TypeError) as exc:
            hint = " (no passphrase found)" if password is None else ""
            raise KeyLoadError(entity, str(p12_path), f"{exc}{hint}") from None
        if private_key is None or cert is None:
            raise KeyLoadError(entity, str(p12_path), "PKCS#12 file must hold a private key and its certificate")
        return self._make(entity, private_key, cert, list(extra or []), str(p12_path))

    @staticmethod
    def _make(entity, private_key, cert, chain, path) -> SealKey:
        if not isinstance(private_key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
            raise KeyLoadError(entity, path, f"unsupported key type {type(private_key).__name__} (RSA or EC only)")
        if _public_der(private_key.public_key()) != _public_der(cert.public_key()):
            raise KeyLoadError(entity, path, "the certificate does not belong to the private key")
        return SealKey(
            entity=entity,
            private_key=private_key,
            certificate=cert,
            certificate_pem=cert.public_bytes(serialization.Encoding.PEM),
            chain=list(chain),
        )


# ---------------------------------------------------------------------------------------------------
# Choosing a provider by configuration

KEY_PROVIDERS: dict[str, Callable[..., KeyProvider]] = {"files": lambda keys_dir, **_: FileKeyProvider(keys_dir)}


def register_key_provider(name: str, factory: Callable[..., KeyProvider]) -> None:
    """Make ``ECOC_KEY_PROVIDER=<name>`` choose ``factory(keys_dir=..., **options)``."""
    KEY_PROVIDERS[name] = factory


def make_key_provider(name: str, keys_dir: str | os.PathLike, **options) -> KeyProvider:
    try:
        factory = KEY_PROVIDERS[name or "files"]
    except KeyError:
        raise SealKeyError(f"unknown key provider {name!r} (ECOC_KEY_PROVIDER): known are "
                           f"{', '.join(sorted(KEY_PROVIDERS))}; a PKCS#11 provider must be registered first") from None
    return factory(keys_dir=keys_dir, **options)


# ---------------------------------------------------------------------------------------------------
# Local (development / self-hosted test) seals


def generate_self_signed(
    entity: str,
    organisation: str,
    country: str = "BE",
    days: int = 730,
    key_size: int = 3072,
) -> tuple[bytes, bytes]:
    """Create an RSA key and a self-signed seal certificate; return ``(key_pem, cert_pem)``.

    Subject: C=country, O=organisation, OU=entity code, CN="<organisation> eCoC seal". End-entity
    certificate (CA=False) for digitalSignature + nonRepudiation (contentCommitment). The key PEM is
    unencrypted: protect the file (``write_seal`` uses mode 0600).
    """
    validate_entity(entity)
    if not organisation or not organisation.strip():
        raise ValueError("organisation is required")
    if key_size < 3072:
        raise ValueError("seal keys must be RSA-3072 or larger")
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, entity),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} eCoC seal"[:64]),
        ]
    )
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(minutes=5))
        .not_valid_after(now + _dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


def _atomic_write(path: Path, data: bytes, mode: int, overwrite: bool) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # created 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails with FileExistsError instead of clobbering a concurrent writer
            os.unlink(tmp)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_seal(
    keys_dir: str | os.PathLike, entity: str, key_pem: bytes, cert_pem: bytes, overwrite: bool = False
) -> tuple[Path, Path]:
    """Write ``{entity}.key.pem`` (mode 0600) and ``{entity}.cert.pem`` (0644); return both paths.

    Raises ``FileExistsError`` if either file exists and ``overwrite`` is false.
    """
    validate_entity(entity)
    directory = Path(keys_dir)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_path, cert_path = directory / f"{entity}.key.pem", directory / f"{entity}.cert.pem"
    if not overwrite:
        for p in (key_path, cert_path):
            if p.exists():
                raise FileExistsError(f"{p} exists; pass overwrite=True to replace it")
    _atomic_write(key_path, key_pem, 0o600, overwrite)
    _atomic_write(cert_path, cert_pem, 0o644, overwrite)
    return key_path, cert_path


def ensure_local_seal(keys_dir: str | os.PathLike, entity: str, organisation: str, country: str = "BE") -> bytes:
    """Local mode: return the entity's certificate PEM, generating a self-signed seal first if there is none."""
    validate_entity(entity)
    provider = FileKeyProvider(keys_dir)
    with _creation_lock(keys_dir, entity):  # another signing process may be writing this seal's two files
        if not provider.has(entity):
            key_pem, cert_pem = generate_self_signed(entity, organisation, country=country)
            try:
                write_seal(keys_dir, entity, key_pem, cert_pem)
            except FileExistsError:
                pass  # `ecoc keys generate` wrote one at the same time: use it
            else:
                return cert_pem
        return provider.get(entity).certificate_pem


@contextlib.contextmanager
def _creation_lock(keys_dir, entity):
    """An exclusive lock (flock) on `{keys_dir}/.{entity}.lock`, held by one process of this machine at a time."""
    directory = Path(keys_dir)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(directory / f".{entity}.lock", "a") as lock_file:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)
