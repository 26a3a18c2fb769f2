"""The write-once archive directory and its offline verification (plain files; no database).

Layout: `certificates/<entity>/<vin>/<version>-<reference id>.xml` (the exact bytes sealed) with its signing
record beside it (`.json`), `audit/checkpoints/<seq>-<id>.json` (signed chain heads), `audit/keys/<key id>.pem`
(the audit public key) and one `manifests/<time>-<n>.json` per export: the SHA-256 of every file it holds. No
file is ever replaced: an identical one is skipped, a different one is an error, so exports only add.
"""
import hashlib
import json
import os
import re
import uuid
from pathlib import Path

from services.audit.domain import checkpoints

MANIFESTS = "manifests"
FORMAT = 1
SAFE_PART = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")  # never . or ..: a path part, no more


class ArchiveConflict(RuntimeError):
    pass


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def as_json(value):
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def certificate_path(record):
    parts = (record["entity"], record["vin"], f"{record['version_number']}-{record['reference_id']}")
    unsafe = [p for p in parts if not SAFE_PART.fullmatch(p)]
    if unsafe:
        raise ArchiveConflict(f"cannot name an archive file after {unsafe[0]!r}")
    return "/".join(("certificates", *parts))


def checkpoint_path(checkpoint):
    return f"audit/checkpoints/{checkpoint['seq']:012d}-{checkpoint['id']}.json"


def key_path(key_id):
    return f"audit/keys/{key_id}.pem"


def put(root, relative, data):
    """Write `data` at `relative` unless a file is there: 'written', 'same' (identical bytes), or ArchiveConflict."""
    path = Path(root) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return _same(path, relative, data)
    temporary = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    with open(temporary, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(temporary, 0o444)
    try:
        os.link(temporary, path)  # atomic, and fails rather than replace a file that appeared meanwhile
    except FileExistsError:
        return _same(path, relative, data)
    finally:
        temporary.unlink()
    return "written"


def _same(path, relative, data):
    if path.read_bytes() != data:
        raise ArchiveConflict(f"{relative} exists with other content: the archive is write-once")
    return "same"


def write_manifest(root, files, exported_at, since):
    """One manifest for one export: {relative path: SHA-256} of every file it wrote or found identical."""
    stamp = exported_at.replace(":", "").replace("-", "")
    manifest = {"format": FORMAT, "exported_at": exported_at, "since": since, "files": dict(sorted(files.items()))}
    name = f"{MANIFESTS}/{stamp}-{uuid.uuid4().hex[:8]}.json"
    put(root, name, as_json(manifest))
    return name


def verify(root):
    """Check the archive offline: {problems: [...], certificates: n, checkpoints: n, files: n}. Each problem
    names its file."""
    root = Path(root)
    problems, listed = [], {}
    manifests = sorted((root / MANIFESTS).glob("*.json"))
    if not manifests:
        problems.append(f"{root}: no {MANIFESTS}/*.json: not an ecoc archive")
    for manifest_path in manifests:
        try:
            manifest = json.loads(manifest_path.read_bytes())
            files = manifest["files"]
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"{MANIFESTS}/{manifest_path.name}: not a readable manifest ({exc})")
            continue
        for relative, digest in files.items():
            if listed.setdefault(relative, digest) != digest:
                problems.append(f"{relative}: manifests disagree on its SHA-256")
    present = sorted(str(p.relative_to(root)) for p in root.rglob("*")
                     if p.is_file() and p.relative_to(root).parts[0] != MANIFESTS)
    contents = {}
    for relative in present:
        data = (root / relative).read_bytes()
        if relative not in listed:
            problems.append(f"{relative}: in no manifest")
        elif sha256(data) != listed[relative]:
            problems.append(f"{relative}: SHA-256 does not match the manifest")
        else:
            contents[relative] = data
    problems += [f"{relative}: listed in a manifest but missing" for relative in sorted(set(listed) - set(present))]
    certificates = [r for r in contents if r.startswith("certificates/") and r.endswith(".xml")]
    for relative in certificates:
        problems += _certificate_problems(relative, contents)
    sealed = [r for r in contents if r.startswith("audit/checkpoints/")]
    for relative in sealed:
        problems += _checkpoint_problems(relative, contents)
    return {"problems": problems, "certificates": len(certificates), "checkpoints": len(sealed),
            "files": len(present)}


def _certificate_problems(relative, contents):
    record_path = relative[:-len(".xml")] + ".json"
    if record_path not in contents:
        return [f"{relative}: no verified signing record beside it ({record_path})"]
    record = json.loads(contents[record_path])
    if certificate_path(record) + ".xml" != relative:
        return [f"{record_path}: names another certificate than the file beside it"]
    if sha256(contents[relative]) != record["sha256"]:
        return [f"{relative}: SHA-256 differs from the one its signing record holds"]
    return []


def _checkpoint_problems(relative, contents):
    checkpoint = json.loads(contents[relative])
    pem = contents.get(key_path(checkpoint["key_id"]))
    if pem is None:
        return [f"{relative}: the audit key {checkpoint['key_id']} is not in the archive"]
    pem = pem.decode("ascii")
    if checkpoints.key_id(pem) != checkpoint["key_id"]:
        return [f"{key_path(checkpoint['key_id'])}: is not the key its name says"]
    if not checkpoints.signature_valid(pem, checkpoint):
        return [f"{relative}: not signed by the audit key {checkpoint['key_id']}"]
    return []
