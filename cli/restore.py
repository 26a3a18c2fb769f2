"""`ecoc restore DIR --prefix NEWPREFIX [--replace] [--check-keys]`.

Checks the dumps against the manifest first, then restores each into `<NEWPREFIX>_<process>` on
ECOC_DATABASE_URL (refusing databases that exist unless `--replace`), as the user of that URL (the migration
owner), grants the audit writer role again, migrates (a no-op at the same version, an upgrade for an older
backup), and verifies the restored audit chain against its last checkpoint signed with the audit public key.
"""
import sys
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from cli import backup_manifest, key_refs, pg_tools
from cli.audit_verify import describe, verify_audit
from common.config import settings
from common.db import create_database_if_missing, drop_database, make_engine, migrate, server_url
from services.audit import writer_role
from services.signing import repository as signing_repo


class RestoreRefused(RuntimeError):
    pass


def database_exists(url):
    with psycopg.connect(server_url(url)) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            (make_url(url).database,)).fetchone() is not None


def check_certificates(url):
    """(number of certificates, reference ids whose bytes do not match their recorded SHA-256)."""
    engine = make_engine(url, pool_size=1)
    try:
        with Session(engine) as session:
            return signing_repo.digest_mismatches(session)
    finally:
        engine.dispose()


def restore(directory, prefix, s=None, replace=False, audit_public_key=None, echo=print):
    """Restore the backup in `directory` under `prefix`; returns {process: url} and the audit check."""
    s = s or settings()
    manifest = backup_manifest.read(directory)
    found = backup_manifest.problems(directory, manifest)
    if found:
        raise RestoreRefused("the backup does not match its manifest:\n  " + "\n  ".join(found))
    # from the server URL itself: a per-service override (ECOC_<SERVICE>_DATABASE_URL) never becomes a target
    server = s.database_server.rstrip("/")
    targets = {db["process"]: f"{server}/{prefix}_{db['process']}" for db in manifest["databases"]}
    existing = [pg_tools.database_name(url) for url in targets.values() if database_exists(url)]
    if existing and not replace:
        raise RestoreRefused(f"database(s) {', '.join(existing)} exist: choose another prefix, or --replace")
    for db in manifest["databases"]:
        url = targets[db["process"]]
        if replace:
            drop_database(url)
        create_database_if_missing(url)
        pg_tools.restore(url, Path(directory) / db["file"])
        if db["process"] == "audit":
            writer_role.ensure_writer(pg_tools.libpq_url(url), pg_tools.database_name(url), make_url(url).password)
        migrate(db["process"], url)
        echo(f"  {pg_tools.database_name(url)}: restored from {db['file']} (alembic {db['alembic_head']})")
    public_pem = key_refs.audit_public_key(s, audit_public_key) if audit_public_key else \
        manifest["keys"]["audit"]["public_key_pem"]
    audit = verify_audit(targets["audit"], public_pem) if "audit" in targets else None
    certificates = check_certificates(targets["signing"]) if "signing" in targets else None
    return {"databases": targets, "audit": audit, "certificates": certificates, "manifest": manifest}


def run_restore(directory, prefix, replace=False, check_keys=False, audit_public_key=None):
    s = settings()
    try:
        done = restore(directory, prefix, s, replace=replace, audit_public_key=audit_public_key)
    except (RestoreRefused, ValueError, OSError, pg_tools.ToolFailed, psycopg.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    manifest, audit = done["manifest"], done["audit"]
    print(f"restored {len(done['databases'])} databases of the backup of {manifest['created_at']} "
          f"(prefix {manifest['prefix']}) as prefix {prefix}")
    status = 0
    if audit is not None:
        print(f"  audit chain: {describe(audit)}")
        status = 0 if audit["valid"] else 1
    if done["certificates"] is not None:
        total, wrong = done["certificates"]
        if wrong:
            print(f"  certificates: FAIL: {len(wrong)} of {total} do not match their SHA-256 "
                  f"(first: {wrong[0]})")
            status = 1
        else:
            print(f"  certificates: {total}, each matching its recorded SHA-256")
    key_problems = key_refs.problems(manifest["keys"], s)
    for problem in key_problems:
        print(f"  {'FAIL' if check_keys else 'warning'}: {problem}")
    if not key_problems:
        print(f"  keys: the {len(manifest['keys']['seals'])} seal(s) and the audit key referenced are present here")
    if key_problems and check_keys:
        status = 1
    return status
