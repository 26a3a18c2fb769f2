"""`ecoc backup DIR` and `ecoc backup verify DIR`.

One pg_dump (custom format) per process database, and `manifest.json`: the ecoc version, the time, the prefix,
the server (without credentials), each dump's file, size and SHA-256 and alembic head, and references to the key
material (cli/key_refs.py). Written into a temporary directory beside DIR that is renamed to DIR at the end, so
DIR is either a whole backup or absent.
"""
import importlib.metadata
import shutil
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

import psycopg

from cli import backup_manifest, key_refs, pg_tools
from cli.stack import PROCESSES
from common.config import settings


def ecoc_version():
    try:
        return importlib.metadata.version("ecoc")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def alembic_head(url):
    with psycopg.connect(pg_tools.libpq_url(url)) as conn:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def backup(directory, s=None, audit_public_key=None, echo=print):
    """Dump every process database of `s` into `directory` (which must not exist yet); returns the manifest."""
    s = s or settings()
    target = Path(directory)
    if target.exists():
        raise FileExistsError(f"{target} exists: a backup goes into a new directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    public_pem = key_refs.audit_public_key(s, audit_public_key)
    if public_pem is None:
        echo(f"  warning: no audit key in {s.audit_keys_dir}: the manifest names no audit public key "
             f"(pass --audit-public-key)")
    partial = target.parent / f".{target.name}.partial-{uuid.uuid4().hex[:8]}"
    partial.mkdir()
    try:
        databases = []
        for name in PROCESSES:
            url = s.database_url(name)
            path = partial / f"{name}.dump"
            pg_tools.dump(url, path)
            entry = dict(backup_manifest.file_entry(path), process=name, database=pg_tools.database_name(url),
                         alembic_head=alembic_head(url))
            databases.append(entry)
            echo(f"  {entry['database']}: {entry['size']} bytes, alembic {entry['alembic_head']}")
        manifest = {
            "format": backup_manifest.FORMAT, "ecoc_version": ecoc_version(),
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "prefix": s.database_prefix, "server": pg_tools.public_url(s.database_server),
            "databases": databases, "keys": key_refs.references(s, public_pem),
        }
        backup_manifest.write(partial, manifest)
        partial.rename(target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return manifest


def run_backup(directory, audit_public_key=None):
    try:
        manifest = backup(directory, audit_public_key=audit_public_key)
    except (OSError, pg_tools.ToolFailed, psycopg.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"backup {directory}: {len(manifest['databases'])} databases of prefix {manifest['prefix']}, "
          f"{len(manifest['keys']['seals'])} seal reference(s)")
    return 0


def run_verify(directory):
    try:
        manifest = backup_manifest.read(directory)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    found = backup_manifest.problems(directory, manifest)
    for problem in found:
        print(f"  FAIL  {problem}")
    if found:
        print(f"backup {directory} does NOT match its manifest")
        return 1
    print(f"backup {directory}: {len(manifest['databases'])} dumps match their SHA-256 "
          f"(prefix {manifest['prefix']}, {manifest['created_at']})")
    return 0
