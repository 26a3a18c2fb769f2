"""The hash chain of the audit log (plain Python: no SQL, no nameko).

Each entry has a digest and a hash, sha256(prev_hash as 32 raw bytes + digest as 32 raw bytes); so changing,
removing, inserting or reordering any entry breaks every link after it. The chain can be re-checked from
(seq, digest) pairs alone, which is how an evidence pack proves one VIN's entries without carrying anyone
else's data.

The digest depends on the entry's format. Format 1 (the entries recorded first; never changed): sha256 of the
canonical JSON of the content fields, the payload committed through its own digest. Format 2 (every entry
recorded since): sha256 of a header that commits to each subject's part of the payload separately
(domain/items.py), so a pack proves one VIN's part of a batch event without the other VINs'.
"""
import hashlib

from services.audit.domain import items
from services.audit.domain.canonical import canonical_json, canonical_time, sha256_hex  # noqa: F401 (API)

GENESIS = "0" * 64

CONTENT_FIELDS = (
    "event_id", "event_type", "source", "occurred_at", "recorded_at",
    "actor", "roles", "entity", "subject", "subjects", "trace_id", "payload_digest",
)

ALGORITHM = {
    "payload_digest": "sha256(canonical_json(payload))",
    "digest": "format 1: sha256(canonical_json({field: entry[field] for field in content_fields})); "
              "format 2: see format_2",
    "hash": "sha256(bytes.fromhex(prev_hash) + bytes.fromhex(digest)); the first entry's prev_hash is genesis",
    "canonical_json": "json.dumps(value, sort_keys=True, separators=(',', ':'), ensure_ascii=False), UTF-8; "
                      "timestamps as UTC ISO-8601 with microseconds",
    "content_fields": list(CONTENT_FIELDS),
    "genesis": GENESIS,
    "format_2": dict(items.ALGORITHM, payload_digest="sha256(canonical_json(payload)); a leaf's salt is "
                     "sha256(canonical_json({payload_digest, key}))"),
}


def payload_digest(payload):
    return sha256_hex(canonical_json(payload))


def content_of(entry):
    """The hashed fields of a format-1 entry (a mapping with at least CONTENT_FIELDS)."""
    return {name: entry[name] for name in CONTENT_FIELDS}


def entry_digest(entry):
    """The digest of an entry holding its content (format 2: and its whole payload)."""
    return digests(entry)[0]


def digests(entry):
    """(digest, leaf digests as the entry stores them or None): see items.packed."""
    if entry.get("format") == items.FORMAT:
        digest, leaf_digests = items.digests(entry)
        return digest, items.packed(leaf_digests)
    return sha256_hex(canonical_json(content_of(entry))), None


def link_hash(prev_hash, digest):
    return hashlib.sha256(bytes.fromhex(prev_hash) + bytes.fromhex(digest)).hexdigest()


def entry_hash(prev_hash, content):
    return link_hash(prev_hash, entry_digest(content))


def link(prev_hash, content):
    """The entry that follows `prev_hash`: its content with prev_hash, digest, leaf digests and hash."""
    digest, leaf_digests = digests(content)
    return dict(content, prev_hash=prev_hash, digest=digest, leaf_digests=leaf_digests,
                hash=link_hash(prev_hash, digest))


def verify(entries, checkpoints=(), after=None):
    """Check a chain given in seq order, reading it once (constant memory).

    `after`: a sealed head `{seq, head_hash}` the entries follow (they are then only those after it): the check
    costs what was appended since, not the whole history.

    Each entry is a mapping with `seq`, `prev_hash`, `hash`, the content fields and, when stored,
    `payload`. `checkpoints` are sealed heads `{seq, head_hash}` (signatures checked by the caller):
    each must name an entry that is still there with that hash, or the tail was cut or rewritten.
    The whole chain is read even after a fault, so `entries` and `head` describe what is stored;
    only the first fault is reported.
    """
    sealed = {c["seq"]: c["head_hash"] for c in checkpoints}
    expected_prev = GENESIS if after is None else after["head_hash"]
    last_seq = None if after is None else after["seq"]
    count = 0
    head = None if after is None else after["head_hash"]
    first_invalid_seq = None
    reason = None
    for entry in entries:
        count += 1
        seq = entry["seq"]
        if first_invalid_seq is None:
            problem = _fault(entry, expected_prev, last_seq)
            if problem is None and seq in sealed and sealed[seq] != entry["hash"]:
                problem = f"the checkpoint sealed at entry {seq} names another hash: the chain was rewritten"
            if problem:
                first_invalid_seq, reason = seq, problem
        sealed.pop(seq, None)
        expected_prev = entry["hash"]
        last_seq = seq
        head = entry["hash"]
    if first_invalid_seq is None and sealed:
        missing = min(sealed)
        first_invalid_seq = missing
        reason = (f"a checkpoint sealed entry {missing}, which is missing: entries were removed from the "
                  f"tail (the log now ends at {last_seq})")
    return {
        "valid": first_invalid_seq is None,
        "entries": count,
        "head": head,
        "last_seq": last_seq,
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
        digest, leaf_digests = digests(entry)
        actual = link_hash(entry["prev_hash"], digest)
        stored_payload = payload_digest(entry["payload"]) if "payload" in entry else entry["payload_digest"]
    except (TypeError, ValueError) as exc:
        return f"content cannot be hashed: {exc}"
    if stored_payload != entry["payload_digest"]:
        return "the payload does not match its digest: the payload was altered"
    if actual != entry["hash"]:
        return "hash does not match the entry's content: the entry was altered"
    if entry.get("digest") not in (None, digest):
        return "the stored digest does not match the entry's content: evidence packs would not prove through it"
    if entry.get("leaf_digests") is not None and bytes(entry["leaf_digests"]) != leaf_digests:
        return "the stored leaf digests do not match the entry's payload: evidence packs would not prove through it"
    return None


def verify_span(prev_hash, links):
    """Recompute the chain over consecutive `links` from `prev_hash` (offline proof of an evidence pack).

    Each link is `{seq, digest}`, a format-2 entry as a pack proves it (`items.proof_of`) or a format-1 entry
    (its digest is computed from its content, and its stored `hash` and payload must agree). Returns (hash after the last link, {seq: hash}, problem or None).
    """
    current, hashes, last_seq = prev_hash, {}, None
    for item in links:
        seq = item["seq"]
        if last_seq is not None and seq <= last_seq:
            return current, hashes, f"entry {seq} is out of order (after {last_seq})"
        if "item" in item:
            digest = items.proven_digest(item)
        elif "event_id" not in item:  # a link: someone else's entry, as its digest only
            digest = item["digest"]
        else:  # an entry with its content: its digest is recomputed, whatever digest it states
            digest = entry_digest(item)
            if "payload" in item and payload_digest(item["payload"]) != item["payload_digest"]:
                return current, hashes, f"the payload of entry {seq} does not match its digest"
        current = link_hash(current, digest)
        if "hash" in item and item["hash"] != current:
            return current, hashes, f"entry {seq} does not hash to its recorded hash"
        hashes[seq] = current
        last_seq = seq
    return current, hashes, None
