"""The one canonical serialisation of a JSON document, and its SHA-256: what a release pins and signing checks.

Keys sorted, no whitespace, UTF-8 (non-ASCII characters as themselves), no NaN or infinity. Two documents
with the same content have the same bytes whatever their key order; anything that is not JSON is refused.
"""
import hashlib
import json


def canonical_json(document):
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def content_sha256(document):
    return hashlib.sha256(canonical_json(document)).hexdigest()
