"""Keeping subscriptions' signing secrets unreadable at rest (plain Python).

A signing secret must be readable to sign each delivery, so it cannot be hashed like a password. It is stored
encrypted (Fernet: AES-128-CBC with HMAC-SHA256) under a key derived from `ECOC_INTERNAL_SECRET`, which every
process already holds and production sets to a value of its own: a database dump or backup alone does not give
anyone the secrets to forge deliveries. Changing `ECOC_INTERNAL_SECRET` makes the stored secrets unreadable; the
deliveries of such a webhook then fail with a reason that says so, until it is created again.
"""
import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INFO = b"ecoc webhook signing secrets v1"


class UnreadableSecret(Exception):
    pass


def _fernet(internal_secret):
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(internal_secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret, internal_secret):
    return _fernet(internal_secret).encrypt(secret.encode()).decode()


def unseal(token, internal_secret):
    try:
        return _fernet(internal_secret).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        raise UnreadableSecret("the webhook's signing secret cannot be read with this ECOC_INTERNAL_SECRET (it was "
                               "changed since the webhook was created: create the webhook again)") from None
