"""References to the key material an installation depends on (never the private keys themselves): each seal's
files and certificate fingerprint, the audit checkpoint key's public key and key id; and the check that the
keys of the installation at hand are the ones referenced."""
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from common.entity_code import code_problem
from services.audit.domain import checkpoints
from services.signing.domain.keys import FileKeyProvider, SealKeyError


def audit_public_key(s, public_key_path=None):
    """The audit public key PEM: from `public_key_path` when given, else derived from the key in
    ECOC_AUDIT_KEYS_DIR; None when neither is there."""
    if public_key_path:
        return Path(public_key_path).read_text()
    path = Path(s.audit_keys_dir) / checkpoints.KEY_FILE
    if not path.is_file():
        return None
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    return checkpoints.public_pem(key)


def seal_certificate_sha256(keys_dir, entity):
    """The SHA-256 fingerprint of `entity`'s seal certificate, read from `<entity>.cert.pem` alone (no private key
    is opened), or from its PKCS#12 file with the passphrase the signing service would use."""
    cert_path = Path(keys_dir) / f"{entity}.cert.pem"
    if cert_path.is_file():
        return x509.load_pem_x509_certificates(cert_path.read_bytes())[0].fingerprint(hashes.SHA256()).hex()
    return FileKeyProvider(keys_dir).get(entity).fingerprint_sha256


def seal_entities(keys_dir):
    """Entities with a seal certificate in `keys_dir` (`<entity>.cert.pem` or `<entity>.p12`)."""
    names = {p.name.removesuffix(".cert.pem") for p in Path(keys_dir).glob("*.cert.pem")}
    names |= {p.stem for p in Path(keys_dir).glob("*.p12")}
    return sorted(e for e in names if code_problem(e) is None)


def references(s, audit_public_pem=None):
    seals = []
    for entity in seal_entities(s.keys_dir):
        files = sorted(name for name in (f"{entity}.cert.pem", f"{entity}.key.pem", f"{entity}.p12")
                       if (Path(s.keys_dir) / name).is_file())
        try:
            seals.append({"entity": entity, "files": files,
                          "certificate_sha256": seal_certificate_sha256(s.keys_dir, entity)})
        except (SealKeyError, ValueError) as exc:
            seals.append({"entity": entity, "files": files, "certificate_sha256": None, "problem": str(exc)})
    audit = {"file": checkpoints.KEY_FILE, "public_key_pem": audit_public_pem,
             "key_id": checkpoints.key_id(audit_public_pem) if audit_public_pem else None}
    return {"seals": seals, "audit": audit}


def problems(recorded, s):
    """What differs between the keys `recorded` in a manifest and those of the installation `s`."""
    found = references(s, audit_public_key(s))
    have = {seal["entity"]: seal for seal in found["seals"]}
    out = []
    for seal in recorded["seals"]:
        mine = have.get(seal["entity"])
        if mine is None:
            out.append(f"seal of {seal['entity']}: missing from {s.keys_dir} ({', '.join(seal['files'])})")
        elif mine["certificate_sha256"] != seal["certificate_sha256"]:
            out.append(f"seal of {seal['entity']}: certificate sha256 {mine['certificate_sha256']} here, "
                       f"{seal['certificate_sha256']} in the backup")
    wanted = recorded["audit"]["key_id"]
    if wanted and found["audit"]["key_id"] is None:
        out.append(f"audit key: {checkpoints.KEY_FILE} missing from {s.audit_keys_dir} (key id {wanted})")
    elif wanted and found["audit"]["key_id"] != wanted:
        out.append(f"audit key: key id {found['audit']['key_id']} here, {wanted} in the backup")
    return out
