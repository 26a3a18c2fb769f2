"""`ecoc archive export DIR [--since ISO]` and `ecoc archive verify DIR`: the ten-year archive of sealed
certificates and signed audit checkpoints (cli/archive_store.py holds the layout and the checks).

The directory may be a write-once (WORM) volume or an S3-compatible bucket mounted as a file system: the export
only creates files, never replaces or deletes one.
"""
import sys
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from cli import archive_store, key_refs
from common.config import settings
from common.db import make_engine
from services.audit import repository as audit_repo
from services.audit.domain import checkpoints
from services.signing import repository as signing_repo


def _record(row):
    record = {name: row[name] for name in signing_repo.ARCHIVED}
    record["signed_at"] = row["signed_at"].isoformat()
    return record


def export(directory, s=None, since=None, audit_public_key=None):
    """Add every certificate version sealed since `since` (all when None), every checkpoint made since then and
    the audit public key to the archive; returns counts of files written and already there."""
    s = s or settings()
    public_pem = key_refs.audit_public_key(s, audit_public_key)
    if public_pem is None:
        raise FileNotFoundError(f"no audit key in {s.audit_keys_dir}: pass --audit-public-key")
    files, counts = {}, {"written": 0, "same": 0, "certificates": 0, "checkpoints": 0}

    def put(relative, data):
        counts[archive_store.put(directory, relative, data)] += 1
        files[relative] = archive_store.sha256(data)

    put(archive_store.key_path(checkpoints.key_id(public_pem)), public_pem.encode("ascii"))
    for row in _rows(s.database_url("signing"), lambda session: signing_repo.sealed_since(session, since)):
        base = archive_store.certificate_path(row)
        put(base + ".xml", bytes(row["document"]))
        put(base + ".json", archive_store.as_json(_record(row)))
        counts["certificates"] += 1
    for row in _rows(s.database_url("audit"), audit_repo.checkpoints):
        if since is None or row["at"] >= since:
            put(archive_store.checkpoint_path(row), archive_store.as_json(dict(checkpoints.as_dict(row), id=row["id"])))
            counts["checkpoints"] += 1
    exported_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    counts["manifest"] = archive_store.write_manifest(directory, files, exported_at,
                                                      since.isoformat() if since else None)
    return counts


def _rows(url, read):
    engine = make_engine(url, pool_size=1)
    try:
        with Session(engine) as session:
            yield from read(session)
    finally:
        engine.dispose()


def parse_since(text):
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def run_export(directory, since=None, audit_public_key=None):
    try:
        since = parse_since(since)
    except ValueError as exc:
        print(f"error: --since: {exc} (an ISO 8601 time, e.g. 2026-01-01T00:00:00Z)", file=sys.stderr)
        return 2
    try:
        counts = export(directory, since=since, audit_public_key=audit_public_key)
    except (archive_store.ArchiveConflict, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"archive {directory}: {counts['certificates']} certificate version(s), {counts['checkpoints']} "
          f"checkpoint(s); {counts['written']} file(s) added, {counts['same']} already there; {counts['manifest']}")
    return 0


def run_verify(directory):
    result = archive_store.verify(directory)
    for problem in result["problems"]:
        print(f"  FAIL  {problem}")
    if result["problems"]:
        print(f"archive {directory} does NOT hold up ({len(result['problems'])} problem(s))")
        return 1
    print(f"archive {directory}: {result['files']} files match their manifests; {result['certificates']} "
          f"certificate(s) match their signing records; {result['checkpoints']} checkpoint(s) signed by the "
          f"archived audit key")
    return 0
