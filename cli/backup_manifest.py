"""The manifest of a backup directory (`manifest.json`): what was dumped, from where, with each file's size and
SHA-256; and the check that the files still match it."""
import hashlib
import json
from pathlib import Path

MANIFEST = "manifest.json"
FORMAT = 1
CHUNK = 1 << 20


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def file_entry(path):
    path = Path(path)
    return {"file": path.name, "size": path.stat().st_size, "sha256": sha256_file(path)}


def write(directory, manifest):
    (Path(directory) / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def read(directory):
    path = Path(directory) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable backup manifest ({exc})") from exc
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("databases"), list):
        raise ValueError(f"{path}: not an ecoc backup manifest of format {FORMAT}")
    return manifest


def problems(directory, manifest):
    """Every file of `manifest` that is missing or differs, one message each naming the file; and files that are
    in the directory but not in the manifest."""
    directory = Path(directory)
    out, listed = [], {MANIFEST}
    for db in manifest["databases"]:
        name = db["file"]
        listed.add(name)
        path = directory / name
        if Path(name).name != name:
            out.append(f"{name}: not a plain file name")
        elif not path.is_file():
            out.append(f"{name}: missing")
        elif path.stat().st_size != db["size"]:
            out.append(f"{name}: {path.stat().st_size} bytes, the manifest says {db['size']}")
        elif sha256_file(path) != db["sha256"]:
            out.append(f"{name}: SHA-256 does not match the manifest")
    out += [f"{p.name}: not in the manifest" for p in sorted(directory.iterdir()) if p.name not in listed]
    return out
