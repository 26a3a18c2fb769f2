"""Keeping subscriptions' signing secrets unreadable at rest (plain Python).

A signing secret must be readable to sign each delivery, so it cannot be hashed like a password. It is stored
encrypted (Fernet: AES-128-CBC with HMAC-SHA256) under a key derived from `ECOC_INTERNAL_SECRET`, which every
process already holds and production sets to a value of its own: a database dump or backup alone does not give
anyone the secrets to forge deliveries.

Rotating `ECOC_INTERNAL_SECRET`: the earlier secrets listed in `ECOC_INTERNAL_SECRET_PREVIOUS` still read what
was sealed under them, and the webhooks service seals such secrets again under the current one (`reseal`), so
an earlier secret can be dropped once that is done. A secret sealed under none of them cannot be read; the
deliveries of such a webhook then fail with a reason that says so, until it is created again.
"""
import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INFO = b"ecoc webhook signing secrets v1"


class UnreadableSecret(Exception):
    pass


def _fernet(internal_secret):
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(internal_secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _keys(internal_secrets):
    """The Fernet keys of `internal_secrets` (the current one first, then earlier ones)."""
    return MultiFernet([_fernet(s) for s in internal_secrets])


def seal(secret, internal_secrets):
    """`secret` sealed under the current internal secret (the first of `internal_secrets`)."""
    return _keys(internal_secrets).encrypt(secret.encode()).decode()


def unseal(token, internal_secrets):
    try:
        return _keys(internal_secrets).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        raise UnreadableSecret("the webhook's signing secret cannot be read with ECOC_INTERNAL_SECRET or "
                               "ECOC_INTERNAL_SECRET_PREVIOUS (it was sealed under a secret no longer listed: "
                               "create the webhook again)") from None


def reseal(token, internal_secrets):
    """`token` sealed again under the current internal secret, or None when it already is (or cannot be read by
    any of `internal_secrets`: `unseal` reports that where it matters)."""
    try:
        _fernet(internal_secrets[0]).decrypt(token.encode())
        return None
    except (InvalidToken, ValueError):
        pass
    try:
        return _keys(internal_secrets).rotate(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None
