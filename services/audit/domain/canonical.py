"""The canonical JSON every audit digest is taken over: sorted keys, no whitespace, UTF-8, timestamps as UTC
ISO-8601 with microseconds, so the same content always gives the same bytes whoever computes it."""
import hashlib
import json
import uuid
from datetime import datetime, timezone


def _json_default(value):
    if isinstance(value, datetime):
        return canonical_time(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not part of an audit entry's content")


def canonical_time(value):
    if value.tzinfo is None:
        raise ValueError("audit timestamps must carry a time zone")
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def canonical_json(content):
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False, default=_json_default)


def sha256_hex(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
