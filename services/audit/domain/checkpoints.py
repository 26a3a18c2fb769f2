"""Checkpoints: the chain's head sealed with the audit key (Ed25519), so cutting the tail is detectable.

A checkpoint signs the canonical JSON of `{seq, head_hash, at}`. The key lives in the keys directory
as `audit-checkpoints.ed25519.pem` (PKCS#8); in local mode it is generated on first use.
"""
import base64
import hashlib
import os
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.audit.domain import chain

KEY_FILE = "audit-checkpoints.ed25519.pem"
ALGORITHM = "Ed25519 over canonical_json({seq, head_hash, at})"
INDEX_ALGORITHM = "Ed25519 over canonical_json({subject, seqs, seq, head_hash})"


class CheckpointKeyMissing(RuntimeError):
    pass


def load_or_create_key(keys_dir, local_mode):
    path = Path(keys_dir) / KEY_FILE
    if not path.is_file():
        if not local_mode:
            raise CheckpointKeyMissing(f"the audit checkpoint key {path} is missing (local mode is off)")
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        try:  # another replica may create it at the same moment: the first file wins
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointKeyMissing(f"{path} is not an Ed25519 private key")
    return key


def public_pem(key):
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def key_id(public_key_pem):
    """sha256 of the DER public key: names the key that sealed a checkpoint."""
    public = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def message(seq, head_hash, at):
    at_text = chain.canonical_time(at) if isinstance(at, datetime) else at
    return chain.canonical_json({"seq": seq, "head_hash": head_hash, "at": at_text}).encode("utf-8")


def seal(key, seq, head_hash, at):
    """The checkpoint row for head (seq, head_hash) at `at`."""
    pem = public_pem(key)
    return {
        "seq": seq, "head_hash": head_hash, "at": at, "key_id": key_id(pem),
        "signature": base64.b64encode(key.sign(message(seq, head_hash, at))).decode("ascii"),
    }


def signature_valid(public_key_pem, checkpoint):
    return _valid(public_key_pem, checkpoint["signature"],
                  message(checkpoint["seq"], checkpoint["head_hash"], checkpoint["at"]))


def forged(public_key_pem, sealed):
    """The seqs of the stored checkpoints (rows as read) whose signature the audit key did not make."""
    return [cp["seq"] for cp in sealed if not signature_valid(public_key_pem, as_dict(cp))]


def index_message(subject, seqs, seq, head_hash):
    return chain.canonical_json({"subject": subject, "seqs": seqs, "seq": seq, "head_hash": head_hash}).encode("utf-8")


def seal_index(key, subject, seqs, checkpoint):
    """The audit key's statement that `seqs` are all the entries naming `subject` up to the checkpoint: an
    evidence pack cannot pass one of them off as someone else's (seq, digest) link."""
    seqs = list(seqs)
    return {"subject": subject, "seqs": seqs, "seq": checkpoint["seq"], "head_hash": checkpoint["head_hash"],
            "key_id": key_id(public_pem(key)), "signature": base64.b64encode(
                key.sign(index_message(subject, seqs, checkpoint["seq"], checkpoint["head_hash"]))).decode("ascii")}


def index_valid(public_key_pem, index):
    return _valid(public_key_pem, index["signature"],
                  index_message(index["subject"], index["seqs"], index["seq"], index["head_hash"]))


def _valid(public_key_pem, signature, signed):
    public = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
    if not isinstance(public, Ed25519PublicKey):
        return False
    try:
        public.verify(base64.b64decode(signature), signed)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def as_dict(checkpoint):
    return {
        "seq": checkpoint["seq"], "head_hash": checkpoint["head_hash"],
        "at": chain.canonical_time(checkpoint["at"]) if isinstance(checkpoint["at"], datetime) else checkpoint["at"],
        "key_id": checkpoint["key_id"], "signature": checkpoint["signature"],
    }
