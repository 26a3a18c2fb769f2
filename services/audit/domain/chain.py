"""The hash chain of the audit log (plain Python: no SQL, no nameko).

Each entry's hash is sha256(prev_hash as 32 raw bytes + canonical JSON of its content fields),
so changing, removing, inserting or reordering any entry breaks every link after it.
The canonical JSON uses sorted keys, no whitespace, UTF-8, and timestamps as UTC ISO-8601 with
microseconds, so the same content always gives the same bytes whoever computes it.
"""
import hashlib
import json
import uuid
from datetime import datetime, timezone

GENESIS = "0" * 64

CONTENT_FIELDS = (
    "event_id", "event_type", "source", "occurred_at", "recorded_at",
    "actor", "entity", "subject", "subjects", "payload",
)

ALGORITHM = "sha256(bytes.fromhex(prev_hash) + canonical_json(content).encode('utf-8'))"


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


def content_of(entry):
    """The hashed fields of an entry (a mapping with at least CONTENT_FIELDS)."""
    return {name: entry[name] for name in CONTENT_FIELDS}


def canonical_json(content):
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False, default=_json_default)


def entry_hash(prev_hash, content):
    digest = hashlib.sha256(bytes.fromhex(prev_hash))
    digest.update(canonical_json(content).encode("utf-8"))
    return digest.hexdigest()


def link(prev_hash, content):
    """The entry that follows `prev_hash`: its content with prev_hash and hash."""
    return dict(content, prev_hash=prev_hash, hash=entry_hash(prev_hash, content))


def verify(entries):
    """Check a chain given in seq order, reading it once (constant memory).

    Each entry is a mapping with `seq`, `prev_hash`, `hash` and the content fields. The whole
    chain is read even after a fault, so `entries` and `head` describe what is stored; only the
    first fault is reported.
    """
    expected_prev = GENESIS
    last_seq = None
    count = 0
    head = None
    first_invalid_seq = None
    reason = None
    for entry in entries:
        count += 1
        seq = entry["seq"]
        if first_invalid_seq is None:
            problem = _fault(entry, expected_prev, last_seq)
            if problem:
                first_invalid_seq, reason = seq, problem
        expected_prev = entry["hash"]
        last_seq = seq
        head = entry["hash"]
    return {
        "valid": first_invalid_seq is None,
        "entries": count,
        "head": head,
        "first_invalid_seq": first_invalid_seq,
        "reason": reason,
    }


def _fault(entry, expected_prev, last_seq):
    if last_seq is not None and entry["seq"] <= last_seq:
        return f"entry {entry['seq']} is out of order (after {last_seq})"
    if entry["prev_hash"] != expected_prev:
        what = "the genesis value" if expected_prev == GENESIS else "the previous entry's hash"
        return f"prev_hash does not match {what}: an entry before it was removed, inserted or reordered"
    try:
        actual = entry_hash(entry["prev_hash"], content_of(entry))
    except (TypeError, ValueError) as exc:
        return f"content cannot be hashed: {exc}"
    if actual != entry["hash"]:
        return "hash does not match the entry's content: the entry was altered"
    return None
