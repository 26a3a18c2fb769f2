"""Per-item commitments of an audit entry (entry format 2; plain Python).

An event may name hundreds of vehicles (a batch of `vehicle_changed`, `certificate_signed`, ...). A format-2
entry does not hash its subjects and payload as one block: it hashes a header (who, when, what) with

- `shared_digest`: sha256 of the payload without its subjects and without the list items that belong to one
  key (a top-level list item of `data` that is an object with a `vin`, or a string naming a subject), and
- `items_root`: the root of a Merkle tree over one leaf per key, sorted by key. A leaf is the canonical JSON of
  `{key, named, primary, part, salt}`: `part` holds that key's list items, `named` whether the event names it
  as a subject, `primary` whether it is the event's subject, and `salt` is derived from the digest of the whole
  payload (which binds the order of the items too), so a leaf cannot be confirmed by guessing a VIN and its part.

So one VIN's evidence pack proves that VIN's part of a batch entry with its leaf and the sibling hashes on its
path to the root, without carrying any other item. An entry of many keys stores its leaf digests when it is
written (`packed`), so a pack computes the VIN's leaf only, not the hundreds of others.
"""
import hashlib

from services.audit.domain.canonical import canonical_json, sha256_hex

FORMAT = 2
ENTRY_FIELDS = ("event_id", "event_type", "source", "occurred_at", "recorded_at", "actor", "roles", "entity",
                "trace_id")
ALGORITHM = {
    "header": "canonical_json({format: 2, entry_fields..., shared_digest, items_root}); digest = sha256(header)",
    "entry_fields": list(ENTRY_FIELDS),
    "shared_digest": "sha256(canonical_json(shared))",
    "leaf": "sha256(canonical_json({key, named, primary, part, salt}))",
    "node": "sha256(0x01 + left as 32 raw bytes + right as 32 raw bytes); an odd last node is carried up as is",
    "path": "sibling hashes from the leaf up: {left: hash} or {right: hash}",
}


def item_key(item, subjects):
    """The key a list item belongs to, or None when it is shared."""
    if isinstance(item, dict) and isinstance(item.get("vin"), str):
        return item["vin"]
    if isinstance(item, str) and item in subjects:
        return item
    return None


def split(payload, subjects):
    """(shared, parts): the payload without `subject`, `subjects` and the keyed list items of `data`;
    `{key: {list name: [its items]}}` for every subject and every other key found."""
    shared = {name: value for name, value in payload.items() if name not in ("subject", "subjects")}
    parts = {subject: {} for subject in subjects}
    data = payload.get("data")
    if isinstance(data, dict):
        kept = {}
        for name, value in data.items():
            if not isinstance(value, list):
                kept[name] = value
                continue
            kept[name] = []
            for item in value:
                key = item_key(item, subjects)
                if key is None:
                    kept[name].append(item)
                else:
                    parts.setdefault(key, {}).setdefault(name, []).append(item)
        shared["data"] = kept
    return shared, parts


STORED_LEAVES = 16  # an entry of more keys stores its leaf digests (`packed`); below that they cost next to nothing


def _leaf(entry, key, part, subjects):
    return {"key": key, "named": key in subjects, "primary": key == entry["subject"], "part": part,
            "salt": sha256_hex(canonical_json({"payload_digest": entry["payload_digest"], "key": key}))}


def commitments(entry):
    """(shared, leaves sorted by key) of an entry that holds its whole `payload` and its `payload_digest` (which
    chain.verify checks against the payload)."""
    subjects = set(entry["subjects"])
    shared, parts = split(entry["payload"], subjects)
    return shared, [_leaf(entry, key, parts[key], subjects) for key in sorted(parts)]


def leaf_digest(leaf):
    return sha256_hex(canonical_json(leaf))


def _node(left, right):
    return hashlib.sha256(b"\x01" + bytes.fromhex(left) + bytes.fromhex(right)).hexdigest()


def _levels(digests):
    levels = [list(digests)]
    while len(levels[-1]) > 1:
        level = levels[-1]
        levels.append([_node(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
                       for i in range(0, len(level), 2)])
    return levels


def root(digests):
    return _levels(digests)[-1][0]


def path(digests, index):
    """The sibling hashes from leaf `index` up to the root."""
    steps = []
    for level in _levels(digests)[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            steps.append({"left": level[sibling]} if sibling < index else {"right": level[sibling]})
        index //= 2
    return steps


def root_from(digest, steps):
    for step in steps:
        digest = _node(step["left"], digest) if "left" in step else _node(digest, step["right"])
    return digest


def header(fields, shared, items_root):
    return dict({name: fields[name] for name in ENTRY_FIELDS}, format=FORMAT,
                shared_digest=sha256_hex(canonical_json(shared)), items_root=items_root)


def digests(entry):
    """(digest, leaf digests in key order) of a format-2 entry that holds its whole `payload` (as stored)."""
    shared, leaves = commitments(entry)
    leaf_digests = [leaf_digest(leaf) for leaf in leaves]
    return sha256_hex(canonical_json(header(entry, shared, root(leaf_digests)))), leaf_digests


def entry_digest(entry):
    """The digest of a format-2 entry that holds its whole `payload` (as stored)."""
    return digests(entry)[0]


def packed(leaf_digests):
    """The leaf digests as an entry of more than STORED_LEAVES keys stores them (32 raw bytes each), else None."""
    return b"".join(bytes.fromhex(d) for d in leaf_digests) if len(leaf_digests) > STORED_LEAVES else None


def unpacked(stored, count):
    """The leaf digests stored with an entry of `count` keys, or None when it stores none (or not as many)."""
    if stored is None or len(stored) != 32 * count:
        return None
    stored = bytes(stored)
    return [stored[i:i + 32].hex() for i in range(0, len(stored), 32)]


def proof_of(entry, key):
    """What a pack carries of a format-2 entry for `key`: the shared payload, the key's leaf and its path. The
    other leaves' digests are read from the entry's stored ones when it has them (`leaf_digests`); the key's own leaf
    is always computed from the payload, so a stored digest that does not match its leaf fails the proof, never
    forges one."""
    subjects = set(entry["subjects"])
    shared, parts = split(entry["payload"], subjects)
    keys = sorted(parts)
    index = keys.index(key)
    leaf = _leaf(entry, key, parts[key], subjects)
    leaf_digests = unpacked(entry.get("leaf_digests"), len(keys))
    if leaf_digests is None:
        leaf_digests = [leaf_digest(_leaf(entry, k, parts[k], subjects)) for k in keys]
    leaf_digests[index] = leaf_digest(leaf)
    return {"shared": shared, "item": leaf, "path": path(leaf_digests, index)}


def proven_digest(proven):
    """The digest of a format-2 entry as a pack carries it (entry fields, shared, item, path)."""
    items_root = root_from(leaf_digest(proven["item"]), proven["path"])
    return sha256_hex(canonical_json(header(proven, proven["shared"], items_root)))


def data_of(proven):
    """The `data` of the event as far as the pack shows it: the shared data with the item's list items."""
    data = dict(proven["shared"].get("data") or {})
    for name, items in proven["item"]["part"].items():
        data[name] = list(data.get(name) or []) + items
    return data
