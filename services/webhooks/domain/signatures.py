"""Signing webhook deliveries: HMAC-SHA256 over the timestamp and the body (plain Python).

Every delivery carries `Ecoc-Signature: t=<unix seconds>,v1=<hex>`, where `<hex>` is
HMAC-SHA256(secret, "<t>." + body bytes). A receiver recomputes it with the subscription's secret, compares in
constant time, and refuses a timestamp too far from its clock (a replayed request). `verify` is the reference
implementation the documentation (docs/webhooks.md) shows.
"""
import base64
import hashlib
import hmac
import secrets
import time

HEADER = "Ecoc-Signature"
SCHEME = "v1"
SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 300


def new_secret():
    """A fresh signing secret: 32 random bytes, shown to the subscriber once."""
    return SECRET_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def signature(secret, timestamp, body):
    message = str(int(timestamp)).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def header_value(secret, timestamp, body):
    return f"t={int(timestamp)},{SCHEME}={signature(secret, timestamp, body)}"


def verify(secret, header, body, tolerance=TOLERANCE_SECONDS, now=None):
    """True when `header` (the Ecoc-Signature value) signs `body` (bytes as received) with `secret` and its
    timestamp is within `tolerance` seconds of `now`."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get(SCHEME, ""), signature(secret, timestamp, body))
